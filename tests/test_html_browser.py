"""The HTML report in a real browser: Debian's chromium, driven headless by playwright.

The pages are served from 127.0.0.1 by a server that logs every request. Each test
checks that the page loads with no console message, no CSP violation and no request but
the page itself; that a click on a column header reorders the records (numbers as numbers,
times as times, addresses as addresses) and the filter box hides them; that addresses,
ports and times never wrap; that hostile cell text stays text; and that the screenshot
shows the page. ``playwright install`` is never needed: the browser is /usr/bin/chromium
(``apt-get install chromium``, done by .ci/run when it is missing).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from tinylogs import ssl_row, x509_row
from zeekwriter import write_tsv

import zeekcert
from zeekcert.cli import main
from zeekcert.report import html_script
from zeekcert.report.findings import build
from zeekcert.report.html import write_html

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
WATCH = """document.addEventListener("securitypolicyviolation",
  (e) => window.zcViolation(`${e.violatedDirective} ${e.blockedURI}`));"""
# The servers table of sample_logs, worst first, with its "all conns" and "last seen".
SERVERS = ["203.0.113.44", "2001:db8:44::44", "198.51.100.23", "10.20.50.12", "10.20.30.40",
           "10.20.40.9", "203.0.113.200", "203.0.113.80", "192.0.2.30", "203.0.113.151",
           "192.0.2.151", "198.51.100.60", "198.51.100.61", "192.0.2.40", "198.51.100.70",
           "198.51.100.71"]
CONNS = ["1211", "1211", "461", "44", "17", "7", "3", "107", "273", "151", "106", "195", "61",
         "163", "112", "292"]
# Markup aimed at the HTML page, beside test_report's hostile strings.
IMG = '<img src=x onerror="window.pwned=1">'
BREAKOUT = '"><svg onload="window.pwned=1"><a href="http://evil/">x</a>'
END_SCRIPT = "</script><script>window.pwned=1</script>"
SCRIPT = "<script>alert(1)</script>"
OSC8 = "\x1b]8;;http://evil/\x07click\x1b]8;;\x07"
BIDI = "\u202egnp.exe"


# ---------------------------------------------------------------- serving and opening


class _Server:
    """A static server on 127.0.0.1 for one folder; remembers every path asked for."""

    def __init__(self, folder: Path):
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                paths.append(self.path)

        handler = functools.partial(Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@dataclass
class Opened:
    """A page as loaded, with everything it said and asked for."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def quiet(self, url: str) -> None:
        """No console message, script error, CSP violation, dialog, nor other request."""
        assert self.console == []
        assert self.errors == []
        assert self.violations == []
        assert self.dialogs == []
        assert self.requests == [url]
        assert self.refused == []

    def column(self, table: str, index: int) -> list[str]:
        """The text of column ``index`` of the records ``table`` shows, top to bottom."""
        return self.page.evaluate(
            """([id, i]) => Array.from(document.getElementById(id).tBodies)
                 .filter((b) => b.getClientRects().length > 0)
                 .map((b) => b.rows[0].cells[i].textContent)""", [table, index])

    def header(self, table: str, title: str) -> Any:
        return self.page.locator(f"#{table} thead th", has_text=re.compile(f"^{title}$"))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, timeout=60_000)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, _Server]]:
    folder = tmp_path_factory.mktemp("site")
    server = _Server(folder)
    yield folder, server
    server.close()


def _open(browser: Browser, url: str, width: int = 1600) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    opened = Opened(page)

    def message(m: ConsoleMessage) -> None:
        opened.console.append(f"{m.type}: {m.text}")

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            opened.refused.append(r.request.url)
            r.abort()

    page.on("console", message)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    context.on("request", lambda r: opened.requests.append(r.url))
    context.route("**/*", route)
    page.expose_function("zcViolation", lambda text: opened.violations.append(text))
    page.add_init_script(WATCH)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(200)  # a late violation or request would arrive by now
    try:
        yield opened
    finally:
        context.close()


# ---------------------------------------------------------------- the pages


def _report(argv: list[str], target: Path, now: datetime = NOW) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", *argv, "--format", "html", "--output", str(target)], out=out,
                err=err, now=now)
    assert (code, err.getvalue()) == (0, "")
    return target.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample(site: tuple[Path, _Server]) -> tuple[str, str]:
    """(url, text) of the page for sample_logs, as test_cli makes its golden file."""
    folder, server = site
    text = _report([str(ROOT / "sample_logs"), "--allowlist",
                    str(ROOT / "sample_logs" / "allowlist.toml")], folder / "sample.html")
    return server.url("sample.html"), text


@pytest.fixture
def sample_page(browser: Browser, sample: tuple[str, str]) -> Iterator[Opened]:
    yield from _open(browser, sample[0])


@pytest.fixture(scope="module")
def hostile(site: tuple[Path, _Server], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[str, str]:
    """test_report's hostile logs, with markup aimed at HTML in the SNI, subject and SANs."""
    logs = tmp_path_factory.mktemp("hostile")
    fp1, fp2 = "a" * 64, "b" * 64
    ssl = [ssl_row(i, "203.0.113.9", OSC8 + IMG, fp1, "self signed certificate")
           for i in range(6)]
    ssl += [ssl_row(6 + i, "2001:db8::66", BREAKOUT + BIDI, fp2,
                    "unable to get local issuer certificate") for i in range(2)]
    ssl.append(ssl_row(9, "198.51.100.1", BIDI, None, None))
    write_tsv(str(logs / "ssl.log"), SSL_FIELDS, SSL_TYPES, ssl, log_path="ssl")
    x509 = [x509_row(fp1, f"CN={OSC8},O={IMG}", f"CN={END_SCRIPT}", [BREAKOUT, BIDI]),
            x509_row(fp2, f"CN={SCRIPT}", f"O={BREAKOUT}", [IMG])]
    write_tsv(str(logs / "x509.log"), X509_FIELDS, X509_TYPES, x509, log_path="x509")
    folder, server = site
    text = _report([str(logs)], folder / "hostile.html",
                   now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    return server.url("hostile.html"), text


# ---------------------------------------------------------------- the tests


def test_the_page_loads_quietly_and_its_script_runs(sample_page: Opened,
                                                    sample: tuple[str, str],
                                                    site: tuple[Path, _Server]) -> None:
    sample_page.quiet(sample[0])
    assert site[1].paths[-1] == "/sample.html"
    page = sample_page.page
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("Array.from(document.querySelectorAll('h2'), (h) => h.id)") == [
        "hunt", "summary", "chart", "self-signed", "servers", "data-quality", "next-steps"]
    # The script ran: it showed the four filter boxes and made every header focusable.
    assert page.locator("input.filter:visible").count() == 4
    assert page.evaluate("Array.from(document.querySelectorAll('th'), (t) => t.tabIndex)"
                         ) == [0] * 7 + [0] * 5 + [0] * 12 + [0] * 12
    assert sample_page.column("servers-table", 0) == SERVERS


def test_a_click_on_a_header_sorts_numbers_times_and_addresses(sample_page: Opened) -> None:
    conns = sample_page.header("servers-table", "all conns")
    conns.click()
    assert sample_page.column("servers-table", 4) == [
        "3", "7", "17", "44", "61", "106", "107", "112", "151", "163", "195", "273", "292",
        "461", "1211", "1211"]  # not "107" < "17"
    assert conns.get_attribute("aria-sort") == "ascending"
    order = dict(zip(CONNS, SERVERS, strict=False))
    assert sample_page.column("servers-table", 0)[:3] == [order["3"], order["7"], order["17"]]
    conns.click()
    assert sample_page.column("servers-table", 4) == [
        "1211", "1211", "461", "292", "273", "195", "163", "151", "112", "107", "106", "61",
        "44", "17", "7", "3"]
    assert sample_page.column("servers-table", 0)[:2] == ["203.0.113.44", "2001:db8:44::44"]
    assert conns.get_attribute("aria-sort") == "descending"
    conns.click()  # a third click puts back the report's order, worst first
    assert sample_page.column("servers-table", 0) == SERVERS
    assert conns.get_attribute("aria-sort") is None

    sample_page.header("servers-table", "server").click()
    assert sample_page.column("servers-table", 0) == [
        "10.20.30.40", "10.20.40.9", "10.20.50.12", "192.0.2.30", "192.0.2.40", "192.0.2.151",
        "198.51.100.23", "198.51.100.60", "198.51.100.61", "198.51.100.70", "198.51.100.71",
        "203.0.113.44", "203.0.113.80", "203.0.113.151", "203.0.113.200", "2001:db8:44::44"]

    last = sample_page.header("servers-table", "last seen")
    last.focus()
    sample_page.page.keyboard.press("Enter")  # the keyboard sorts too
    seen = sample_page.column("servers-table", 7)
    assert seen[0] == "2026-11-25 15:38:40Z" and seen[-1] == "2026-11-27 00:39:19Z"
    assert seen == sorted(seen) and len(set(seen)) == 16
    assert sample_page.column("servers-table", 0)[:2] == ["10.20.40.9", "203.0.113.200"]


def test_each_record_moves_with_its_clients_and_timeline(sample_page: Opened) -> None:
    sample_page.header("self-signed-table", "polled").click()
    records = sample_page.page.evaluate(
        """Array.from(document.getElementById("self-signed-table").tBodies, (b) =>
             [b.rows[0].cells[0].textContent, b.rows[1].textContent,
              b.rows[1].querySelectorAll("svg").length])""")
    # 144.591 s < 144.592 s < 300.372 s; the servers polled irregularly last, in the
    # report's order
    assert [r[0] for r in records] == ["203.0.113.44", "2001:db8:44::44", "198.51.100.23",
                                       "10.20.50.12", "10.20.30.40", "10.20.40.9",
                                       "203.0.113.200"]
    assert [r[2] for r in records] == [2] * 7
    assert "10.1.20.57 (500)" in records[0][1] and "the latest 500 of 1211" in records[0][1]
    assert "10.1.10.14 (3)" in records[5][1]
    hour = sample_page.page.locator("#self-signed-table tbody").first.locator(".tl.h")
    assert hour.get_attribute("aria-label") == ("25 connections in the hour to "
                                                "2026-11-27 00:37:41Z, 25 failing")
    ticks = hour.locator("path.bad").get_attribute("d")
    xs = [int(x) for x in re.findall(r"M(\d+) 8h1", ticks or "")]
    gaps = np.diff(xs)
    assert len(xs) == 25 and set(gaps) <= {9, 10}  # polled every 144.6 s: evenly spaced


def test_the_filter_box_hides_the_records_without_the_text(sample_page: Opened) -> None:
    box = sample_page.page.locator("input[aria-controls=servers-table]")
    count = sample_page.page.locator(".tools:has(input[aria-controls=servers-table]) output")
    box.fill("jenkins")
    assert sample_page.column("servers-table", 0) == ["10.20.30.40"]
    assert count.text_content() == "1 of 16 shown"
    box.fill("10.1.10.12")  # a client, named only under its server
    assert sample_page.column("servers-table", 0) == ["192.0.2.40"]
    box.fill("EXAMPLE NETWORKS")  # case does not matter
    assert sample_page.column("servers-table", 0) == ["198.51.100.60", "198.51.100.61",
                                                      "192.0.2.40"]
    box.fill("no such text")
    assert sample_page.column("servers-table", 0) == []
    assert count.text_content() == "0 of 16 shown"
    assert sample_page.column("self-signed-table", 0) == SERVERS[:7]  # its own box only
    box.fill("")
    assert sample_page.column("servers-table", 0) == SERVERS
    assert count.text_content() == ""


def test_addresses_ports_and_times_never_wrap(browser: Browser, sample: tuple[str, str]
                                              ) -> None:
    for opened in _open(browser, sample[0], width=720):
        lines = opened.page.evaluate(
            """() => {
              const lines = (el) => {  // the lines its text is laid out on
                const tops = new Set();
                const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                  const range = document.createRange();
                  range.selectNodeContents(node);
                  for (const r of range.getClientRects()) tops.add(Math.round(r.top));
                }
                return tops.size;
              };
              const out = {kept: [], wrapped: 0};
              for (const td of document.querySelectorAll("tbody tr:first-child td:not(.w)")) {
                out.kept.push([td.textContent, lines(td)]);
              }
              for (const span of document.querySelectorAll("tr.act .nw")) {
                out.kept.push([span.textContent, lines(span)]);
              }
              out.wrapped = Array.from(document.querySelectorAll("td.w"))
                .filter((td) => lines(td) > 1).length;
              return out;
            }""")
        kept = lines["kept"]
        # the seven hunt leads' rank, address, port and score, the summary's cells but its
        # meanings, the self-signed and failing servers' cells but their names, subjects,
        # issuers and causes, and every client under them
        assert len(kept) == 7 * 4 + 8 * 4 + 7 * 10 + 16 * 8 + 37
        assert [text for text, n in kept if n != (1 if text else 0)] == []
        texts = {text for text, _ in kept}
        assert {"2001:db8:44::44", "8443", "2026-11-27 00:39:19Z", "fd0a:1:20::57 (500)",
                "10.1.10.23 (104)"} <= texts
        assert lines["wrapped"] >= 20  # at 720 pixels the subjects and issuers do wrap
        opened.quiet(sample[0])


def test_hostile_cell_text_stays_text(browser: Browser, hostile: tuple[str, str]) -> None:
    url, text = hostile
    assert "window.pwned" in text and "<img" not in text and "<a " not in text
    for opened in _open(browser, url):
        opened.quiet(url)
        page = opened.page
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 1
        assert page.evaluate("document.scripts[0].textContent") == html_script.SCRIPT
        assert page.evaluate(
            "document.querySelectorAll('img, a, iframe, object, embed, form, base').length"
        ) == 0
        assert page.evaluate("""Array.from(document.querySelectorAll("*")).flatMap((e) =>
            Array.from(e.attributes, (a) => a.name)).filter((n) => n.startsWith("on"))""") == []
        tags = page.evaluate("""Array.from(new Set(Array.from(
            document.querySelectorAll("table td *"), (e) => e.localName))).sort()""")
        assert tags == ["li", "path", "span", "svg", "ul", "wbr"]  # li, ul: a lead's reasons
        subjects = opened.column("servers-table", 9)
        assert subjects == [f"CN=\\x1b]8;;http://evil/\\x07click\\x1b]8;;\\x07,O={IMG}",
                            f"CN={SCRIPT}"]
        issuers = opened.column("servers-table", 10)
        assert issuers == [f"CN={END_SCRIPT}", f"O={BREAKOUT}"]
        box = page.locator("input[aria-controls=servers-table]")
        box.fill("<script>alert")  # markup is only text to the filter as well
        assert opened.column("servers-table", 0) == ["2001:db8::66"]
        box.fill("")
        opened.header("servers-table", "subject").click()
        assert opened.column("servers-table", 9) == [f"CN={SCRIPT}", subjects[0]]
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert opened.console == [] and opened.violations == [] and opened.dialogs == []


def test_a_changed_script_is_refused_by_the_policy(browser: Browser, sample: tuple[str, str],
                                                    site: tuple[Path, _Server]) -> None:
    """The control: the same page with one character of its script changed."""
    folder, server = site
    changed = sample[1].replace("shown += 1", "shown += 2")
    assert changed != sample[1]
    (folder / "changed.html").write_text(changed, encoding="utf-8")
    url = server.url("changed.html")
    for opened in _open(browser, url):
        assert opened.violations == ["script-src-elem inline"]
        assert len(opened.console) == 1 and "Content Security Policy" in opened.console[0]
        assert opened.page.locator("input.filter:visible").count() == 0  # it did not run
        assert opened.requests == [url]


def test_a_screenshot_shows_the_page(sample_page: Opened, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    sample_page.page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 100_000
    with Image.open(shot) as image:
        width, height = image.size
        assert width == 1600 and 2500 < height < 6000
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 50
    assert (0xB2, 0x18, 0x2B) in colours  # the failing ticks of the timelines
    assert (0xD5, 0x5E, 0x00) in colours  # self_signed in the chart and the summary's key


# ---------------------------------------------------------------- without a browser


def test_the_policy_allows_exactly_the_page_s_one_script(sample: tuple[str, str]) -> None:
    text = sample[1]
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert scripts == [html_script.SCRIPT] and text.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text)
    assert policy is not None
    assert policy.group(1).split("; ") == [
        "default-src 'none'", f"script-src 'sha256-{digest}'", "style-src 'unsafe-inline'",
        "img-src data:", "base-uri 'none'", "form-action 'none'"]


def test_the_script_never_reads_text_as_markup_or_code() -> None:
    for banned in ("innerHTML", "outerHTML", "insertAdjacent", "document.write", "eval",
                   "Function", "setTimeout", "setInterval", "createContextualFragment",
                   "DOMParser", "srcdoc", "fetch", "XMLHttpRequest", "WebSocket", "import",
                   "location", "href", "src", "style", "createElement"):
        assert banned not in html_script.SCRIPT
    assert html_script.SCRIPT.isascii() and "</" not in html_script.SCRIPT


def _big_day() -> Any:
    """The sample report grown to a big day: 150 failing servers, 100 of them self-signed,
    and the most connections ``activity`` keeps (100 servers x 500), spread at random."""
    findings = build(zeekcert.load(str(ROOT / "sample_logs")), now=NOW)
    hosts = [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(150)]
    servers = pd.concat([findings.servers.iloc[[0]]] * 150, ignore_index=True)
    servers["resp_h"] = hosts
    signed = pd.concat([findings.self_signed.iloc[[0]]] * 100, ignore_index=True)
    signed["resp_h"] = hosts[:100]
    rng = np.random.default_rng(11)
    start = pd.Timestamp(findings.window_start).value // 1000
    end = pd.Timestamp(findings.window_end).value // 1000
    times = np.sort(rng.integers(start, end, size=(100, 500)), axis=1)
    activity = pd.DataFrame({
        "resp_h": np.repeat(hosts[:100], 500), "resp_p": 443,
        "orig_h": [f"10.9.{i % 7}.{i % 13}" for i in range(50_000)],
        "ts": pd.to_datetime(times.ravel(), unit="us", utc=True),
        "failing": rng.random(50_000) < 0.5})
    return replace(findings, servers=servers, self_signed=signed, activity=activity)


def test_the_page_stays_small_on_a_big_day(browser: Browser, site: tuple[Path, _Server]
                                           ) -> None:
    out = io.StringIO()
    write_html(_big_day(), out)
    text = out.getvalue()
    assert 400_000 < len(text.encode()) < 1_500_000
    strips = re.findall(r"<svg>(.*?)</svg>", text)
    assert len(strips) == 2 * (100 + 100)  # two per self-signed server, two per failing one
    assert max(len(s) for s in strips) < 5000
    assert "50 more servers are in the JSON report." in text
    folder, server = site
    (folder / "big.html").write_text(text, encoding="utf-8")
    url = server.url("big.html")
    for opened in _open(browser, url):
        opened.quiet(url)
        assert len(opened.column("servers-table", 0)) == 100
        took = opened.page.evaluate("""() => {
            const th = document.querySelector("#servers-table th");
            const t0 = performance.now();
            th.click();
            th.click();
            return performance.now() - t0; }""")
        assert took < 2000
        assert opened.column("servers-table", 0)[:2] == ["198.18.0.100", "198.18.0.99"]
