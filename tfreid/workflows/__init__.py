"""Workflows that combine trained runs with other pieces, one artifact each: deployment
exports (fine-tune with QAT, export, check), embedding and searching with an export. Above
training in the layers (the compression sweep of paper 001 is in ``tfreid.experiments``)."""
