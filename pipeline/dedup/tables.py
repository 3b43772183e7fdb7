"""Unicode tables kept on disk beside the kernels' machine code (in ``NUMBA_CACHE_DIR``, which
``jit`` sets to its folder unless the operator did; else in ``__pycache__``): the kernels' fold, NFKC
and case tables take 60-90 ms to build from ``unicodedata`` in every process, and a
millisecond to load. A file is named by what its content depends on (Python's and Unicode's
versions, the sources that build it), so an edit or an upgrade builds a new one; one that
cannot be read is built again, and one that cannot be written is not kept (a read-only
install)."""
from __future__ import annotations

import functools
import hashlib
import importlib
import os
import sys
import unicodedata
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np


def on_disk(*sources: str) -> Callable:
    """Decorator for a function of no arguments that builds arrays from ``unicodedata``: built
    once per process, kept on disk across processes. ``sources``: the modules whose code the
    arrays depend on, beside the function's own."""
    def wrap(build: Callable):
        def path() -> Path:
            return _path(build, (build.__module__, *sources))

        @functools.wraps(build)
        def load():
            try:
                with np.load(path()) as stored:
                    arrays = tuple(stored[f"a{i}"] for i in range(len(stored.files)))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                arrays = _store(path(), build())
            return arrays if len(arrays) > 1 else arrays[0]
        load.path = path  # where it is kept (tests)
        return functools.cache(load)
    return wrap


def _path(build: Callable, modules: tuple[str, ...]) -> Path:
    files = [Path(importlib.import_module(m).__file__) for m in modules]
    stamp = [sys.version, unicodedata.unidata_version, np.__version__] + [
        f"{st.st_mtime_ns}:{st.st_size}" for st in map(Path.stat, files)]
    key = hashlib.blake2b("|".join(stamp).encode(), digest_size=8).hexdigest()
    where = os.environ.get("NUMBA_CACHE_DIR")  # ``jit`` sets it when imported
    folder = Path(where) / "newspipe-tables" if where else files[0].parent / "__pycache__"
    return folder / f"{files[0].stem}.{build.__name__}-{key}.npz"


def _store(path: Path, built) -> tuple[np.ndarray, ...]:
    arrays = built if isinstance(built, tuple) else (built,)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **{f"a{i}": a for i, a in enumerate(arrays)})
        os.replace(tmp, path)
        for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.npz"):  # built by an older source
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
    return arrays
