"""numba, set up once for every compiled module of the package.

``cache=True`` keeps the machine code on disk beside the modules; an installed,
read-only copy (a container running under another uid) gives numba no place
for it, and numba then refuses to import: it compiles once per machine into
the temp dir instead.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if "NUMBA_CACHE_DIR" not in os.environ and not os.access(Path(__file__).parent, os.W_OK):
    os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "newspipe-numba")

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
