"""Every command names itself ``tfreid <command>`` in its usage and errors, and every
option has help that shows its default once (issue 20, item 4)."""

import argparse

import pytest

from tests.helpers import ROOT, script, the_error_line
from tfreid.catalog import COMMANDS, METHODS
from tfreid.cli import parsing
from tfreid.cli.train_selfsup import SELF_SUPERVISED

# every --help of a command: the command alone, train's and train-selfsup's per method
HELPS = [(name, []) for name in COMMANDS] + \
        [("train", ["--method", m]) for m in METHODS] + \
        [("train-selfsup", ["--method", m]) for m in SELF_SUPERVISED]


def _help(name: str, argv: list[str], capsys, monkeypatch) -> tuple[str, parsing.ArgumentParser]:
    """The ``--help`` text of ``tfreid name *argv`` and the parser that printed it."""
    printed = []
    original = parsing.ArgumentParser.print_help

    def print_help(self, file=None):
        printed.append(self)
        original(self, file)

    monkeypatch.setattr(parsing.ArgumentParser, "print_help", print_help)
    with pytest.raises(SystemExit) as stop:
        COMMANDS.get(name)([*argv, "--help"])
    assert stop.value.code == 0 and len(printed) == 1
    return capsys.readouterr().out, printed[0]


def _parsers(parser: argparse.ArgumentParser):
    """``parser`` and its subcommands' parsers (make-tfrecords' sources)."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


@pytest.mark.parametrize("name, argv", HELPS, ids=[" ".join([n, *a]) for n, a in HELPS])
def test_help_names_the_command_and_shows_each_default_once(name, argv, capsys, monkeypatch):
    text, parser = _help(name, argv, capsys, monkeypatch)
    assert text.startswith(f"usage: tfreid {name} "), text.splitlines()[0]
    for each in _parsers(parser):
        assert each.prog.startswith(f"tfreid {name}")
        formatter = each._get_formatter()
        for action in each._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = f"{each.prog} {'/'.join(action.option_strings) or action.dest}"
            assert action.help and action.help.strip(), f"{label} has no help"
            shown = formatter._expand_help(action)
            assert shown.lower().count("default") <= 1, f"{label}: {shown}"
            assert "(default: None)" not in shown and "%" not in shown.replace("%%", ""), \
                f"{label}: {shown}"


def test_defaults_show_as_values(capsys, monkeypatch):
    text, _ = _help("train-siamese", [], capsys, monkeypatch)
    flat = " ".join(text.split())
    assert "--epochs EPOCHS" in flat and "(default: 64)" in flat  # --batch-size or --image-size
    assert "(default: --save-export)" in flat and "(default: --no-sync-batch-norm)" in flat
    text, _ = _help("compress", [], capsys, monkeypatch)
    assert "(default: slicing low_rank pruning)" in " ".join(text.split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_unknown_option_names_the_command(name, capsys):
    with pytest.raises(SystemExit) as stop:
        COMMANDS.get(name)(["--no-such-option"])
    line = the_error_line(capsys.readouterr().err)
    assert stop.value.code == 2 and line.endswith(f"(see tfreid {name} --help)"), line


SCRIPTS = sorted(path.stem for path in (ROOT / "scripts").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_name_the_command(name, tmp_path):
    command = name.replace("_", "-")
    assert command in COMMANDS
    shown = script(name, "--help", cwd=tmp_path, timeout=60)
    assert shown.returncode == 0 and shown.stdout.startswith(f"usage: tfreid {command} ")
    refused = script(name, "--no-such-option", cwd=tmp_path, timeout=60)
    assert refused.returncode == 2
    assert the_error_line(refused.stderr).endswith(f"(see tfreid {command} --help)")
