"""What a backbone is, importable without TensorFlow: its builder and its ``Options``.

A backbone is one entry of ``tfreid.catalog.BACKBONES``: a ``Backbone`` in the module
of its builder. Its settings are an ``Options`` dataclass of ``tfreid.registry.option``
fields, as a training method's are: the command line makes one flag per field
(``tfreid.cli.common``), ``RunConfig.backbone_options`` holds the values and
``build_encoder`` passes them to the builder as keyword arguments. The builder
imports TensorFlow when it runs, so listing backbones and their flags does not.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from tfreid.errors import ConfigError
from tfreid.registry import check_options


@dataclass(frozen=True)
class NoOptions:
    """The settings of a backbone that has none."""


@dataclass(frozen=True)
class Backbone:
    """A named encoder: ``builder(input_shape, embedding_dim=..., **options)`` -> a Keras
    model from (H, W, C) uint8-range images to embeddings. ``validate(options, (H, W))``
    raises ConfigError for settings that cannot work beyond ``Options``' own choices and
    bounds (too small an input, say)."""

    name: str
    builder: Callable[..., Any]
    Options: type = NoOptions
    description: str = ""
    validate: Callable[[Any, tuple[int, int]], None] | None = None

    def __call__(self, input_shape: tuple[int, int, int], embedding_dim: int, **options: Any):
        return self.builder(input_shape, embedding_dim=embedding_dim, **options)

    def option_names(self) -> set[str]:
        return {spec.name for spec in fields(self.Options)}

    def options(self, values: dict[str, Any]) -> Any:
        """``Options`` with ``values``; ConfigError naming an option it does not have."""
        unknown = sorted(set(values) - self.option_names())
        if unknown:
            raise ConfigError(f"backbone {self.name!r} has no option {unknown[0]!r}; its "
                              f"options are {', '.join(sorted(self.option_names())) or 'none'}")
        return self.Options(**values)

    def check(self, values: dict[str, Any], image_shape: tuple[int, int]) -> None:
        """ConfigError for the first of ``values`` that cannot work with these images."""
        options = self.options(values)
        check_options(f"backbone {self.name}", options)
        if self.validate is not None:
            self.validate(options, image_shape)
