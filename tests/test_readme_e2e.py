"""The README's quick start, run as a new user would: in a fresh virtual environment.

The first command is taken from the README and run verbatim with bash in a copy of the
repository, so a stale README fails here. The second (`pip install '.[test]' && python -m
pytest`) is what `.ci/run` runs in its own fresh virtual environment on every
submission; the test checks that `.ci/run` runs it verbatim.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_IGNORE = shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info", "__pycache__", "bench-data",
                                 ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache")


def quick_start_commands() -> list[str]:
    """The ``sh`` code blocks of the README's Quick start section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_readme_has_the_two_quick_start_commands() -> None:
    first, second = quick_start_commands()
    assert first.endswith("python -m zeekcert report sample_logs")
    assert second == "pip install '.[test]' && python -m pytest"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install '.[test]' && python -m pytest\n" in ci


_ENV = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the repository after the README's first command: its folder and stdout."""
    copy = tmp_path_factory.mktemp("readme") / "zeekcert"
    shutil.copytree(ROOT, copy, ignore=_IGNORE)
    proc = subprocess.run(["bash", "-c", quick_start_commands()[0]], cwd=copy, env=_ENV,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return copy, proc.stdout


@pytest.mark.slow
def test_first_command_in_a_fresh_venv_shows_ext4_and_ext6_first(
        quick_start: tuple[Path, str]) -> None:
    copy, stdout = quick_start
    assert (copy / ".venv" / "bin" / "python").exists()
    section = stdout.split("SELF-SIGNED SERVERS", 1)[1].split("\n\n", 1)[0]
    rows = [line.split()[:2] for line in section.splitlines()[2:]]
    assert rows[:2] == [["203.0.113.44", "443"], ["2001:db8:44::44", "443"]]
    assert "CN=localhost" in section.splitlines()[2]


@pytest.mark.slow
def test_the_installed_wheel_holds_every_subpackage(quick_start: tuple[Path, str],
                                                    tmp_path: Path) -> None:
    """``pip install .`` built a wheel; import each subpackage from it, never the source."""
    copy, _ = quick_start
    subpackages = sorted(".".join(p.parent.relative_to(ROOT).parts)
                         for p in (ROOT / "zeekcert").rglob("__init__.py"))
    assert len(subpackages) == 8  # zeekcert and its seven layers
    script = ("import importlib, json, sys; print(json.dumps({n: importlib.import_module(n)"
              ".__file__ for n in sys.argv[1:]}))")
    proc = subprocess.run([str(copy / ".venv" / "bin" / "python"), "-I", "-c", script,
                           *subpackages], cwd=tmp_path, env=_ENV, capture_output=True,
                          text=True, timeout=120, check=True)
    found = json.loads(proc.stdout)
    site = copy / ".venv" / "lib"
    assert sorted(found) == subpackages
    for name, file in found.items():
        assert Path(file).is_relative_to(site) and "site-packages" in file, name
    installed = Path(found["zeekcert"]).parent
    assert (installed / "py.typed").is_file()
    assert (installed / "hunting" / "catalogue.toml").is_file()  # the catalogue is data
    version = subprocess.run([str(copy / ".venv" / "bin" / "zeekcert"), "--version"],
                             cwd=tmp_path, env=_ENV, capture_output=True, text=True,
                             timeout=60, check=True)
    assert version.stdout == "zeekcert 0.1.0\n"
