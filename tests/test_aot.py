"""The dedup kernels built ahead of time (``pipeline.dedup.aot``): the command runs on them
without importing numba, gives the rows numba's JIT gives, and anything the build does not
take (other argument types, a missing or damaged build) runs through the JIT instead."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.dedup import jit

ROOT = Path(__file__).resolve().parents[1]
# where the build can be made, ``make setup`` made it: its absence is a failure, not a skip
BUILT = pytest.mark.skipif(not jit.ahead_of_time() and not (shutil.which("cc") and find_spec("setuptools")),
                           reason="no C compiler or setuptools here: the kernels run through numba's JIT")
_RUN = """
import sys
from pipeline.cli.dedup_io import dedup_file
dedup_file(sys.argv[1], sys.argv[2])
print("numba" in sys.modules)
"""


def _articles(path: Path) -> Path:
    """Forty articles of our own words: Arabic, Russian, Turkish and ASCII, copies of some, an
    outlet footer, a ligature NFKC changes, a capital sigma Python folds."""
    words = {"ar": "قصف مدينة ادلب صباح اليوم وقال المرصد ان القوات تقدمت نحو القرى الشمالية".split(),
             "ru": "Колонна прошла через реку у Идлиба до рассвета пока наблюдатели считали снаряды".split(),
             "tr": "Konvoy şafaktan önce İdlib yakınlarında nehri geçti gözlemciler mermileri saydı".split(),
             "en": "the convoy crossed the river near idlib before dawn while monitors counted shells".split()}
    rng = np.random.default_rng(5)
    rows = []
    for n in range(40):
        lang = list(words)[n % 4]
        text = "\n".join(" ".join(rng.choice(words[lang], 40)) for _ in range(4))
        if n % 5 == 1:
            text = rows[-1]["text"] + "\nSupport our work: subscribe today."
        if n % 7 == 0:
            text += " ﬁnal ΟΔΟΣ"
        rows.append({"article_id": f"a{n:02d}", "url": f"https://o{n % 3}.example/{n}", "outlet": f"o{n % 3}",
                     "title": f"t{n}", "text": text, "language": lang,
                     "published_at": pd.Timestamp("2020-10-02", tz="UTC") + pd.Timedelta(hours=n)})
    pd.DataFrame(rows).to_parquet(path)
    return path


def _dedup(src: Path, out: Path, **env: str) -> bool:
    """Runs the command's code in a fresh process; whether it imported numba."""
    done = subprocess.run([sys.executable, "-c", _RUN, str(src), str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, check=True, timeout=600)
    return done.stdout.strip().endswith("True")


@BUILT
def test_the_command_runs_on_the_build_without_numba_and_as_the_jit_does(tmp_path):
    assert jit.ahead_of_time(), "make setup did not build the kernels ahead of time (python -m pipeline.dedup.aot)"
    # a literal is a kernel's call from another (compiled in); any other type jit._fits cannot check
    unchecked = [a for found in jit.ahead_of_time().values() for spec, _ in found for a in spec
                 if a[0] == "other" and not a[1].startswith("Literal")]
    assert not unchecked, f"kernels taking {unchecked} always run through the JIT"
    src = _articles(tmp_path / "in.parquet")
    assert not _dedup(src, tmp_path / "built.parquet")
    assert _dedup(src, tmp_path / "jit.parquet", NEWSPIPE_KERNELS="jit")
    built, jitted = pd.read_parquet(tmp_path / "built.parquet"), pd.read_parquet(tmp_path / "jit.parquet")
    assert built.equals(jitted) and (built.relation != "singleton").any()


@BUILT
def test_arguments_the_build_does_not_take_run_through_the_jit():
    from pipeline.dedup import kernels
    from pipeline.dedup.packed import offsets
    rng = np.random.default_rng(2)
    flat = rng.integers(0, 1 << 32, 4000, dtype=np.uint64).astype(np.uint32)
    bounds = offsets([1000] * 4, 4)
    a, b = rng.integers(1, 1 << 32, (2, 16), dtype=np.uint64).astype(np.uint32)
    spec = jit.ahead_of_time()["kernels.minhash"][0][0]
    strided = np.repeat(flat, 2)[::2]  # the same values, not contiguous
    assert jit._fits(spec, (flat, bounds, a, b)) and not jit._fits(spec, (strided, bounds, a, b))
    assert not jit._fits(spec, (flat, bounds.astype(np.int32), a, b)) and not jit._fits(spec, (flat, bounds, a))
    assert np.array_equal(kernels.minhash(strided, bounds, a, b), kernels.minhash(flat, bounds, a, b))


def test_a_missing_or_damaged_build_means_the_jit(tmp_path, monkeypatch):
    folder = tmp_path / "numba-x"
    folder.mkdir()
    monkeypatch.setattr(jit, "cache_folder", lambda: folder)
    monkeypatch.setattr(jit, "_folders", lambda: [folder])
    index = folder / f"newspipe_kernels_{jit.stamp()}.json"
    try:
        for content in (None, "not json", json.dumps({"file": "absent.so", "kernels": {}}), "{}"):
            if content is not None:
                index.write_text(content)
            jit.ahead_of_time.cache_clear()
            assert jit.ahead_of_time() == {}, content
        monkeypatch.undo()
        monkeypatch.setenv("NEWSPIPE_KERNELS", "jit")  # asked for: the build is not read
        jit.ahead_of_time.cache_clear()
        assert jit.ahead_of_time() == {}
    finally:
        jit.ahead_of_time.cache_clear()
