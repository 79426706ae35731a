"""Sweeps over training settings with cross-validation (paper 000's studies)."""

from tfreid.experiments.aggregate import markdown_table, summarize
from tfreid.experiments.runner import run_sweep
from tfreid.experiments.studies import STUDIES, Study, get_study
from tfreid.io.jsonl import read_rows

__all__ = ["STUDIES", "Study", "get_study", "markdown_table", "read_rows", "run_sweep",
           "summarize"]
