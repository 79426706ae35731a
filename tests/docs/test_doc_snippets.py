r"""Every code example in the docs runs in CI, so the docs cannot rot.

The convention, for every page of ``docs/`` (``docs/**/*.md``) and for ``README.md``:

* Every fenced block opened with ```` ```python ```` runs; no other block does. Show
  commands, their output and anything not meant to run in ```` ```bash ````,
  ```` ```console ```` or ```` ```text ```` blocks. (A block fenced ```` ```py ````,
  ```` ```python3 ```` or ```` ```ipython ```` would silently not run, so it is refused:
  ``test_python_blocks_are_fenced_python``.)
* The python blocks of one page run in order, in one namespace, like one script: a later
  block uses what an earlier one made (its imports too).
* Each page runs in a fresh temporary working directory, with ``TFREID_HOME`` unset, so
  relative paths and tfreid's default ``tfrecords/``, ``logs/`` and ``exports/`` all land
  there: whatever a page writes is thrown away. Environment variables a page sets are
  restored afterwards, and so is Keras' global mixed-precision policy.
* A page runs on tiny data that it makes itself in a python block: a few PNG images of
  random noise written with PIL, a generated surface set of a dozen identities
  (``tfreid.data.default.make_surfaces``), random vectors. Nothing downloads, and a page
  takes seconds, not minutes: all pages together stay within about a minute on two CPU
  cores (training is a step or an epoch of a tiny model, at most).
* Keras is tfreid's ``tf_keras``: a page writes ``from tfreid.backend import keras, tf``
  (or ``import tfreid`` before ``import tf_keras as keras``).
* A failure names the page, the block's number among the page's python blocks, the line
  of its opening fence and its first line, with the traceback into the block.
* Commands are not run, but they are checked: in ```` ```bash ```` blocks every line (and
  in ```` ```console ```` blocks every line after ``$ ``) that runs ``tfreid <command>``
  must name a real command, and each ``--flag`` on it must appear in that command's
  ``--help`` (with ``make-tfrecords``' source and ``--method M``, as ``tfreid train
  --method batch --help`` shows the batch method's flags; other values are not checked).
  ``NAME=value`` settings before the command, a trailing ``&``, ``\`` continuations and
  ``#`` comments are allowed; other programs (``pip``, ``python benchmarks/...``,
  ``tensorboard``) are left alone.

Run them all, or one page::

    python -m pytest -p no:cacheprovider tests/docs/test_doc_snippets.py
    python -m pytest -p no:cacheprovider tests/docs/test_doc_snippets.py -k own-images
"""

import linecache
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.shell_commands import command_lines, line_problems, tfreid_argv

REPO = Path(__file__).resolve().parents[2]
RUNS = "python"  # the one fence language that runs
REFUSED = {"py", "py3", "python3", "ipython", "ipython3"}  # look like Python, would not run

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its language, the line of its opening fence (1-based)
    and its text, dedented by the fence's own indentation (a block inside a list item or
    an admonition)."""

    page: str
    line: int
    language: str
    source: str

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.source.splitlines() if line.strip()), "")


def language_of(info: str) -> str:
    """The language of a fence's info string: ``python`` of ``python title="x.py"`` or of
    ``{.python}``; "" for a bare fence."""
    word = info.strip().lstrip("{").split(maxsplit=1)[0] if info.strip() else ""
    return word.lstrip(".").rstrip("}").lower()


def fenced_blocks(text: str, page: str) -> list[Block]:
    """Every fenced block of ``text`` (Markdown), in order; an unclosed fence runs to the end
    of the page, as Markdown reads it."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body, j = [], i + 1
        while j < len(lines) and not closing.match(lines[j]):
            line = lines[j]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            j += 1
        blocks.append(Block(page, i + 1, language_of(opening["info"]), "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def pages() -> list[Path]:
    """README.md and every Markdown page of docs/, in a fixed order."""
    found = sorted((REPO / "docs").rglob("*.md"))
    readme = REPO / "README.md"
    return ([readme] if readme.is_file() else []) + found


def page_name(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def python_blocks(path: Path) -> list[Block]:
    return [block for block in fenced_blocks(path.read_text(encoding="utf-8"), page_name(path))
            if block.language == RUNS]


PAGES_WITH_CODE = [path for path in pages() if python_blocks(path)]


def _reset_keras_policy() -> None:
    """Keras' global mixed-precision policy back to float32, if tf_keras is loaded at all
    (a page on mixed precision may set it; the next page and test must not inherit it)."""
    if "tf_keras" in sys.modules:
        sys.modules["tf_keras"].mixed_precision.set_global_policy("float32")


def _failure(block: Block, index: int, error: BaseException) -> str:
    """The message of a failed block: where it is, its first line, the traceback into it."""
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next))
    return (f"{block.page}: python block {index} (opening fence at line {block.line}: "
            f"{block.first_line!r}) failed:\n{trace}")


def run_page(blocks: list[Block]) -> None:
    """Run the blocks in order in one namespace (the module docstring's convention)."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    for index, block in enumerate(blocks, start=1):
        filename = f"{block.page} (python block {index}, fence at line {block.line})"
        linecache.cache[filename] = (len(block.source), None,
                                     block.source.splitlines(keepends=True), filename)
        failure = None
        try:
            exec(compile(block.source, filename, "exec"), namespace)
        except (Exception, SystemExit) as error:  # any failure is the page's
            failure = _failure(block, index, error)
        if failure is not None:  # outside the except: no "during handling" chain
            pytest.fail(failure, pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=page_name)
def test_the_python_blocks_of_the_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TFREID_HOME", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    environment = dict(os.environ)
    _reset_keras_policy()
    try:
        run_page(python_blocks(page))
    finally:
        _reset_keras_policy()
        os.environ.clear()
        os.environ.update(environment)


def test_python_blocks_are_fenced_python():
    refused = [block for page in pages()
               for block in fenced_blocks(page.read_text(encoding="utf-8"), page_name(page))
               if block.language in REFUSED]
    assert not refused, "; ".join(
        f"{b.page} line {b.line}: fenced ```{b.language}, which does not run: fence it "
        f"```python (it runs) or ```text (it does not)" for b in refused)


SHELL = {"bash", "sh", "shell", "console"}


def command_problems(block: Block) -> list[str]:
    """What is wrong with the tfreid commands of a shell block (nothing: [])."""
    return [problem for line in command_lines(block.source, block.language == "console")
            for problem in line_problems(line, f"{block.page} line {block.line}: {line!r}")]


SHELL_PAGES = [path for path in pages()
               if any(b.language in SHELL for b in fenced_blocks(
                   path.read_text(encoding="utf-8"), page_name(path)))]


@pytest.mark.parametrize("page", SHELL_PAGES, ids=page_name)
def test_the_tfreid_commands_of_the_page_are_real(page):
    blocks = [b for b in fenced_blocks(page.read_text(encoding="utf-8"), page_name(page))
              if b.language in SHELL]
    problems = [problem for block in blocks for problem in command_problems(block)]
    assert not problems, "\n".join(problems)


def test_shell_lines_are_read_as_a_shell_would():
    block = Block("page.md", 1, "bash", "\n".join([
        "tfreid train --method batch \\", "    --loss multi_similarity   # a comment",
        "TFREID_HOME=~/reid tfreid train-siamese &", "pip install tfreid", ""]))
    assert [tfreid_argv(line) for line in command_lines(block.source)] == [
        ["train", "--method", "batch", "--loss", "multi_similarity"], ["train-siamese"], None]
    console = Block("page.md", 1, "console", "$ tfreid evaluate run\nerror: output\n")
    assert command_lines(console.source, console=True) == ["tfreid evaluate run"]
    wrong = Block("page.md", 7, "bash", "tfreid train --method batch --no-such-flag 3\n")
    assert command_problems(wrong) == ["page.md line 7: 'tfreid train --method batch "
                                       "--no-such-flag 3': tfreid train has no option "
                                       "--no-such-flag"]


def test_fences_are_found_in_lists_and_admonitions_and_dedented():
    text = "\n".join([
        "# Page", "", "```python", "x = 1", "```", "",
        "1. A step:", "", "    ```bash", "    tfreid train", "    ```", "",
        '!!! note', '    ```python title="y.py"', "    if x:", "        y = 2", "    ```", "",
        "````text", "```python", "not a block of its own", "```", "````", "",
        "~~~{.python}", "z = 3", "~~~",
    ])
    blocks = fenced_blocks(text, "page.md")
    assert [(b.language, b.line) for b in blocks] == [
        ("python", 3), ("bash", 9), ("python", 14), ("text", 19), ("python", 25)]
    assert blocks[2].source == "if x:\n    y = 2\n"
    assert blocks[3].source == "```python\nnot a block of its own\n```\n"
    namespace_check = {}
    exec(blocks[0].source + blocks[2].source + blocks[4].source, namespace_check)
    assert (namespace_check["y"], namespace_check["z"]) == (2, 3)


def test_a_failing_block_is_named_by_page_block_and_first_line():
    blocks = [b for b in fenced_blocks("```python\nx = 1\n```\n\n```python\n\n"
                                       "y = x + undefined\n```\n", "docs/page.md")
              if b.language == RUNS]
    with pytest.raises(pytest.fail.Exception) as failure:
        run_page(blocks)
    message = str(failure.value)
    assert message.startswith("docs/page.md: python block 2 (opening fence at line 5: "
                              "'y = x + undefined') failed:")
    assert "NameError" in message and "y = x + undefined" in message
