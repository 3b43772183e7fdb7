"""What a partition holds now, as a short string that changes whenever it is rewritten:
derived data (the dedup index) records it per day and finds the days changed since."""
from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs

from storage.dataset import partition_files
from storage.fs import Root, open_root
from storage.layout import partition_day


def partition_versions(root: str | Path | Root, name: str) -> dict[str, str]:
    """``{"YYYY-MM-DD": version}`` of every partition of table ``name`` (after recovery):
    its files' names, sizes and modification times. One recursive listing (on an object store
    one request per 1,000 files, not one per day). A day being swapped in by a live writer
    at that moment reads as its old or no version; the writer's own sync comes after it."""
    root = open_root(root)
    out = {}
    for part, items in _listed(root, name).items():
        day = partition_day(part.split("/")[-1])
        if day is not None and items:
            out[day.isoformat()] = ";".join(f"{i.base_name}:{i.size}:{i.mtime_ns}" for i in sorted(items, key=lambda i: i.path))
    return out


def _listed(root: Root, name: str) -> dict[str, list[pafs.FileInfo]]:
    partition_files(root, name, days=[])  # recovers an interrupted swap first, lists no partition
    out: dict[str, list[pafs.FileInfo]] = {}
    sel = pafs.FileSelector(root.path(name), recursive=True, allow_not_found=True)
    for i in root.fs.get_file_info(sel):
        parent, base = i.path.rsplit("/", 1)
        part = parent.rsplit("/", 1)[-1]
        if i.type == pafs.FileType.File and base.endswith(".parquet") and not base.startswith(".") \
                and partition_day(part) is not None:
            out.setdefault(part, []).append(i)
    return out
