"""Where a dataset lives: a local directory or any pyarrow / fsspec filesystem URI.

``open_root("data")``, ``open_root("s3://bucket/newspipe?endpoint_override=…")``
and ``open_root("gs://bucket/newspipe")`` give the same small interface, so
the storage code never asks which one it has. Schemes pyarrow knows natively
(s3, gs, hdfs, file, abfs) use pyarrow's filesystems and their usual
credentials (``AWS_ACCESS_KEY_ID`` and friends); any other scheme goes
through fsspec (``memory://``, ``az://`` with adlfs, ...).

Crawl state, locks and raw pages are working files of the machine that runs
the crawl, not part of the published dataset: ``work_dir()`` says where they
go (the data root itself when it is local).
"""
from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow.fs as pafs

from storage.layout import REPORT_FILE

_ARROW_SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "file", "abfs", "abfss")


@dataclass(frozen=True)
class Root:
    """A dataset root: a filesystem and a base path inside it."""

    fs: pafs.FileSystem
    base: str
    uri: str

    @property
    def local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts]) if self.base else "/".join(parts)

    def info(self, path: str) -> pafs.FileInfo:
        return self.fs.get_file_info(path)

    def exists(self, path: str) -> bool:
        return self.info(path).type != pafs.FileType.NotFound

    def is_dir(self, path: str) -> bool:
        return self.info(path).type == pafs.FileType.Directory

    def listdir(self, path: str) -> list[pafs.FileInfo]:
        """Entries directly under ``path`` (none if it does not exist), sorted by name."""
        return sorted(self.fs.get_file_info(pafs.FileSelector(path, allow_not_found=True)), key=lambda i: i.path)

    def write_bytes(self, path: str, data: bytes) -> None:
        with self.fs.open_output_stream(path) as out:
            out.write(data)

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as src:
            return src.read()

    def delete_dir(self, path: str) -> None:
        if self.is_dir(path):
            self.fs.delete_dir(path)

    def delete_file(self, path: str) -> None:
        if self.info(path).type == pafs.FileType.File:
            self.fs.delete_file(path)

    def display(self, path: str) -> str:
        """A path as the user would write it, for messages."""
        if self.local:
            return path
        scheme = self.uri.split("://", 1)[0]
        return f"{scheme}://{path}"


def open_root(data: str | Path | Root) -> Root:
    """The dataset root named by a directory or a URI."""
    if isinstance(data, Root):
        return data
    text = str(data)
    if "://" not in text:
        return Root(pafs.LocalFileSystem(), str(Path(text).absolute()), text)
    scheme = text.split("://", 1)[0].lower()
    if scheme in _ARROW_SCHEMES:
        fs, base = pafs.FileSystem.from_uri(text)
        return Root(fs, base.rstrip("/"), text)
    import fsspec
    fs, base = fsspec.core.url_to_fs(text)
    return Root(pafs.PyFileSystem(pafs.FSSpecHandler(fs)), base.rstrip("/"), text)


def stale_seconds() -> float:
    """``NEWSPIPE_SWAP_STALE_SECONDS`` (3600): how long a swap or temporary file untouched is taken
    for a dead writer's (object stores have no locks to tell)."""
    return float(os.environ.get("NEWSPIPE_SWAP_STALE_SECONDS") or 3600)


def work_dir(data: str | Path | Root) -> Path:
    """Local directory for crawl state, locks and raw pages: the data root when it is local,
    else ``NEWSPIPE_WORK_DIR`` or ``~/.cache/newspipe/<hash of the URI>``."""
    root = open_root(data)
    if root.local:
        return Path(root.base)
    configured = os.environ.get("NEWSPIPE_WORK_DIR")
    if configured:
        return Path(configured)
    digest = hashlib.sha256(root.uri.split("?", 1)[0].encode()).hexdigest()[:12]
    return Path.home() / ".cache" / "newspipe" / digest


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block has written it, it is renamed over
    ``path`` (atomic on a local disk). Its name never matches the directory's data globs and is
    unique, so concurrent writers and a crash mid-write leave no half file behind a real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:12]}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, text: str) -> None:
    """Write a local text file atomically (see ``replacing``)."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def put_file(data: str | Path | Root, out: str | Path | None, content: bytes) -> str:
    """Write ``content`` to the local path ``out``, or when None to the data root's report file
    (``storage.layout.REPORT_FILE``; an object store's put is atomic, a local one is renamed into
    place). Returns where it went, as a user would write it."""
    if out is not None:
        with replacing(out) as tmp:
            tmp.write_bytes(content)
        return str(out)
    root = open_root(data)
    path = root.path(REPORT_FILE)
    if root.local:
        with replacing(path) as tmp:
            tmp.write_bytes(content)
    else:
        root.write_bytes(path, content)
    return root.display(path)

