"""Every short name of a work the code cites ("paper 000", "thesis 003", "003 eq. 3.1")
is resolved to its full citation by docs/papers.md, inside the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHORT_NAME = re.compile(r"\b(?:paper|thesis|papers)\s+(\d{3})\b", re.IGNORECASE)


def cited_numbers() -> set[str]:
    found = set()
    for path in [*(ROOT / "tfreid").rglob("*.py"), ROOT / "README.md"]:
        found.update(SHORT_NAME.findall(path.read_text()))
    return found


def test_docs_papers_cites_every_work_the_code_names():
    page = (ROOT / "docs" / "papers.md").read_text()
    rows = {number: line for line in page.splitlines()
            for number in re.findall(r"^\| (?:paper|thesis) (\d{3})", line)}
    cited = cited_numbers()
    assert cited == {"000", "001", "002", "003", "004"}
    for number in cited:
        assert number in rows, f"docs/papers.md has no row for paper {number}"
        assert re.search(r"\*[^*]{10,}\*", rows[number]), f"paper {number}: no title"


def test_no_code_points_outside_the_repository_for_a_citation():
    for path in (ROOT / "tfreid").rglob("*.py"):
        assert "shared/papers" not in path.read_text(), path
