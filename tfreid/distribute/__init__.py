"""Training past one device with TensorFlow's own ``tf.distribute``.

* ``strategies``: ``--strategy auto|none|mirrored|multiworker`` as a
  ``tf.distribute.Strategy``, and which process of a cluster writes files.
* ``cross_replica``: a replica's rows and those of every other replica, so that
  in-batch losses and miners see the global batch with exact gradients.
* ``precision``: ``--precision float32|mixed_float16|mixed_bfloat16``.
"""
