"""Exports of trained encoders (SavedModel; ONNX with the ``tfreid[onnx]`` extra)."""

from tfreid.export.saved_model import export_saved_model

__all__ = ["export_onnx", "export_saved_model"]


def __getattr__(name: str):
    if name == "export_onnx":  # tf2onnx loads only when ONNX is asked for
        from tfreid.export.onnx import export_onnx

        return export_onnx
    raise AttributeError(f"module 'tfreid.export' has no attribute {name!r}")
