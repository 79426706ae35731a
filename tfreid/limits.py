"""Bounds on user settings, shared by the command lines and the configurations' checks."""

MAX_SEED = 2**32 - 1  # NumPy's legacy seeding and Keras' set_random_seed take 32 bits
MAX_IMAGE_SIDE = 1024  # px per side: a 1024 x 1024 RGB image is 3 MB per copy in memory
MAX_WIDTH = 64.0  # Table I CNN width multiplier (paper 000 sweeps 0.5 to 4)
