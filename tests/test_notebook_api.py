"""What a notebook user meets: short reprs, escaped HTML reprs, an accessor that fails at
once, and a top-level API that the notebooks use alone."""

from __future__ import annotations

import ast
import inspect
import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from tinylogs import NOW, ssl_row, x509_row
from zeekwriter import write_tsv

import zeekcert

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def sample() -> zeekcert.Logs:
    return zeekcert.load(SAMPLE)


@pytest.fixture
def hostile(tmp_path: Path) -> zeekcert.Logs:
    """A self-signed server whose certificate's subject is a script."""
    rows = [ssl_row(i, "203.0.113.9", SCRIPT) for i in range(3)]
    write_tsv(str(tmp_path / "ssl.log"), SSL_FIELDS, SSL_TYPES, rows, log_path="ssl")
    write_tsv(str(tmp_path / "x509.log"), X509_FIELDS, X509_TYPES,
              [x509_row(subject=f"CN={SCRIPT}", issuer=f"CN={SCRIPT}")], log_path="x509")
    return zeekcert.load(tmp_path)


def test_reprs_are_one_short_line(sample: zeekcert.Logs) -> None:
    findings = zeekcert.build_report(sample, now=NOW)
    assert repr(sample.report) == "LoadReport(173 files: 118 ok, 55 duplicate; 11,600 rows)"
    assert repr(sample) == ("Logs(ssl=11,207 rows, x509=53 rows, notice=340 rows, "
                            "known_certs=0 rows; 173 files: 118 ok, 55 duplicate; 11,600 rows)")
    assert repr(findings) == ("Findings(11,207 connections, 4,263 failing on 16 servers, "
                              "7 self-signed, 3,973 not judged)")


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.cells.append(data)


def _parsed(html: str) -> _Cells:
    parser = _Cells()
    parser.feed(html)
    parser.close()
    return parser


def test_html_reprs_escape_what_the_log_says(hostile: zeekcert.Logs) -> None:
    findings = zeekcert.build_report(hostile, now=NOW)
    page = _parsed(findings._repr_html_())
    assert "script" not in page.tags
    assert set(page.tags) == {"p", "table", "tr", "th", "td"}
    assert page.cells[-4:] == ["203.0.113.9", "443", "self_signed", "3"]
    logs = _parsed(hostile._repr_html_())
    assert "script" not in logs.tags
    assert logs.cells == ["kind", "rows", "ssl", "3", "x509", "1", "notice", "0",
                          "known_certs", "0", "2 files: 2 ok; 4 rows"]
    assert _parsed(hostile.report._repr_html_()).cells[0] == "2 files: 2 ok; 4 rows"


def test_the_accessor_names_the_missing_columns_at_once(sample: zeekcert.Logs) -> None:
    with pytest.raises(AttributeError, match=r"df\.zeekcert\.servers\(\) needs a frame from "
                                             r"zeekcert\.classify; this one has no .*causes"):
        sample.x509.zeekcert.servers()
    classified = zeekcert.classify(sample, now=NOW)
    assert len(classified.zeekcert.servers()) == len(zeekcert.servers(classified))
    with pytest.raises(AttributeError, match=r"cause_flags\(\) .* this one has no causes$"):
        pd.DataFrame({"x": [1]}).zeekcert.cause_flags()


def test_the_top_level_api_has_what_the_notebooks_need() -> None:
    for name in ("load", "classify", "build_report", "build_inventory", "load_allowlist",
                 "regularity", "run_nightly", "main", "servers", "join_summary"):
        assert name in zeekcert.__all__ and callable(getattr(zeekcert, name))
    assert zeekcert.build_inventory is zeekcert.inventory.inventory


def _is_deep(node: ast.AST) -> bool:
    """Whether ``node`` is ``zeekcert.x.y`` with ``x`` a subpackage: a name reached through
    a layer (``zeekcert.HuntPolicy.from_toml`` is a top-level name's method)."""
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name) and node.value.value.id == "zeekcert"
            and inspect.ismodule(getattr(zeekcert, node.value.attr, None)))


def _imports(notebook: Path) -> set[str]:
    """Every module a notebook's code cells import, and every ``zeekcert.x.y`` they use."""
    names: set[str] = set()
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                names.add(node.module or "")
            elif _is_deep(node):
                names.add(f"zeekcert.{node.value.attr}.{node.attr}")  # type: ignore[attr-defined]
    return names


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.name)
def test_notebooks_use_the_top_level_api_only(notebook: Path) -> None:
    ours = {name for name in _imports(notebook) if name.startswith("zeekcert")}
    assert ours == {"zeekcert"}


def test_a_hostile_file_name_stays_text_in_the_load_report(tmp_path: Path) -> None:
    bad = tmp_path / f"ssl.{SCRIPT.replace('/', '')}.log"
    bad.write_text("#separator \\x09\n#path\tssl\n#fields\tts\tuid\n#types\ttime\tstring\n"
                   "1795000000.0\tC1\textra\n")
    report = zeekcert.load(tmp_path).report
    shown = _parsed(report._repr_html_())
    assert "script" not in shown.tags
    assert shown.cells[:4] == ["1 file: 1 ragged; 0 rows", "status", "file", "why"]
    assert shown.cells[5] == str(bad)
