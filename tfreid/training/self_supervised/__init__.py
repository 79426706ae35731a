"""Self-supervised training state that lives in the model: images with their neighbours,
teachers, candidate pools and memories (Spreading needs none of it)."""
