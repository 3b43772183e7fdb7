"""The layout's rules, read from the code itself: dependencies run one way (storage <- crawlers <-
pipeline <- dags), production code never imports evaluation, benchmarks, the demo or the replay
site, and modules and functions stay small enough to read."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("storage", "crawlers", "pipeline", "dags")  # each may import only the ones before it
SIDE = ("pipeline.eval", "pipeline.cli", "crawlers.replay")  # never imported by production code
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def _modules() -> list[tuple[str, Path]]:
    out = []
    for layer in LAYERS:
        for f in sorted((ROOT / layer).rglob("*.py")):
            out.append((".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), f))
    return out


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _is_side(module: str) -> bool:
    return any(module == s or module.startswith(s + ".") for s in SIDE)


def test_dependencies_run_one_way():
    wrong = []
    for module, path in _modules():
        layer = LAYERS.index(module.split(".")[0])
        for name in _imports(path):
            top = name.split(".")[0]
            if top in LAYERS and LAYERS.index(top) > layer:
                wrong.append(f"{module} imports {name}")
            if _is_side(name) and not _is_side(module) and module.split(".")[0] != "dags":
                wrong.append(f"{module} (production) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_modules_and_functions_stay_small():
    """A longer one says why in its docstring ("long because"). The harnesses, benchmarks and
    mock outlets are exempt (page templates and fault tables read best whole)."""
    big = []
    for module, path in _modules():
        if module.startswith(("pipeline.eval", "crawlers.replay")):
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if text.count("\n") > MAX_MODULE_LINES and "long because" not in (ast.get_docstring(tree) or ""):
            big.append(f"{module}: {text.count(chr(10))} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES and "long because" not in (ast.get_docstring(node) or ""):
                    big.append(f"{module}.{node.name}: {size} lines")
    assert not big, "\n".join(big)


def test_every_module_of_compiled_kernels_stamps_their_cache():
    """numba keys cached code by the function's own file: ``jit.KERNEL_MODULES`` names every module
    that compiles, so an edit of a kernel another one calls cannot leave stale machine code."""
    from pipeline.dedup.jit import KERNEL_MODULES
    compiled = {m.rsplit(".", 1)[1] for m, path in _modules()
                if "from pipeline.dedup.jit import njit" in path.read_text(encoding="utf-8")}
    assert compiled | {"jit"} == set(KERNEL_MODULES)


def test_library_code_imports_without_airflow():
    for module, path in _modules():
        if not module.startswith("dags"):
            assert not any(n.split(".")[0] == "airflow" for n in _imports(path)), module


def test_the_dotted_paths_airflow_loads_resolve():
    """Airflow reads these by name from the environment: a rename must fail here, not in production."""
    from pipeline.cli.airflow_local import airflow_env
    env = airflow_env(ROOT / ".airflow-test", 8080, "s.yaml", "data")
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"):
        module, _, attr = env[key].rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), attr), dict), env[key]


@pytest.mark.parametrize("data, uri", [
    ("/srv/newspipe", "file:///srv/newspipe/articles"),
    ("s3://bucket/newspipe", "s3://bucket/newspipe/articles"),
    ("s3://bucket/newspipe/?endpoint_override=127.0.0.1:9000&scheme=http", "s3://bucket/newspipe/articles"),
    ("gs://bucket", "gs://bucket/articles"),
])
def test_the_asset_uri_suits_every_data_root(data, uri):
    from pipeline.run.orchestration import articles_asset_uri
    assert articles_asset_uri(data) == uri
