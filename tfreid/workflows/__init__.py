"""Workflows that combine trained runs with other pieces: deployment exports (fine-tune with
QAT, export, check), the compression sweep of paper 001. Above training in the layers."""
