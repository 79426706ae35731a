"""Every ``Example::`` block in tfreid's docstrings runs, and every ``Command::`` block
names real commands and flags, so that neither can rot.

The convention, for every docstring of tfreid (module, class, function, method, property):

``Example::``
    The indented literal block after a line ``Example::`` is Python that runs as it
    stands: it carries its own imports (``from tfreid.losses import ContrastiveLoss``),
    builds tiny inputs or uses the few names below, takes a step or two of training at
    most, and ends with a cheap ``assert`` where it computes a value. Each block runs on
    its own, in a fresh namespace, with an empty temporary folder as the working
    directory (so relative paths such as ``"logs/run"`` or ``"model.onnx"`` are written
    there). A block may use, without defining them, only these names (``FIXTURES``):

    * ``images``: uint8 images (8, 40, 40, 3), 4 identities x 2 images each;
    * ``labels``: their identities, int32 (8,): ``[0, 0, 1, 1, 2, 2, 3, 3]``;
    * ``embeddings``: float32 (8, 16) unit vectors, the rows of ``labels``;
    * ``encoder``: a fresh, untrained tiny ``table1`` encoder (a ``tf_keras`` model),
      (40, 40, 3) uint8-range images -> 16-D embeddings;
    * ``export_dir``: a ``pathlib.Path`` to a SavedModel export of such an encoder
      (``tfreid.export.saved_model.export_saved_model``), shared by all blocks, read only;
    * ``records_dir``: a ``pathlib.Path`` to a tiny TFRecord dataset (``tests/conftest.py``'s
      ``tiny_dataset``, made by ``tfreid.data.default.make_surfaces``: 10 training
      identities, 4 held out), shared by all blocks, read only.

    A line of a shell command (``$ ...``, ``tfreid ...``, ``python scripts/...``,
    ``NAME=value tfreid ...``) does not belong in an ``Example::`` block.

``Command::``
    The indented block after a line ``Command::`` holds shell command lines (a ``#``
    starts a comment, a trailing ``\\`` continues a line, a leading ``$ `` and
    ``NAME=value`` environment settings are allowed). Each line is ``tfreid <command>
    ...`` (each script of ``scripts/`` is one of them); the test checks that the command is
    one of ``tfreid.catalog.COMMANDS`` and that each ``--flag`` given appears in that
    command's ``--help`` (as printed for the command, ``make-tfrecords``' source and
    ``--method M``, so ``tfreid train --method batch`` is checked against the batch
    method's flags: ``tests/docs/shell_commands.py``, shared with the docs' shell
    blocks). The commands themselves are not run.

Blocks are found by importing every module of the package (``pkgutil``) and reading the
docstrings of the module and of every class, function, method and property defined in
it; ``test_every_block_in_the_source_is_found`` checks that this finds as many blocks as
the source files hold, so none is skipped silently. A test's id is
``module:qualname#index`` (``<module>`` for the module's own docstring; ``index``
counts that docstring's blocks from 0).

    python -m pytest -p no:cacheprovider tests/docs/test_docstring_examples.py
"""

import importlib
import inspect
import linecache
import pkgutil
import re
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType

import numpy as np
import pytest

import tfreid
from tests.docs.shell_commands import command_lines, line_problems, tfreid_argv

ROOT = Path(__file__).resolve().parents[2]
MARKER_LINE = re.compile(r"^\s*(Example|Command)::\s*$")
SHELL_LINE = re.compile(r"^(\$ |tfreid\s|python3?\s+scripts/"
                        r"|[A-Za-z_][A-Za-z0-9_]*=\S*\s+tfreid\s)")

# the names an Example:: block may use without defining them (module docstring)
FIXTURES = ("images", "labels", "embeddings", "encoder", "export_dir", "records_dir")

# blocks skipped for now, with why: files being rewritten elsewhere, whose new Example::
# text is pasted in with them (then their entry goes)


@dataclass(frozen=True)
class Block:
    """One ``Example::`` or ``Command::`` block: where it is and its dedented text."""

    module: str
    qualname: str  # "<module>" for the module's own docstring
    index: int
    marker: str
    source: str

    @property
    def id(self) -> str:
        return f"{self.module}:{self.qualname}#{self.index}"

    def where(self) -> str:
        owner = "the module docstring" if self.qualname == "<module>" else self.qualname
        return f"{self.marker}:: block #{self.index} of {owner} in {self.module}"


def blocks_of(doc: str | None) -> list[tuple[str, str]]:
    """(marker, dedented text) of each ``Example::`` or ``Command::`` block of ``doc``: the
    lines after the marker line that are blank or indented deeper than it."""
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    found = []
    for number, line in enumerate(lines):
        match = MARKER_LINE.match(line)
        if not match:
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        found.append((match.group(1), textwrap.dedent("\n".join(body)).strip("\n")))
    return found


def module_names() -> list[str]:
    """Every module of the tfreid package, imported (an import error fails here)."""
    names = ["tfreid"]
    for info in pkgutil.walk_packages(tfreid.__path__, "tfreid.", onerror=_raise):
        names.append(info.name)
    return sorted(names)


def _raise(name: str) -> None:
    raise ImportError(f"walking tfreid: cannot import {name}")


def documented(module: ModuleType):
    """(qualname, docstring) of the module and of each class, function, method and property
    defined in it, each object once."""
    yield "<module>", module.__doc__
    seen: set[int] = set()

    def members(owner, prefix: str):
        for name, value in vars(owner).items():
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            elif isinstance(value, property):
                value = value.fget
            value = getattr(value, "python_function", value)  # a tf.function
            if not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if getattr(value, "__module__", None) != module.__name__ or id(value) in seen:
                continue
            qualname = getattr(value, "__qualname__", f"{prefix}{name}")
            if qualname != f"{prefix}{name}":  # an alias, or defined elsewhere
                continue
            seen.add(id(value))
            yield qualname, value.__doc__
            if inspect.isclass(value):
                yield from members(value, f"{qualname}.")

    yield from members(module, "")


def collect() -> list[Block]:
    found = []
    for name in module_names():
        module = importlib.import_module(name)
        for qualname, doc in documented(module):
            for index, (marker, source) in enumerate(blocks_of(doc)):
                found.append(Block(name, qualname, index, marker, source))
    return found


BLOCKS = collect()
EXAMPLES = [block for block in BLOCKS if block.marker == "Example"]
COMMANDS_BLOCKS = [block for block in BLOCKS if block.marker == "Command"]


# ---- the names a block may use ----------------------------------------------------------

@pytest.fixture(scope="session")
def images():
    return np.random.default_rng(0).integers(0, 256, (8, 40, 40, 3), dtype=np.uint8)


@pytest.fixture(scope="session")
def labels():
    return np.repeat(np.arange(4, dtype=np.int32), 2)


@pytest.fixture(scope="session")
def embeddings():
    rows = np.random.default_rng(1).normal(size=(8, 16)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def tiny_encoder():
    from tfreid.models.backbones import build_encoder

    return build_encoder("table1", (40, 40), 16, width=0.25)


@pytest.fixture
def encoder():
    return tiny_encoder()


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory):
    from tfreid.export.saved_model import export_saved_model

    return export_saved_model(tiny_encoder(), tmp_path_factory.mktemp("export") / "export")


@pytest.fixture(scope="session")
def records_dir(tiny_dataset):
    return tiny_dataset


def names_used(code: CodeType) -> set[str]:
    """Every name ``code`` and the code nested in it load (globals, attributes and all)."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= names_used(constant)
    return names


# ---- the tests ---------------------------------------------------------------------------

def test_blocks_are_found():
    assert EXAMPLES, "no Example:: block found in tfreid"


def test_every_block_in_the_source_is_found():
    """As many marker lines in each module's source as blocks collected from its objects
    (a block in a comment, a nested function or a string that is no docstring would be
    missed by the walk: move it into a docstring)."""
    counted: dict[str, int] = {}
    for block in BLOCKS:
        counted[block.module] = counted.get(block.module, 0) + 1
    for name in module_names():
        module = importlib.import_module(name)
        text = Path(module.__file__).read_text(encoding="utf-8")
        in_source = sum(bool(MARKER_LINE.match(line)) for line in text.splitlines())
        assert in_source == counted.get(name, 0), (
            f"{module.__file__} holds {in_source} Example::/Command:: lines, but the "
            f"docstrings of {name}'s module, classes and functions hold "
            f"{counted.get(name, 0)} blocks")


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.id for block in EXAMPLES])
def test_example_runs(block: Block, request, tmp_path, monkeypatch):
    run_example(block, request, tmp_path, monkeypatch)


def run_example(block: Block, request, folder: Path, monkeypatch) -> None:
    """Run ``block`` in ``folder`` with the ``FIXTURES`` it names; a failure shows the
    block, where it is and the traceback (lines of the block included)."""
    assert block.source.strip(), f"{block.where()} is empty"
    for line in block.source.splitlines():
        assert not SHELL_LINE.match(line), (
            f"{block.where()} holds a shell command ({line.strip()!r}): write it under "
            f"Command:: (tests/docs/test_docstring_examples.py)")
    filename = f"<{block.id}>"
    linecache.cache[filename] = (len(block.source), None,
                                 block.source.splitlines(True), filename)
    try:
        code = compile(block.source, filename, "exec")
    except SyntaxError as error:
        pytest.fail(f"{block.where()} is not Python: {error}\n\n{block.source}")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("TFREID_HOME", raising=False)
    namespace = {"__name__": "__main__"}
    namespace.update({name: request.getfixturevalue(name)
                      for name in FIXTURES if name in names_used(code)})
    try:
        exec(code, namespace)
    except Exception:
        pytest.fail(f"{block.where()} fails:\n\n{textwrap.indent(block.source, '    ')}\n\n"
                    f"{traceback.format_exc()}", pytrace=False)


# ---- Command:: blocks --------------------------------------------------------------------

@pytest.mark.parametrize("block", COMMANDS_BLOCKS, ids=[block.id for block in COMMANDS_BLOCKS])
def test_command_names_real_commands_and_flags(block: Block):
    lines = command_lines(block.source)
    assert lines, f"{block.where()} holds no command"
    for line in lines:
        assert tfreid_argv(line), f"{block.where()}: {line!r} is not 'tfreid <command> ...'"
    problems = [problem for line in lines for problem in line_problems(line, block.where())]
    assert not problems, "\n".join(problems)
