"""The argument parser of every command: one-line errors and defaults in ``--help``.

``ArgumentParser`` reports a bad option as one ``error: ...`` line with exit
status 2 (argparse's own prints a usage block first) and shows each option's
default once in ``--help`` (``HelpFormatter``). A command names itself as ``tfreid
<command>``, its name in ``tfreid.catalog.COMMANDS``, in its usage line and its errors,
whether it was started by ``tfreid`` or by a script of ``scripts/``. The value types are
in ``tfreid.option_types``.
"""

import argparse

_BOOLEAN_SUFFIX = " (default: %(default)s)"  # what BooleanOptionalAction adds (Python < 3.14)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's help with its default once: ``(default: X)`` is added unless the help
    already says what the default is, or there is none to show (``None``, a flag that is
    off unless given). A list shows as its words, a ``--x/--no-x`` flag as the one that is
    on."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if isinstance(action, argparse.BooleanOptionalAction) and text.endswith(_BOOLEAN_SUFFIX):
            text = text[:-len(_BOOLEAN_SUFFIX)]
        shown = _shown_default(action)
        if shown is None or "default" in text.lower():
            return text
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()


def _shown_default(action: argparse.Action) -> str | None:
    """The default ``--help`` shows for ``action``, or None where there is none to show."""
    default = action.default
    if isinstance(action, argparse.BooleanOptionalAction) and isinstance(default, bool):
        flag = next(s for s in action.option_strings if s.startswith("--")
                    and not s.startswith("--no-"))
        return flag if default else "--no-" + flag[2:]
    if default is None or default is argparse.SUPPRESS or default is False:
        return None
    if not action.option_strings and action.nargs not in (argparse.OPTIONAL,
                                                            argparse.ZERO_OR_MORE):
        return None  # a required positional
    if isinstance(action, argparse._StoreConstAction):  # store_true / store_const
        return None
    if isinstance(default, list | tuple):
        if isinstance(default, tuple) and len(default) == 2 and "size" in action.dest:
            return "x".join(str(side) for side in default)  # an image size, HxW
        return " ".join(str(value) for value in default)
    return str(default)


def command_prog(prog: str) -> str:
    """``tfreid <command>`` for a command's name (``train-siamese``, or the module's
    ``train_siamese``); a name that starts with ``tfreid`` stays as it is."""
    if prog == "tfreid" or prog.startswith("tfreid "):
        return prog
    return "tfreid " + prog.replace("_", "-")


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors, ``tfreid <command>`` as its name and each option's
    default shown once in ``--help``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        if kwargs.get("prog"):
            kwargs["prog"] = command_prog(kwargs["prog"])
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")
