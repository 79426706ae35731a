"""How often one run reads its dataset's manifest.json, and from where.

    python benchmarks/manifest_reads.py [train_siamese options, default: the quickstart]

Runs ``train_siamese`` (the README's quickstart: ``--loss contrastive`` on the embedded
surface set, generated into ./tfrecords on first use) in the current folder with every
``Path.read_text`` of a file named manifest.json counted, and prints the count and the
lines that read it. With the default set generated already, 692cef5 read it 6 times
(once to check the default set, once per split, once to choose memory or streaming, once
for the revisited masks); since ``tfreid.data.Dataset`` (issue 19) it is read once.
"""

import collections
import os
import pathlib
import sys
import traceback

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def main(argv: list[str]) -> int:
    reads: collections.Counter = collections.Counter()
    read_text = pathlib.Path.read_text

    def counting(path: pathlib.Path, *args, **kwargs) -> str:
        if path.name == "manifest.json":
            caller = traceback.extract_stack(limit=3)[0]
            reads[f"{caller.filename}:{caller.lineno}"] += 1
        return read_text(path, *args, **kwargs)

    pathlib.Path.read_text = counting
    from tfreid.cli.train_siamese import main as train_siamese

    code = train_siamese(argv or ["--loss", "contrastive"])
    print(f"manifest.json reads in this run: {sum(reads.values())}")
    for where, count in reads.most_common():
        print(f"  {count} x {where}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
