"""The package's shape, so it cannot erode: layers, contracts, module names, public API.

Read from the source with ``ast``, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import zeekcert

PACKAGE = Path(zeekcert.__file__).resolve().parent
# Bottom to top. A module may import its own layer, the shared modules and lower layers.
LAYERS = ["reading", "classification", "hunting", "inventory", "alerting", "report", "cli"]
SHARED = {"errors", "causes", "policy", "sanitize", "formatting", "json_text", "toml_files",
          "executors", "parquet_export"}
FACADE = {"__init__", "__main__", "accessor"}  # the public face: may import any layer
# Every name of zeekcert.__all__ before the layers existed: they must keep working.
PUBLIC_0_1 = [
    "Batch", "Cause", "Evidence", "FileReport", "FileStatus", "Findings", "LoadReport", "Logs",
    "Policy", "Unverified", "Verdict", "ZeekLogError", "build_report", "classify", "find_logs",
    "from_zat", "iter_batches", "join_summary", "load", "read_log", "read_table", "servers",
]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _home(path: Path) -> str:
    """The layer a module lives in, or its top-level name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for each zeekcert import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("zeekcert", *path.relative_to(PACKAGE).parent.parts))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if target == "zeekcert" and names != ["__version__"]:  # from .. import formatting
                found += [(f"zeekcert.{n}", [], node.lineno) for n in names]
            elif target.startswith("zeekcert"):
                found.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names
                      if a.name.startswith("zeekcert")]
    return found


def _layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_is_in_a_layer_or_shared() -> None:
    homes = {_home(p) for p in _modules()}
    assert homes == set(LAYERS) | SHARED | FACADE


def test_no_import_points_up_a_layer_or_into_another_layers_internals() -> None:
    wrong = []
    for path in _modules():
        home = _home(path)
        if home in FACADE:
            continue
        rank = LAYERS.index(home) if home in LAYERS else -1
        for target, names, line in _imports(path):
            layer = _layer_of(target)
            where = f"{path.relative_to(PACKAGE)}:{line}: {target}"
            if layer in SHARED or layer == home:
                continue
            if layer == "__init__" and names == ["__version__"] and home == "cli":
                continue
            if layer not in LAYERS or LAYERS.index(layer) > rank:
                wrong.append(f"{where} points up (or out of the layers)")
            elif target != f"zeekcert.{layer}":
                wrong.append(f"{where} reaches past the {layer} contract")
            else:
                contract = importlib.import_module(target).__all__
                wrong += [f"{where}: {n} is not in {layer}.__all__" for n in names
                          if n not in contract]
    assert wrong == []


def test_shared_modules_import_only_shared_modules() -> None:
    for path in _modules():
        if _home(path) in SHARED:
            layers = {_layer_of(t) for t, _, _ in _imports(path)}
            assert layers <= SHARED, path


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_states_its_contract(layer: str) -> None:
    package = importlib.import_module(f"zeekcert.{layer}")
    assert package.__doc__ and len(package.__doc__.split()) > 25
    for name in package.__all__:
        assert hasattr(package, name), f"{layer}.__all__ names {name}, which it lacks"


def test_no_module_is_shadowed_by_what_its_package_exports() -> None:
    """``import zeekcert.x.y`` must give the module y, never a function named y."""
    shadowed = []
    for info in pkgutil.walk_packages(zeekcert.__path__, "zeekcert."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        module = importlib.import_module(info.name)
        parent, _, name = info.name.rpartition(".")
        if getattr(importlib.import_module(parent), name) is not module:
            shadowed.append(info.name)
    assert shadowed == []


def test_the_public_api_of_0_1_still_works() -> None:
    assert set(PUBLIC_0_1) <= set(zeekcert.__all__)
    for name in zeekcert.__all__:
        assert getattr(zeekcert, name) is not None
    from zeekcert.cli import main
    assert callable(main) and callable(zeekcert.inventory.inventory)
    assert zeekcert.classify is zeekcert.classification.classify
