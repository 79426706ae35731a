"""Where the embedded default datasets live, and making them on first use.

They live under ``tfreid.io.home.tfrecords_root()`` (``$TFREID_HOME/tfrecords``, else
``./tfrecords``). ``tfrecords/surfaces`` (``SurfaceConfig()``) is the default of every training
command; ``tfrecords/surfaces-wide`` (``SurfaceConfig.wide_views()``, views that
differ far more, with easy / hard / junk ground truth) the default of the
self-supervised methods.
"""

from pathlib import Path
from typing import Any

from tfreid.data.manifest import MANIFEST_NAME, read_manifest
from tfreid.data.revisited import revisited_ground_truth
from tfreid.data.surfaces import SurfaceConfig, surface_records
from tfreid.data.writer import write_dataset
from tfreid.io.home import tfrecords_root
from tfreid.io.locks import exclusive_lock

DEFAULT_NAME = "surfaces"
WIDE_NAME = "surfaces-wide"


def surfaces_source(config: SurfaceConfig) -> str:
    """The manifest ``source`` of a generated surface set: generator and settings."""
    return f"tfreid.data.surfaces {config}"


def make_surfaces(out_dir: str | Path, config: SurfaceConfig | None = None,
                  overwrite: bool = False) -> dict:
    """Generate the surface set (default settings unless given) into ``out_dir``, with the
    easy / hard / junk ground truth of its query / gallery pairs."""
    config = config or SurfaceConfig()
    splits = surface_records(config)
    truth = revisited_ground_truth(config, splits["query"], splits["gallery"])
    return write_dataset(out_dir, splits, name=Path(out_dir).name,
                         source=surfaces_source(config), overwrite=overwrite,
                         extra={"revisited": truth})


def _current_manifest(out_dir: Path, config: SurfaceConfig) -> dict[str, Any] | None:
    """The manifest of ``out_dir`` if it holds the surface set of ``config``, else None."""
    if not (out_dir / MANIFEST_NAME).is_file():
        return None
    manifest = read_manifest(out_dir)
    return manifest if manifest["source"] == surfaces_source(config) else None


def default_dataset_dir(root: str | Path | None = None, wide: bool = False) -> Path:
    """The default dataset's folder (``wide``: the wide-view set's) under ``root``, which
    defaults to ``tfreid.io.home.tfrecords_root()``."""
    return Path(root if root is not None else tfrecords_root()) / (WIDE_NAME if wide
                                                                   else DEFAULT_NAME)


def existing_default_manifest(root: str | Path | None = None, wide: bool = False
                              ) -> tuple[Path, dict[str, Any] | None]:
    """(directory, manifest) of the default dataset (``wide``: the wide-view set) as it is
    now, never generated: the manifest None if it is not there or was made by other
    generator settings. Commands that only read data use this; training ones generate."""
    config = SurfaceConfig.wide_views() if wide else SurfaceConfig()
    out_dir = default_dataset_dir(root, wide)
    return out_dir, _current_manifest(out_dir, config)


def ensure_default_manifest(root: str | Path | None = None, verbose: bool = True,
                            wide: bool = False) -> tuple[Path, dict[str, Any]]:
    """(directory, manifest) of the default dataset (``wide``: the wide-view set),
    generated there first if it is not yet; the manifest is read once when it is.

    Generation holds a lock beside the dataset: a second process started
    meanwhile waits, then uses what the first wrote. A copy made by other
    generator settings (an older tfreid) is made again.
    """
    config = SurfaceConfig.wide_views() if wide else SurfaceConfig()
    out_dir = default_dataset_dir(root, wide)
    manifest = _current_manifest(out_dir, config)
    if manifest is not None:
        return out_dir, manifest
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out_dir.parent / f".{out_dir.name}.lock"):
        manifest = _current_manifest(out_dir, config)
        if manifest is None:
            if verbose:
                print(f"generating the default surface dataset into {out_dir} ...", flush=True)
            make_surfaces(out_dir, config, overwrite=out_dir.exists())
            manifest = read_manifest(out_dir)
    return out_dir, manifest


def ensure_default_dataset(root: str | Path | None = None, verbose: bool = True,
                           wide: bool = False) -> Path:
    """The default dataset's directory (``ensure_default_manifest``); ``tfreid.data.Dataset
    .default(wide=...)`` opens it."""
    return ensure_default_manifest(root, verbose, wide)[0]
