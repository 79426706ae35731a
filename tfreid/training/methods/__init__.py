"""Training methods as plugins of the engine (``tfreid.catalog.METHODS``).

A method is one file: a ``Method`` subclass with its ``Options`` dataclass,
the shared ``defaults`` it changes, and ``plan()``, which builds what
``fit`` trains (the model, its loss, the training stream and the validation
batches). The engine does the rest once for all of them. Methods import
TensorFlow inside ``plan()`` only, so command lines list them quickly.
"""
