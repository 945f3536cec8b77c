"""The HTML report's one script, and the Content-Security-Policy hash that allows it.

The script only sorts and filters the page's tables: a click on a column header puts the
table's records (one ``<tbody>`` each) in that column's order, numbers and times by value
(a cell's ``data-v`` when it has one, else its text); a text box per table hides the
records whose text does not contain what was typed. It moves and hides elements that
are already there and sets only attributes and ``textContent``: it never parses text as
markup or code (no ``innerHTML``, ``eval`` or the like), so log text stays text.

The page's CSP allows this exact text by its SHA-256 (``script-src 'sha256-...'``), never
by ``'unsafe-inline'``: a script that anything else put on the page would not run.
"""

from __future__ import annotations

import base64
import hashlib

SCRIPT = """
"use strict";
(() => {
  const key = (cell, type) => {
    const raw = (cell.hasAttribute("data-v") ? cell.getAttribute("data-v")
                                              : cell.textContent).trim();
    if (raw === "") return null;
    if (type === "num" || type === "time") {
      const n = parseFloat(raw);
      return Number.isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  };
  const order = (a, b) => (a.k === null ? (b.k === null ? 0 : 1) : b.k === null ? -1
    : a.k < b.k ? -a.dir : a.k > b.k ? a.dir : 0);
  const sort = (table, th, original) => {
    const was = th.getAttribute("aria-sort");
    const next = was === "ascending" ? "descending" : was === "descending" ? "none"
      : "ascending";
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    if (next !== "none") th.setAttribute("aria-sort", next);
    const dir = next === "descending" ? -1 : 1;
    const type = th.getAttribute("data-type") || "text";
    const records = next === "none" ? original.map((b, i) => ({b, k: i, dir: 1}))
      : Array.from(table.tBodies, (b) => ({b, k: key(b.rows[0].cells[th.cellIndex], type),
                                          dir}));
    records.sort(order);
    for (const r of records) table.appendChild(r.b);
  };
  for (const table of document.querySelectorAll("table.sortable")) {
    const original = Array.from(table.tBodies);
    for (const th of table.tHead.rows[0].cells) {
      th.tabIndex = 0;
      th.addEventListener("click", () => sort(table, th, original));
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sort(table, th, original);
        }
      });
    }
  }
  for (const box of document.querySelectorAll("input.filter")) {
    const table = document.getElementById(box.getAttribute("aria-controls"));
    const tools = box.closest(".tools");
    const count = tools.querySelector("output");
    tools.hidden = false;
    box.addEventListener("input", () => {
      const text = box.value.trim().toLowerCase();
      let shown = 0;
      for (const b of table.tBodies) {
        b.hidden = text !== "" && !b.textContent.toLowerCase().includes(text);
        if (!b.hidden) shown += 1;
      }
      count.textContent = text === "" ? "" : `${shown} of ${table.tBodies.length} shown`;
    });
  }
})();
"""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()
                                           ).decode("ascii")


def script_element() -> str:
    """The ``<script>`` element whose text is exactly ``SCRIPT`` (what the hash covers)."""
    return f"<script>{SCRIPT}</script>"
