"""tfreid: contrastive and metric learning for re-identification on TensorFlow.

tfreid uses the Keras 2 API (``tf_keras``): tensorflow-model-optimization's
quantization-aware training and MultiWorkerMirroredStrategy ``fit`` fail under
Keras 3 with TensorFlow 2.21. ``TF_USE_LEGACY_KERAS=1`` must therefore be set
before TensorFlow is first imported; importing tfreid first does that (a value
the user set explicitly is kept).
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

__version__ = "0.1.0"
