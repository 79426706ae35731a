"""Registries of named building blocks, as fast-reid keeps them: one line per entry.

A registry maps a name to ``"module:attribute"``; the module is imported only
when the entry is used, so command lines can list names (and answer
``--help``) without loading TensorFlow. Adding a method, backbone, loss,
miner or importer is one file plus one line in its registry.
"""

import importlib
from collections.abc import Iterator
from typing import Any

from tfreid.errors import ConfigError


class Registry:
    """Named entries, imported on first use. ``what`` names the kind in error messages."""

    def __init__(self, what: str, entries: dict[str, str]):
        self.what = what
        self._entries = dict(entries)
        self._loaded: dict[str, Any] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def register(self, name: str, target: str | Any) -> None:
        """Add an entry: a ``"module:attribute"`` path or the object itself."""
        if isinstance(target, str):
            self._entries[name] = target
        else:
            self._entries[name] = f"{target.__module__}:{target.__qualname__}"
            self._loaded[name] = target

    def remove(self, name: str) -> None:
        """Drop an entry (a plugin registered for a while, say)."""
        self._entries.pop(name, None)
        self._loaded.pop(name, None)

    def get(self, name: str) -> Any:
        """The entry ``name``, imported if needed; ConfigError listing the names otherwise."""
        if name not in self._entries:
            raise ConfigError(f"unknown {self.what} {name!r}; choose from "
                              f"{', '.join(self._entries)}")
        if name not in self._loaded:
            module, attribute = self._entries[name].split(":")
            target = importlib.import_module(module)
            for part in attribute.split("."):
                target = getattr(target, part)
            self._loaded[name] = target
        return self._loaded[name]
