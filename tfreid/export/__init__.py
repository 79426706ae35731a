"""Exports of trained encoders (SavedModel)."""

from tfreid.export.saved_model import export_saved_model

__all__ = ["export_saved_model"]
