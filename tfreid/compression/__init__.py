"""Embedding compression (paper 001): slicing, low-rank factorisation, iterative pruning,
quantization-aware training, TFLite int8 and int8 embedding storage, with the
byte accounting to compare them."""
