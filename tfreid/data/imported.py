"""What every importer returns: records by split, their source, and what was skipped.

An importer never drops or changes an image silently: each file it skips (a
name it cannot parse, a junk label) or re-encodes (a format TensorFlow cannot
decode) is counted by reason in ``notes``, which the command prints; and an
import that leaves a split empty fails instead of writing an unusable dataset.
"""

from dataclasses import dataclass, field

from tfreid.data.records import ImageRecord
from tfreid.errors import DataError


class ImportNotes:
    """Counts of skipped or changed files by reason, with the first file of each."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, str] = {}

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.first.setdefault(reason, example)

    def lines(self) -> list[str]:
        """One line per reason: 'reason: N file(s) (first: name)'."""
        return [f"{reason}: {count} file{'s' * (count != 1)} (first: {self.first[reason]})"
                for reason, count in self.counts.items()]


@dataclass
class ImportedDataset:
    """Records by split, a description of the source, optional identity names, notes."""

    splits: dict[str, list[ImageRecord]]
    source: str
    identity_names: dict[int, str] | None = None
    notes: ImportNotes = field(default_factory=ImportNotes)
    extra: dict = field(default_factory=dict)  # more manifest entries (ground truth, say)

    def check(self) -> "ImportedDataset":
        """Itself, or DataError if a split is empty (naming what was skipped)."""
        empty = [split for split, records in self.splits.items() if not records]
        if empty:
            skipped = "; ".join(self.notes.lines()) or "no image found"
            raise DataError(f"importing {self.source} leaves split(s) {', '.join(empty)} empty "
                            f"({skipped})")
        return self
