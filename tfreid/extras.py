"""tfreid's optional extras: importing a module an extra installs, or one line naming the
extra to install (``pip install 'tfreid[onnx]'``) when it is missing.

Example::

    from tfreid.extras import import_extra

    tf2onnx = import_extra("tf2onnx", "onnx", "ONNX export")  # or a one-line MissingExtraError
"""

import importlib
from types import ModuleType

from tfreid.errors import ConfigError


class MissingExtraError(ConfigError, ImportError):
    """A feature whose optional extra is not installed: a ConfigError (one line, exit 2)
    and, as Python's own, an ImportError."""


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """``import module``, or MissingExtraError saying that ``feature`` needs ``tfreid[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(
            f"{feature} needs tfreid's '{extra}' extra ({module} is not installed): "
            f"pip install 'tfreid[{extra}]'") from error
