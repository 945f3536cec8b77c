"""The catalogue of certificates known tooling and products make: entries read from TOML.

The package ships ``catalogue.toml``; a user adds their own entries with ``--catalogue
FILE`` in the same form. Every entry is checked when it is read: an unknown field, a
bad value or a duplicate id is a ConfigError naming the file, the entry and its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..toml_files import TomlFile, read_toml
from .dn import Name, parse_dn

SHIPPED = "catalogue.toml"
STRUCTURES = {"go_generated_subject"}


class Family(StrEnum):
    """What made a certificate the catalogue knows."""

    C2 = "c2"
    VENDOR_DEFAULT = "vendor_default"

    @property
    def description(self) -> str:
        """One line saying what the family means."""
        return {Family.C2: "command-and-control tooling: a lead to hunt",
                Family.VENDOR_DEFAULT: "a product's factory certificate: a hygiene finding, "
                                       "not a threat"}[self]

    @property
    def prefix(self) -> str:
        """The label's first word: ``tooling`` or ``vendor``."""
        return "tooling" if self is Family.C2 else "vendor"


class Confidence(StrEnum):
    """How sure a match is: an exact hash or DN is high, a structural pattern lower."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def description(self) -> str:
        """One line saying what the confidence means."""
        return {Confidence.HIGH: "an exact DN, serial or fingerprint the tool writes",
                Confidence.MEDIUM: "a name or structure the tool writes, that others may too",
                Confidence.LOW: "a weak hint, to read with the rest"}[self]


@dataclass(frozen=True)
class Match:
    """One way an entry matches a certificate: every field given must hold."""

    subject: Name | None = None
    issuer: Name | None = None
    subject_cn: str | None = None
    issuer_cn: str | None = None
    subject_pattern: re.Pattern[str] | None = None
    issuer_pattern: re.Pattern[str] | None = None
    serial: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    key_type: str | None = None
    key_length: int | None = None
    validity_days: int | None = None
    structure: str | None = None
    structure_on: str = "subject"
    self_signed: bool | None = None


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: what it is, how it matches, and where that is documented."""

    id: str
    family: Family
    tool: str
    confidence: Confidence
    shared: bool
    description: str
    matches: tuple[Match, ...]
    source: str
    date: str
    false_positives: str

    @property
    def label(self) -> str:
        """``tooling:cobalt_strike_default`` or ``vendor:splunk_default``."""
        return f"{self.family.prefix}:{self.id}"


@dataclass(frozen=True)
class Catalogue:
    """The entries to match, the shipped ones first."""

    entries: tuple[Entry, ...]
    version: int = 1

    def __len__(self) -> int:
        return len(self.entries)

    def by_id(self, entry_id: str) -> Entry:
        """The entry with this id; KeyError if there is none."""
        return next(e for e in self.entries if e.id == entry_id)


def load_catalogue(extra: str | Path | None = None, shipped: bool = True) -> Catalogue:
    """The shipped catalogue, plus the entries of ``extra`` (a user's TOML file)."""
    entries: list[Entry] = []
    if shipped:
        text = resources.files(__package__).joinpath(SHIPPED)
        with resources.as_file(text) as path:
            entries += _entries(read_toml(path, "catalogue"))
    if extra is not None:
        entries += _entries(read_toml(extra, "catalogue"))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ConfigError(f"catalogue entry {entry.id!r} is defined twice", extra)
        seen.add(entry.id)
    return Catalogue(tuple(entries))


_ENTRY_KEYS = {"id", "family", "tool", "confidence", "shared", "description", "match",
               "provenance"}
_PROVENANCE_KEYS = {"source", "date", "false_positives"}


def _entries(file: TomlFile) -> list[Entry]:
    unknown = sorted(set(file.data) - {"version", "entry"})
    if unknown:
        raise file.error(f"unknown catalogue key(s): {', '.join(unknown)}",
                         file.key_line(unknown[0]))
    raw = file.data.get("entry", [])
    if not isinstance(raw, list):
        raise file.error("entry must be an array of tables: [[entry]]")
    lines = file.table_lines("entry")
    return [_entry(item, file, lines[i] if i < len(lines) else None)
            for i, item in enumerate(raw)]


def _entry(item: Any, file: TomlFile, line: int | None) -> Entry:
    name = item.get("id") if isinstance(item, dict) else None

    def bad(message: str) -> ConfigError:
        return file.error(f"catalogue entry {name or '#?'}: {message}", line)

    if not isinstance(item, dict) or not isinstance(name, str) or not re.fullmatch(
            r"[a-z0-9_]{1,64}", name):
        raise bad("needs an id of 1-64 characters from a-z, 0-9 and _")
    unknown = sorted(set(item) - _ENTRY_KEYS)
    if unknown:
        raise bad(f"unknown field(s): {', '.join(unknown)}")
    provenance = item.get("provenance")
    if not isinstance(provenance, dict) or not isinstance(provenance.get("source"), str):
        raise bad("needs [entry.provenance] with a source")
    extra = sorted(set(provenance) - _PROVENANCE_KEYS)
    if extra:
        raise bad(f"unknown provenance field(s): {', '.join(extra)}")
    matches = item.get("match")
    if not isinstance(matches, list) or not matches:
        raise bad("needs at least one [[entry.match]]")
    try:
        family = Family(str(item.get("family")))
        confidence = Confidence(str(item.get("confidence")))
    except ValueError:
        raise bad(f"family must be one of {[f.value for f in Family]} and confidence one "
                  f"of {[c.value for c in Confidence]}") from None
    return Entry(name, family, _text(item, "tool", name, bad), confidence,
                 bool(item.get("shared", False)), _text(item, "description", "", bad),
                 tuple(_match(m, bad) for m in matches), provenance["source"],
                 str(provenance.get("date", "")), str(provenance.get("false_positives", "")))


def _text(item: dict[str, Any], key: str, default: str, bad: Any) -> str:
    value = item.get(key, default)
    if not isinstance(value, str):
        raise bad(f"{key} must be text")
    return value


def _match(raw: Any, bad: Any) -> Match:
    """One [[entry.match]] table, each value checked and normalised."""
    if not isinstance(raw, dict) or not raw:
        raise bad("a match must be a table with at least one field")
    known = set(Match.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise bad(f"unknown match field(s): {', '.join(unknown)}; known: "
                  f"{', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        values[key] = _match_value(key, value, bad)
    if set(values) <= {"structure_on"}:
        raise bad("a match needs a field besides structure_on")
    return Match(**values)


def _match_value(key: str, value: Any, bad: Any) -> Any:
    if key in ("subject", "issuer"):
        name = parse_dn(value) if isinstance(value, str) else None
        if name is None:
            raise bad(f"{key}: not a distinguished name: {value!r}")
        return name
    if key in ("subject_pattern", "issuer_pattern"):
        try:
            return re.compile(str(value), re.IGNORECASE)
        except re.error as exc:
            raise bad(f"{key}: not a regular expression: {exc}") from None
    if key in ("key_length", "validity_days"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(f"{key}: expected a whole number, got {value!r}")
        return value
    if key == "self_signed":
        if not isinstance(value, bool):
            raise bad(f"{key}: expected true or false, got {value!r}")
        return value
    if not isinstance(value, str) or not value:
        raise bad(f"{key}: expected text, got {value!r}")
    return _normalised(key, value, bad)


def _normalised(key: str, value: str, bad: Any) -> str:
    if key == "serial":
        return normal_serial(value) or _raise(bad(f"serial: not hex: {value!r}"))
    if key in ("sha1", "sha256"):
        digits = value.replace(":", "").lower()
        width = 40 if key == "sha1" else 64
        if not re.fullmatch(f"[0-9a-f]{{{width}}}", digits):
            raise bad(f"{key}: expected {width} hex digits")
        return digits
    if key == "structure" and value not in STRUCTURES:
        raise bad(f"structure: unknown {value!r}; known: {', '.join(sorted(STRUCTURES))}")
    if key == "structure_on" and value not in ("subject", "issuer", "either"):
        raise bad("structure_on: expected subject, issuer or either")
    return value.lower() if key in ("key_type", "subject_cn", "issuer_cn") else value


def normal_serial(value: object) -> str | None:
    """A serial as upper-case hex without colons or leading zeros; None if not hex."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace(":", "").upper()
    negative = text.startswith("-")
    digits = text.lstrip("-").lstrip("0") or "0"
    if not re.fullmatch(r"[0-9A-F]+", digits):
        return None
    return ("-" if negative else "") + digits


def _raise(error: ConfigError) -> str:
    raise error
