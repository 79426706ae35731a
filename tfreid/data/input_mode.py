"""Whether a run holds its dataset in memory or streams it from the TFRecord shards.

``memory`` decodes every split once into arrays (fastest for data that fits),
``stream`` keeps only the record index in memory and reads each batch's images
from disk (``tfreid.data.record_images``), ``auto`` streams when the decoded
images would take more than a quarter of the memory this process may use (the
arrays are copied once more into the tf.data pipeline). ``tfreid.data.Dataset``
chooses from the manifest it has read (``Dataset.choose_input``).
"""

import os
import resource
from pathlib import Path
from typing import Any

from tfreid.errors import ConfigError

INPUTS = ("auto", "memory", "stream")


def _cgroup_limit() -> int | None:
    """The memory limit of this process's cgroup (v1 or v2), None if it has none."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            candidate = Path(f"/sys/fs/cgroup{path}") / "memory.max"
        elif "memory" in controllers.split(","):
            candidate = Path(f"/sys/fs/cgroup/memory{path}") / "memory.limit_in_bytes"
        else:
            continue
        try:
            text = candidate.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def _available_memory() -> int:
    """MemAvailable of /proc/meminfo (free plus reclaimable), or the free pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def memory_budget() -> int:
    """Bytes this process may use: available memory, capped by its cgroup's limit and its
    address-space limit."""
    limits = [_available_memory()]
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    cgroup = _cgroup_limit()
    if cgroup is not None:
        limits.append(cgroup)
    return min(limits)


def manifest_decoded_bytes(manifest: dict[str, Any], image_size: tuple[int, int]) -> int:
    """Bytes of every split's images of a manifest decoded to uint8 at ``image_size``."""
    count = sum(info["num_images"] for info in manifest["splits"].values())
    return count * image_size[0] * image_size[1] * 3


def input_for(requested: str, decoded: int, budget: int | None = None) -> str:
    """"memory" or "stream" for ``requested`` (one of INPUTS) and images of ``decoded``
    bytes; ``budget`` defaults to ``memory_budget()``."""
    if requested not in INPUTS:
        raise ConfigError(f"unknown input {requested!r}; choose from {', '.join(INPUTS)}")
    if requested != "auto":
        return requested
    budget = memory_budget() if budget is None else budget
    return "stream" if 4 * decoded > budget else "memory"


def decoded_bytes(dataset: Any, image_size: tuple[int, int]) -> int:
    """Bytes of every split's images decoded to uint8 at ``image_size``; ``dataset`` is a
    ``tfreid.data.Dataset`` or its directory."""
    from tfreid.data.dataset import Dataset

    return Dataset.open(dataset).decoded_bytes(image_size)


def choose_input(requested: str, dataset: Any, image_size: tuple[int, int],
                 budget: int | None = None) -> str:
    """"memory" or "stream" for ``requested`` (one of INPUTS) and ``dataset`` (a
    ``tfreid.data.Dataset`` or its directory); ``budget`` defaults to ``memory_budget()``."""
    if requested != "auto":
        return input_for(requested, 0, budget)
    return input_for(requested, decoded_bytes(dataset, image_size), budget)
