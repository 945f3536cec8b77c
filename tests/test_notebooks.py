"""The notebooks in notebooks/ run from top to bottom against sample_logs/, their own
``assert`` cells pass, they show what they are about, and they are committed stripped."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# Text each executed notebook must show, and how many plots it draws at least.
EXPECTED: dict[str, tuple[list[str], int]] = {
    "01_quick_start.ipynb": (
        ["203.0.113.44", "2001:db8:44::44", "CN=localhost", "weak_signature",
         "failing validation", "all checks passed"], 1),
    "02_hunting_self_signed.ipynb": (
        ["203.0.113.44", "2001:db8:44::44", "10.1.20.57", "fd0a:1:20::57", "144.59",
         "#1 (dev tools team", "all checks passed"], 1),
    "03_nightly_inventory.ipynb": (
        ["active   203.0.113.44, 2001:db8:44::44", "changed  10.20.30.40",
         "gone     10.20.40.9", "exit code 0", "all checks passed"], 0),
    "04_hunting_c2_infrastructure.ipynb": (
        ["198.51.100.23:443 scores 15 = 3 + 2 + 3 + 6 + 1", "tooling:cobalt_strike_default",
         "08BB00EE", "one actor", "10.1.40.12", "the beacon's host: 10.1.10.18",
         "282 s later", "vendor_default (+1)", "tooling:ir_2026_114_payload",
         "all checks passed"], 0),
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=nbformat.NO_CONVERT)


def _text(nb: nbformat.NotebookNode) -> tuple[str, int]:
    """Every text output of an executed notebook, and the number of images."""
    parts, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(out.data.get("text/plain", ""))
                images += "image/png" in out.data
            elif out.output_type == "error":
                parts.append("\n".join(out.traceback))
    return "\n".join(parts), images


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_without_outputs(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], cell.source[:80]
        assert cell.execution_count is None, cell.source[:80]
    assert any("assert " in c.source for c in code), "a notebook checks what it shows"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel imports zeekcert from this checkout, and draws inline.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    before = sorted(NOTEBOOKS.rglob("*"))
    nb = _read(name)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text, images = _text(nb)
    wanted, plots = EXPECTED[name]
    for needle in wanted:
        assert needle in text, f"{name} does not show {needle!r}"
    assert images >= plots
    assert sorted(NOTEBOOKS.rglob("*")) == before, "a notebook wrote next to itself"
