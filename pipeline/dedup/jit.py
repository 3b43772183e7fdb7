"""numba, set up once for every compiled module of the package.

``cache=True`` keeps the machine code on disk beside the modules; an installed,
read-only copy (a container running under another uid) gives numba no place
for it, and numba then refuses to import: it compiles once per machine into
the temp dir instead.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

if "NUMBA_CACHE_DIR" not in os.environ and not os.access(Path(__file__).parent, os.W_OK):
    os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "newspipe-numba")

from numba import njit  # noqa: E402,F401  (reads NUMBA_CACHE_DIR when imported)
