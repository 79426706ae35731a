"""Writing files safely: atomic files and folders, JSON and JSON lines, locks, output checks.

Everything tfreid writes goes through here, so that nothing half-written ever
sits under a final name and nothing tfreid did not write is ever replaced.
"""

from tfreid.io.atomic import atomic_directory, atomic_file, write_json, write_text
from tfreid.io.jsonl import append_row, read_rows
from tfreid.io.locks import exclusive_lock
from tfreid.io.outputs import check_new_output, check_not_nested, ensure_writable_dir

__all__ = ["append_row", "atomic_directory", "atomic_file", "check_new_output",
           "check_not_nested", "ensure_writable_dir", "exclusive_lock", "read_rows",
           "write_json", "write_text"]
