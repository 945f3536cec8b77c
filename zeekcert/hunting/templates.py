"""Subjects that a tool's generator makes, recognised by their structure, not one value.

Sliver (``server/certs/subject.go``) and Havoc, which copied it
(``teamserver/pkg/common/certs/https.go``), build each HTTPS certificate's subject from
fixed lists: an organisation from eight names and six legal suffixes, in lower, upper or
title case, or none; C=US; a state and one of its cities from seven, or both blank; a
street that is blank but for one; a postal code from 1000 to 8999; and the host as the
common name. Go writes a blank value as an empty attribute (``ST=``), which Zeek logs.
"""

from __future__ import annotations

import re

from .dn import Name, attribute

_CITIES = {
    "": {""},
    "Arizona": {"Phoenix", "Mesa", "Scottsdale", "Chandler"},
    "California": {"San Francisco", "Oakland", "Berkeley", "Palo Alto", "Los Angeles",
                   "San Diego", "San Jose"},
    "Colorado": {"Denver", "Boulder", "Aurora", "Fort Collins"},
    "Connecticut": {"New Haven", "Bridgeport", "Stamford", "Norwalk"},
    "Washington": {"Seattle", "Tacoma", "Olympia", "Spokane"},
    "Florida": {"Miami", "Orlando", "Tampa", "Jacksonville"},
    "Illinois": {"Chicago", "Aurora", "Naperville", "Peoria"},
}
_STREETS = {"", "Golden Gate Bridge"}
_NAMES = ["", "ACME", "Partners", "Tech", "Cloud", "Synergy", "Test", "Debug"]
_SUFFIXES = ["", "co", "llc", "inc", "corp", "ltd"]
ORGANISATIONS = {f"{n} {s}".strip().lower() for n in _NAMES for s in _SUFFIXES}
_ALLOWED = {"CN", "O", "C", "ST", "L", "STREET", "POSTALCODE"}
_POSTAL = re.compile(r"[1-8][0-9]{3}")


def go_generated(name: Name | None) -> bool:
    """Whether a parsed DN has the shape of Sliver's and Havoc's generated subjects."""
    if name is None or {k for k, _ in name} - _ALLOWED:
        return False
    if attribute(name, "C") != ["US"]:
        return False
    postal, state, city = (attribute(name, k) for k in ("POSTALCODE", "ST", "L"))
    if len(postal) != 1 or not _POSTAL.fullmatch(postal[0]):
        return False
    if len(state) != 1 or state[0] not in _CITIES or len(city) != 1 or (
            city[0] not in _CITIES[state[0]]):
        return False
    streets, orgs = attribute(name, "STREET"), attribute(name, "O")
    return all(s in _STREETS for s in streets) and len(streets) <= 1 and (
        len(orgs) <= 1 and all(o.lower() in ORGANISATIONS for o in orgs))
