"""The kernels built ahead of time into one extension module for this processor, which
``jit.ahead_of_time`` loads: ``python -m pipeline.dedup.aot`` (``make setup``, the
Dockerfile) compiles every kernel through numba's JIT on small inputs (``kernels.warm``),
then exports each signature that compiled with numba's ``pycc``.

The argument types of each export are written beside the module
(``newspipe_kernels_<stamp>.json``): ``jit.Kernel`` calls the build only with arguments of
those types, since the build's own conversion checks no more than an array's item size.
Without a C compiler or setuptools (``pycc`` needs both), or once numba drops ``pycc``
(pending deprecation since 0.57), nothing is built and the JIT runs the kernels.
"""
from __future__ import annotations

import json
import os
import sys
import sysconfig
import warnings
from pathlib import Path

from pipeline.dedup import jit


def arg_spec(ty) -> list:
    """What ``jit._fits`` checks of an argument of numba type ``ty``."""
    from numba.core import types
    from numba.np.numpy_support import as_dtype
    if isinstance(ty, types.Array):
        return ["array", as_dtype(ty.dtype).str, ty.ndim, ty.layout, bool(ty.mutable)]
    if ty == types.int64:
        return ["int"]
    if ty == types.boolean:
        return ["bool"]
    if ty == types.float64:
        return ["float"]
    return ["other", str(ty)]


def build() -> Path | None:
    """Exports every signature the kernels compiled in this process; the module's path, or None
    (the reason printed)."""
    jit.load_numba()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from numba.pycc import CC
    except ImportError as exc:
        print(f"kernels: not built ahead of time ({exc}); numba's JIT runs them", file=sys.stderr)
        return None
    name, folder = f"newspipe_kernels_{jit.stamp()}", jit.cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    cc = CC(name)
    cc.output_dir, cc.output_file, cc.target_cpu = str(folder), f"{name}.{os.getpid()}.tmp.so", "host"
    index: dict[str, list] = {}
    for k in jit.kernels():
        if k.options.get("inline") == "always":  # compiled into its callers only
            continue
        for n, sig in enumerate(k.jit.nopython_signatures):
            export = f"{k.key.replace('.', '__')}__{n}"
            cc.export(export, sig)(k.py_func)
            index.setdefault(k.key, []).append((export, [arg_spec(t) for t in sig.args]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cc.compile()
    except Exception as exc:  # noqa: BLE001 (no compiler, a link error: the JIT stays, as before)
        print(f"kernels: not built ahead of time ({type(exc).__name__}: {exc}); numba's JIT runs them",
              file=sys.stderr)
        return None
    final = folder / f"{name}{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
    os.replace(folder / cc.output_file, final)
    tmp = folder / f"{name}.{os.getpid()}.tmp.json"
    tmp.write_text(json.dumps({"file": final.name, "kernels": index}))
    os.replace(tmp, folder / f"{name}.json")
    return final


def main() -> None:
    """Compiles the kernels (numba's cache) and builds them ahead of time; older builds removed."""
    import importlib

    from pipeline.dedup import kernels
    for name in jit.KERNEL_MODULES:  # every kernel a ``Kernel`` before numba loads: all of them exported
        importlib.import_module(f"{jit.__package__}.{name}")
    jit.forget_stale()
    jit.load_numba()
    kernels.warm()
    built = build()
    print(f"kernels: built ahead of time into {built}" if built else "kernels: numba's JIT cache only")


if __name__ == "__main__":
    main()
