"""The argument parser of every command: one-line errors and defaults in ``--help``.

``ArgumentParser`` reports a bad option as one ``error: ...`` line with exit
status 2 (argparse's own prints a usage block first) and shows each option's
default in ``--help``. The value types are in ``tfreid.option_types``.
"""

import argparse


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors and defaults shown in ``--help``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")
