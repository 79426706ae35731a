"""Workflows that combine trained runs with other pieces, one artifact each: deployment
exports (fine-tune with QAT, export, check: ``deployment``), images embedded with an export
(``image_sources``) into an index that is searched, drawn and scored (``indexing``). Above
training in the layers (the compression sweep of paper 001 is in ``tfreid.experiments``)."""
