"""The compiled kernels' gateway: machine code built ahead of time where it can be, numba's
JIT where not.

Every kernel module decorates its loops with ``njit`` from here, which wraps them
in a ``Kernel`` and imports nothing. ``make setup`` builds them ahead of time
(``pipeline.dedup.aot``) into one extension module for this processor; a process
then loads it in a millisecond and never imports numba, which cost every process
0.3 s (numba's import, its typing registries, a cache load per kernel). Where that
module is absent (no C compiler, a kernel edited since), or a call's arguments are
not of the types it was built for, numba's JIT runs the kernel instead, from its
on-disk cache: slower to start, the same values. ``NEWSPIPE_KERNELS=jit`` asks for
the JIT always.

numba keys a function's cached code by its own file only, while that code holds
the kernels it calls from other files: an edit of ``blake.py`` left
``paragraph_scan.scan`` running the old hash. So both builds live in a folder
named by every kernel module's stamp (``KERNEL_MODULES``), Python's and numpy's
versions and the processor, and an edit of any of them builds afresh. The folder
sits in ``__pycache__``; an installed, read-only copy (a container running under
another uid) puts it in the temp dir. A ``NUMBA_CACHE_DIR`` set by the operator
is kept as it is.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

# the modules whose compiled functions call one another (``tests/test_layout.py`` checks the list)
KERNEL_MODULES = ("jit", "utf8", "blake", "paragraph_scan", "sorting", "kernels", "buckets")
_HERE = Path(__file__).parent
_KERNELS: list[Kernel] = []
_numba_njit = None  # numba's decorator, once numba is loaded


def _processor() -> str:
    """This processor's model and features (Linux): code built for one must not run on another."""
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:
        return "unknown"
    return "|".join(sorted({x for x in lines if x.startswith(("model name", "flags"))}))


@functools.cache
def stamp() -> str:
    """What the machine code depends on: the kernel modules, Python, numpy (whose C interface the
    build uses), the processor."""
    files = [f"{st.st_mtime_ns}:{st.st_size}" for st in ((_HERE / f"{m}.py").stat() for m in KERNEL_MODULES)]
    parts = files + [sys.version, np.__version__, _processor()]
    return hashlib.blake2b("|".join(parts).encode(), digest_size=6).hexdigest()


def _folders() -> list[Path]:
    """Beside the sources, then in the temp dir (for a read-only install)."""
    return [base / f"numba-{stamp()}" for base in (_HERE / "__pycache__", Path(tempfile.gettempdir()) / "newspipe-numba")]


def cache_folder() -> Path:
    """Where the kernels' machine code for these sources is kept (JIT cache and ahead-of-time build)."""
    return _folders()[0 if os.access(_HERE, os.W_OK) else 1]


def forget_stale() -> None:
    """Removes the folders of earlier sources beside this one's (``make setup`` calls it)."""
    here = cache_folder()
    for old in here.parent.glob("numba-*"):
        if old != here:
            shutil.rmtree(old, ignore_errors=True)


if "NUMBA_CACHE_DIR" not in os.environ:  # numba reads it when imported
    os.environ["NUMBA_CACHE_DIR"] = str(cache_folder())


class Kernel:
    """A compiled loop. Called from Python, it runs the ahead-of-time build when the arguments
    are of the types it was built for, else numba's JIT; within other kernels numba sees its
    JIT dispatcher (``load_numba`` puts those in the modules' places)."""

    def __init__(self, func, options: dict):
        self.py_func, self.options = func, options
        self.key = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
        self.built: list | None = None  # [(argument spec, function)] of the ahead-of-time module
        self.jit = None
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        if self.built is None:
            self.built = ahead_of_time().get(self.key, [])
        for spec, fn in self.built:
            if _fits(spec, args):
                return fn(*args)
        if self.jit is None:
            load_numba()
        return self.jit(*args)


def njit(**options):
    """numba's ``njit(**options)``, deferred (``Kernel``)."""
    def wrap(func):
        if _numba_njit is not None:
            return _numba_njit(**options)(func)
        kernel = Kernel(func, options)
        _KERNELS.append(kernel)
        return kernel
    return wrap


def load_numba() -> None:
    """Imports numba, gives every kernel its JIT dispatcher, and puts the dispatchers where the
    kernel modules name the kernels, so that numba compiling one sees the others'."""
    global _numba_njit
    if _numba_njit is not None:
        return
    from numba import njit as numba_njit
    _skip_blas_check()
    for k in _KERNELS:
        k.jit = numba_njit(**k.options)(k.py_func)
    _numba_njit = numba_njit
    for name in KERNEL_MODULES:
        module = sys.modules.get(f"{__package__}.{name}")
        for attr, value in list(vars(module).items()) if module else ():
            if isinstance(value, Kernel):
                setattr(module, attr, value.jit)


def kernels() -> list[Kernel]:
    """Every kernel of the modules imported so far."""
    return list(_KERNELS)


def _fits(spec: list, args: tuple) -> bool:
    """Are ``args`` of the types ``spec`` (``aot.arg_spec``) says the build takes?"""
    if len(spec) != len(args):
        return False
    for want, a in zip(spec, args):
        if want[0] == "array":
            _, dtype, ndim, layout, writes = want
            if (type(a) is not np.ndarray or a.dtype.str != dtype or a.ndim != ndim or not a.flags.aligned
                    or (layout == "C" and not a.flags.c_contiguous) or (layout == "F" and not a.flags.f_contiguous)
                    or (writes and not a.flags.writeable)):
                return False
        elif want[0] == "int":
            if not (type(a) is int or type(a) is np.int64):
                return False
        elif want[0] == "bool":
            if not (type(a) is bool or type(a) is np.bool_):
                return False
        elif want[0] == "float":
            if not (type(a) is float or type(a) is np.float64):
                return False
        else:
            return False
    return True


@functools.cache
def ahead_of_time() -> dict[str, list]:
    """{kernel key: [(argument spec, function)]} of the module ``aot`` built for this stamp, or {}."""
    if os.environ.get("NEWSPIPE_KERNELS") == "jit":
        return {}
    name = f"newspipe_kernels_{stamp()}"
    for folder in dict.fromkeys([cache_folder(), *_folders()]):  # a read-only install's is beside the sources
        try:
            index = json.loads((folder / f"{name}.json").read_text())
            spec = importlib.util.spec_from_file_location(name, folder / index["file"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return {key: [(args, getattr(module, export)) for export, args in exports]
                    for key, exports in index["kernels"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError):
            continue
    return {}


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
