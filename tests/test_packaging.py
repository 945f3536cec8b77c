"""Packaging: the wheel built with the lowest build requirements, the license, the groups.

``[build-system] requires`` names lower bounds only; a build with today's setuptools says
nothing about them. The slow test builds the wheel in a new virtual environment holding
exactly those lowest versions (from PyPI) and reads the wheel: every module, ``py.typed``,
the PEP 639 license metadata and file. The fast tests keep the PEP 735 dependency groups
and the ``test`` extra (``pip install '.[test]'``, the README's and CI's command) equal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from test_readme_e2e import _ENV, _IGNORE

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _resolve_group(groups: dict[str, list[str | dict[str, str]]], name: str,
                   seen: tuple[str, ...] = ()) -> list[str]:
    """A dependency group with its includes expanded, as PEP 735 defines it."""
    assert name not in seen, f"cyclic include: {seen}"
    resolved: list[str] = []
    for item in {_normalize(k): v for k, v in groups.items()}[name]:
        if isinstance(item, str):
            resolved.append(item)
        else:
            assert list(item) == ["include-group"], item
            resolved += _resolve_group(groups, _normalize(item["include-group"]),
                                       (*seen, name))
    return resolved


def test_the_dev_group_is_the_test_extra() -> None:
    """An extra cannot include a group nor a group an extra, so the list is kept twice."""
    groups = PYPROJECT["dependency-groups"]
    assert sorted(_resolve_group(groups, "dev")) == sorted(PROJECT["optional-dependencies"]
                                                           ["test"])
    assert set(_resolve_group(groups, "lint")) == {"ruff>=0.6", "mypy>=1.10", "pandas-stubs"}
    # PEP 735: a group named like an extra is to be avoided, and tools may reject it.
    extras = {_normalize(name) for name in PROJECT["optional-dependencies"]}
    assert not extras & {_normalize(name) for name in groups}


def test_the_license_is_bsd_3_clause() -> None:
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License\n\nCopyright (c) 2026 the zeekcert authors\n")
    assert "3. Neither the name of the copyright holder nor the names of its" in text


def _lowest_build_requirements() -> dict[str, str]:
    """``{"setuptools": "77.0.1", ...}`` from ``[build-system] requires``."""
    lowest = {}
    for requirement in PYPROJECT["build-system"]["requires"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        assert match, f"{requirement!r}: a build requirement is a name and a lower bound"
        lowest[_normalize(match[1])] = match[2]
    assert "setuptools" in lowest
    return lowest


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, env={**_ENV, "PIP_NO_INPUT": "1"},
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def _ignore(folder: str, names: list[str]) -> set[str]:
    """The README test's copy rule, less the generated benchmark data (hundreds of MiB)."""
    ignored = set(_IGNORE(folder, names))
    if Path(folder) == ROOT:
        ignored |= {"bench-data", "dist"} & set(names)
    return ignored


@pytest.mark.slow
def test_the_wheel_built_with_the_lowest_setuptools(tmp_path: Path) -> None:
    lowest = _lowest_build_requirements()
    source = tmp_path / "zeekcert"
    shutil.copytree(ROOT, source, ignore=_ignore)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    pins = [f"{name}=={version}" for name, version in lowest.items()]
    _run([python, "-m", "pip", "install", "--quiet", *pins, "wheel"], tmp_path)
    installed = _run([python, "-c", "import importlib.metadata as m, sys; print(' '.join("
                      "f'{n}=={m.version(n)}' for n in sys.argv[1:]))", *lowest], tmp_path)
    assert installed.split() == pins
    _run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(tmp_path / "dist"), "."], source)

    name, version = PROJECT["name"], PROJECT["version"]
    wheels = list((tmp_path / "dist").iterdir())
    assert [w.name for w in wheels] == [f"{name}-{version}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as wheel:
        files = set(wheel.namelist())
        dist_info = f"{name}-{version}.dist-info"
        metadata = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        license_file = wheel.read(f"{dist_info}/licenses/LICENSE")
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()

    # Every module of every subpackage, py.typed, and nothing else (no tests, no benchmarks).
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "zeekcert").rglob("*.py")}
    assert len({m for m in modules if m.endswith("/__init__.py")}) == 8
    assert {f for f in files if f.endswith(".py")} == modules
    assert "zeekcert/py.typed" in files
    assert "zeekcert/hunting/catalogue.toml" in files  # the catalogue is package data
    assert {f.split("/", 1)[0] for f in files} == {"zeekcert", dist_info}

    # PEP 639: the SPDX expression, the license file under .dist-info/licenses/, no legacy
    # License field or license classifier.
    assert metadata["Metadata-Version"] == "2.4"
    assert (metadata["Name"], metadata["Version"]) == (name, version)
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert license_file == (ROOT / "LICENSE").read_bytes()
    assert "License" not in metadata
    assert not [c for c in metadata.get_all("Classifier", []) if c.startswith("License ::")]
    assert metadata["Requires-Python"] == PROJECT["requires-python"]

    # The extras are in the metadata and the dependency groups are not (PEP 735).
    assert set(metadata.get_all("Provides-Extra")) == set(PROJECT["optional-dependencies"])
    requires = metadata.get_all("Requires-Dist")
    assert set(PROJECT["dependencies"]) <= set(requires)
    assert 'playwright>=1.40; extra == "test"' in requires
    assert "zeekcert = zeekcert.cli:main" in entry_points
