"""Sweeps and studies: many runs of the engine -> one table (paper 000's sweeps with
cross-validation, paper 001's compression sweep, paper 002's and 003's studies), each
run's row kept by ``resumable_rows`` so a killed one resumes."""

from tfreid.experiments.aggregate import markdown_table, summarize
from tfreid.experiments.resumable import resumable_rows
from tfreid.experiments.runner import run_sweep
from tfreid.experiments.studies import STUDIES, Study, get_study
from tfreid.io.jsonl import read_rows

__all__ = ["STUDIES", "Study", "get_study", "markdown_table", "read_rows", "resumable_rows",
           "run_sweep", "summarize"]
