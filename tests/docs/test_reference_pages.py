"""The API reference (docs/reference/) covers tfreid: every public module has a page, every
page renders a module that exists, and every page is in mkdocs.yml's nav, so a new module
without a page (or a page left behind by a removed module) fails here, before the strict
``mkdocs build``. Reads files only: nothing is imported and no TensorFlow loads.

A module or package ``tfreid.a.b`` has its page at ``docs/reference/a/b.md`` (a package's
modules in the folder beside it: ``docs/reference/a/b/c.md``); the package ``tfreid`` itself
at ``docs/reference/tfreid.md``.
Each page holds one ``::: tfreid.a.b`` line (mkdocstrings renders the module's docstrings
there). ``tfreid.cli`` (the command lines) and private ``_`` modules have no page."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "tfreid"
REFERENCE = REPO / "docs" / "reference"
DIRECTIVE = re.compile(r"^::: (\S+)\s*$", re.MULTILINE)


def public_modules() -> dict[str, Path]:
    """Every public module and package of tfreid -> the page it should have."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "__pycache__" in parts or any(part.startswith("_") for part in parts):
            continue
        if parts[1:2] == ["cli"]:
            continue
        inner = parts[1:] or ["tfreid"]
        page = REFERENCE.joinpath(*inner[:-1]) / f"{inner[-1]}.md"
        modules[".".join(parts)] = page
    return modules


def module_pages() -> dict[Path, list[str]]:
    """Every reference page (not the index) -> the objects its ``:::`` lines render."""
    return {page: DIRECTIVE.findall(page.read_text(encoding="utf-8"))
            for page in REFERENCE.rglob("*.md") if page != REFERENCE / "index.md"}


def test_every_public_module_has_its_page():
    missing = []
    for name, page in sorted(public_modules().items()):
        if not page.is_file() or name not in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            missing.append(f"{name}: {page.relative_to(REPO)} with '::: {name}'")
    assert not missing, ("modules without a reference page (write it as '# tfreid.a.b', a blank "
                         "line, '::: tfreid.a.b'; link it from docs/reference/index.md and add "
                         "it to mkdocs.yml's nav):\n" + "\n".join(missing))


def test_every_page_names_an_existing_module():
    modules = public_modules()
    wrong = []
    for page, names in sorted(module_pages().items()):
        if len(names) != 1:
            wrong.append(f"{page.relative_to(REPO)}: {len(names)} '::: ' lines, expected 1")
        for name in names:
            if modules.get(name) != page:
                wrong.append(f"{page.relative_to(REPO)}: '::: {name}' is not a public module "
                             "of tfreid whose page is here")
    assert not wrong, "\n".join(wrong)


def test_every_page_is_listed_in_the_index_and_the_nav():
    index = (REFERENCE / "index.md").read_text(encoding="utf-8")
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    unlisted = []
    for page in sorted(module_pages()):
        relative = page.relative_to(REFERENCE).as_posix()
        if f"]({relative})" not in index:
            unlisted.append(f"docs/reference/index.md lacks a link to {relative}")
        if not re.search(rf"^\s*- (?:[^\n]*: )?reference/{re.escape(relative)}\s*$", nav,
                         re.MULTILINE):
            unlisted.append(f"mkdocs.yml's nav lacks reference/{relative}")
    assert not unlisted, "\n".join(unlisted)
