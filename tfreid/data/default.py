"""Where the embedded default dataset lives, and making it on first use."""

from pathlib import Path

from tfreid.data.manifest import MANIFEST_NAME, read_manifest
from tfreid.data.surfaces import SurfaceConfig, surface_records
from tfreid.data.writer import write_dataset
from tfreid.io.locks import exclusive_lock

DEFAULT_ROOT = Path("tfrecords")
DEFAULT_NAME = "surfaces"


def surfaces_source(config: SurfaceConfig) -> str:
    """The manifest ``source`` of a generated surface set: generator and settings."""
    return f"tfreid.data.surfaces {config}"


def make_surfaces(out_dir: str | Path, config: SurfaceConfig | None = None,
                  overwrite: bool = False) -> dict:
    """Generate the surface set (default settings unless given) into ``out_dir``."""
    config = config or SurfaceConfig()
    return write_dataset(out_dir, surface_records(config), name=Path(out_dir).name,
                         source=surfaces_source(config), overwrite=overwrite)


def _is_current(out_dir: Path) -> bool:
    return (out_dir / MANIFEST_NAME).is_file() and \
        read_manifest(out_dir)["source"] == surfaces_source(SurfaceConfig())


def ensure_default_dataset(root: str | Path = DEFAULT_ROOT, verbose: bool = True) -> Path:
    """The default dataset's directory, generated there first if it is not yet.

    Generation holds a lock beside the dataset: a second process started
    meanwhile waits, then uses what the first wrote. A copy made by other
    generator settings (an older tfreid) is made again.
    """
    out_dir = Path(root) / DEFAULT_NAME
    if _is_current(out_dir):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out_dir.parent / f".{DEFAULT_NAME}.lock"):
        if not _is_current(out_dir):
            if verbose:
                print(f"generating the default surface dataset into {out_dir} ...", flush=True)
            make_surfaces(out_dir, overwrite=out_dir.exists())
    return out_dir
