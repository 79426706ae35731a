"""Registries of named building blocks, as fast-reid keeps them: one line per entry.

A registry maps a name to ``"module:attribute"`` (or to ``("module:attribute",
"one-line description")``); the module is imported only when the entry is used,
so command lines can list names (and answer ``--help``) without loading
TensorFlow. Every registry is in ``tfreid.catalog``: adding a method, backbone,
loss, miner, importer, augmentation, study or command is one file (or function)
plus one line there.

Entries with settings (methods, backbones) describe them as an ``Options``
dataclass whose fields are made with ``option()``: the command line makes one
flag per field from it (``tfreid.cli.common.add_option_arguments``) and
``check_options`` checks a value against its choices and bounds.
"""

import importlib
from collections.abc import Iterator
from dataclasses import field, fields
from typing import Any

from tfreid.errors import ConfigError


class Registry:
    """Named entries, imported on first use. ``what`` names the kind in error messages."""

    def __init__(self, what: str, entries: dict[str, str | tuple[str, str]],
                 aliases: dict[str, str] | None = None):
        self.what = what
        self.aliases = dict(aliases or {})  # older names still accepted (saved configs)
        self._entries: dict[str, str] = {}
        self._descriptions: dict[str, str] = {}
        self._loaded: dict[str, Any] = {}
        for name, entry in entries.items():
            target, description = (entry, "") if isinstance(entry, str) else entry
            self.register(name, target, description)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self.aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def target(self, name: str) -> str:
        """The ``"module:attribute"`` of entry ``name``, without importing it."""
        return self._entries[self.check(name)]

    def describe(self, name: str) -> str:
        """The one-line description of entry ``name`` ("" if it has none)."""
        return self._descriptions.get(self.check(name), "")

    def register(self, name: str, target: str | Any, description: str = "") -> None:
        """Add an entry: a ``"module:attribute"`` path or the object itself."""
        if isinstance(target, str):
            if target.count(":") != 1:
                raise ValueError(f"{self.what} {name!r}: {target!r} is not 'module:attribute'")
            self._entries[name] = target
            self._loaded.pop(name, None)
        else:
            self._entries[name] = f"{target.__module__}:{target.__qualname__}"
            self._loaded[name] = target
        self._descriptions[name] = description

    def remove(self, name: str) -> None:
        """Drop an entry (a plugin registered for a while, say)."""
        self._entries.pop(name, None)
        self._descriptions.pop(name, None)
        self._loaded.pop(name, None)

    def canonical(self, name: str) -> str:
        """The entry an alias stands for; any other name as it is (a command line's
        ``type``: argparse's ``choices`` then names what is wrong)."""
        return self.aliases.get(name, name)

    def check(self, name: str) -> str:
        """``name`` if it is an entry (nothing is imported); else the registry's one-line
        ConfigError, which lists the names. An alias gives the name it stands for."""
        name = self.canonical(name)
        if name not in self._entries:
            raise ConfigError(f"unknown {self.what} {name!r}; choose from "
                              f"{', '.join(self._entries)}")
        return name

    def get(self, name: str) -> Any:
        """The entry ``name``, imported if needed; ConfigError listing the names otherwise."""
        name = self.check(name)
        if name not in self._loaded:
            module, attribute = self._entries[name].split(":")
            target = importlib.import_module(module)
            for part in attribute.split("."):
                target = getattr(target, part)
            self._loaded[name] = target
        return self._loaded[name]


def option(default: Any, help: str, choices: tuple | None = None, minimum: float | None = None,
           maximum: float | None = None, flag: str | None = None, **kwargs: Any) -> Any:
    """A field of an entry's ``Options`` dataclass: its default, help text, allowed values
    and bounds, and its command-line flag (default ``--<name-with-dashes>``)."""
    metadata = {"help": help, "choices": choices, "minimum": minimum, "maximum": maximum,
                "flag": flag}
    if callable(default) and not isinstance(default, type):
        return field(default_factory=default, metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


def check_options(owner: str, options: Any) -> None:
    """ConfigError naming the first field of ``options`` outside its choices or bounds."""
    for spec in fields(options):
        value = getattr(options, spec.name)
        choices = spec.metadata.get("choices")
        low, high = spec.metadata.get("minimum"), spec.metadata.get("maximum")
        if choices and value not in choices:
            raise ConfigError(f"{owner} option {spec.name} must be one of "
                              f"{', '.join(map(str, choices))}, got {value!r}")
        if value is None or (low is None and high is None):
            continue
        if not isinstance(value, int | float) or value != value \
                or (low is not None and not value >= low) \
                or (high is not None and not value <= high):
            bounds = " and ".join(text for text in (
                f">= {low}" if low is not None else "", f"<= {high}" if high is not None else "")
                if text)
            raise ConfigError(f"{owner} option {spec.name} must be {bounds}, got {value!r}")
