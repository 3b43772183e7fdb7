"""numba, set up once for every compiled module of the package.

``cache=True`` keeps the machine code on disk. numba keys a function's cached
code by its own file only, while the code holds the kernels it calls from
other files: an edit of ``blake.py`` left ``paragraph_scan.scan`` running the
old hash. So the cache lives in a folder named by every kernel module's
stamp (``KERNEL_MODULES``), and an edit of any of them compiles afresh. The
folder sits in ``__pycache__``; an installed, read-only copy (a container
running under another uid) gives numba no place there, and it then goes to
the temp dir. A ``NUMBA_CACHE_DIR`` set by the operator is kept as it is.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

# the modules whose compiled functions call one another (``tests/test_layout.py`` checks the list)
KERNEL_MODULES = ("jit", "utf8", "blake", "paragraph_scan", "kernels", "buckets")
_HERE = Path(__file__).parent


def cache_folder() -> Path:
    """Where numba keeps the kernels' machine code for these sources."""
    stamp = "|".join(f"{st.st_mtime_ns}:{st.st_size}" for st in (
        (_HERE / f"{m}.py").stat() for m in KERNEL_MODULES))
    base = _HERE / "__pycache__" if os.access(_HERE, os.W_OK) else Path(tempfile.gettempdir()) / "newspipe-numba"
    return base / f"numba-{hashlib.blake2b(stamp.encode(), digest_size=6).hexdigest()}"


def forget_stale() -> None:
    """Removes the folders of earlier sources beside this one's (``make setup`` calls it)."""
    here = Path(os.environ["NUMBA_CACHE_DIR"])
    if here == cache_folder():
        for old in here.parent.glob("numba-*"):
            if old != here:
                shutil.rmtree(old, ignore_errors=True)


if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(cache_folder())

from numba import njit  # noqa: E402,F401  (reads NUMBA_CACHE_DIR when imported)


def _skip_blas_check() -> None:
    """numba's CPU target, when it first loads, imports ``scipy.linalg`` to learn whether it can
    compile ``np.dot`` (0.4 s of every process that deduplicates; scipy is here for datasketch).
    The kernels use no linear algebra: the module that checks is imported with that import
    failing (a ``None`` entry in ``sys.modules``), which is then removed for everyone else."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg.cython_blas" in sys.modules:
        return
    sys.modules["scipy.linalg.cython_blas"] = None  # type: ignore[assignment]
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg.cython_blas"]


_skip_blas_check()
