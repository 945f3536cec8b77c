"""Every exit code of every subcommand, driven through ``main(argv)``, and the README's table.

The contract: 0 ok; 1 ``--fail-on`` found what it names; 2 usage or configuration error
with nothing processed; 3 some log unreadable (or none of the needed kind) with the rest
processed, or a state that cannot be used; 4 locked; 5 a bug. A partial read never exits 0.
"""

from __future__ import annotations

import gzip
import re
import sqlite3
from pathlib import Path

import pytest
from tinylogs import SERVER
from tinylogs import run_cli as run

import zeekcert.cli.inventory
import zeekcert.cli.report
from zeekcert import errors
from zeekcert.cli.exit_codes import ERROR_EXITS, Exit, exit_for

ROOT = Path(__file__).resolve().parent.parent


def _runs(state: Path) -> int:
    with sqlite3.connect(state) as db:
        return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


# --- the table ---------------------------------------------------------------------------

def _readme_table() -> list[tuple[int, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes and errors", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|\s*(.*?)\s*\|$", section, re.M)
    return [(int(code), meaning, raised) for code, meaning, raised in rows]


def test_readme_table_is_the_exit_code_table() -> None:
    table = _readme_table()
    assert [code for code, _, _ in table] == [int(c) for c in Exit]
    for code, meaning, raised in table:
        assert meaning == Exit(code).description
        named = set(re.findall(r"`(\w+)`", raised))
        assert named == {kind.__name__ for kind, c in ERROR_EXITS if c == code}
    assert "any other exception" in dict((c, r) for c, _, r in table)[5]


def test_every_error_class_has_exactly_one_code() -> None:
    family = [v for v in vars(errors).values()
              if isinstance(v, type) and issubclass(v, errors.ZeekcertError)
              and v is not errors.ZeekcertError]
    assert {k.__name__ for k in family} == {"ZeekLogError", "ConfigError", "UsageError",
                                            "StateError", "StateLocked", "SchedulerError",
                                            "AlertError"}
    codes = {kind.__name__: exit_for(kind("x")) for kind in family}
    assert codes == {"ZeekLogError": Exit.PARTIAL, "ConfigError": Exit.USAGE,
                     "UsageError": Exit.USAGE, "StateError": Exit.PARTIAL,
                     "StateLocked": Exit.LOCKED, "SchedulerError": Exit.PARTIAL,
                     "AlertError": Exit.PARTIAL}
    assert exit_for(RuntimeError("x")) is Exit.INTERNAL


# --- report ------------------------------------------------------------------------------

def test_report_0_when_everything_was_read(tree: Path) -> None:
    code, out, err = run(["report", tree, "--format", "json"])
    assert (code, err) == (0, "")
    assert '"resp_h": "203.0.113.9"' in out


@pytest.mark.parametrize("fail_on", ["any", "new"])
def test_report_1_when_fail_on_finds_it(tree: Path, fail_on: str) -> None:
    assert run(["report", tree, "--fail-on", fail_on])[0] == 1


def test_report_1_wins_over_3_and_still_names_the_bad_file(tree: Path) -> None:
    (tree / "notice.log").write_text("not a log\n")
    code, _, err = run(["report", tree, "--fail-on", "any"])
    assert code == 1
    assert f"zeekcert: not_zeek: {tree / 'notice.log'}: " in err


def _bad_policy(tmp: Path) -> list[str]:
    (tmp / "policy.toml").write_text("[policy]\nmin_rsa_bits = 2048\nmin_rsa = 1\n")
    return ["--policy", str(tmp / "policy.toml")]


def _bad_allowlist(tmp: Path) -> list[str]:
    (tmp / "allow.toml").write_text('[[acknowledged]]\nresp_h = "10.0.0.1"\n')
    return ["--allowlist", str(tmp / "allow.toml")]


USAGE = {
    "policy": (_bad_policy, "policy.toml:3: unknown policy setting(s): min_rsa"),
    "allowlist": (_bad_allowlist,
                  "allow.toml:1: [[acknowledged]] #1: owner and reason are required"),
    "missing policy": (lambda t: ["--policy", str(t / "none.toml")],
                       "none.toml: cannot read policy: No such file or directory"),
    "time": (lambda t: ["--since", "someday"], "usage error: not a time: 'someday'"),
    "option": (lambda t: ["--bogus"], "usage error: unrecognized arguments: --bogus"),
    "output folder": (lambda t: ["-o", str(t / "no" / "r.json")],
                      "cannot write --output: the folder"),
    "output is a folder": (lambda t: ["-o", str(t)], "cannot write --output: it is a folder"),
}


@pytest.mark.parametrize("case", sorted(USAGE))
def test_report_2_on_a_usage_or_configuration_error(tree: Path, tmp_path: Path,
                                                    case: str) -> None:
    extra, message = USAGE[case]
    code, out, err = run(["report", tree, *extra(tmp_path)])
    assert (code, out) == (2, "")
    assert err.startswith("zeekcert: ") and message in err
    assert err.count("\n") == 1


def test_report_2_for_targets_on_stdout_beside_the_report(tree: Path) -> None:
    code, _, err = run(["report", tree, "--targets", "-"])
    assert code == 2 and "--targets - needs the report in a file" in err


def _ragged(tree: Path) -> Path:
    text = (tree / "ssl.log").read_text()
    (tree / "ssl.log").write_text(text.replace("#close", "only\ttwo fields\n#close"))
    return tree / "ssl.log"


def _truncated(tree: Path) -> Path:
    data = gzip.compress((tree / "x509.log").read_bytes())
    (tree / "x509.log").unlink()
    (tree / "x509.log.gz").write_bytes(data[:len(data) // 2])
    return tree / "x509.log.gz"


def _foreign(tree: Path) -> Path:
    (tree / "notice.2026-11-18-00-00-00.log").write_text("<html>not a log</html>\n")
    return tree / "notice.2026-11-18-00-00-00.log"


@pytest.mark.parametrize("spoil,status", [(_ragged, "ragged"), (_truncated, "truncated"),
                                          (_foreign, "not_zeek")])
def test_report_3_for_a_bad_file_in_a_tree_or_named(tree: Path, spoil, status: str) -> None:
    bad = spoil(tree)
    for target in ([tree], [tree / "ssl.log", bad] if bad.name != "ssl.log" else [bad]):
        code, out, err = run(["report", *target, "--format", "json"])
        assert code == 3, target
        assert f"zeekcert: {status}: {bad}: " in err
        assert '"resp_h": "203.0.113.9"' in out  # the rest was processed


def test_report_3_for_a_missing_path_an_empty_folder_and_strict(tree: Path,
                                                                tmp_path: Path) -> None:
    code, out, err = run(["report", tmp_path / "nowhere"])
    assert code == 3 and "no such file or directory" in err.lower()
    (tmp_path / "empty").mkdir()
    code, out, err = run(["report", tmp_path / "empty"])
    assert (code, err) == (3, f"zeekcert: no ssl log found in {tmp_path / 'empty'}\n")
    bad = _ragged(tree)
    code, out, err = run(["report", tree, "--strict"])
    assert (code, out) == (3, "")
    assert err.startswith(f"zeekcert: {bad}:") and "ragged" in err


def _crash(*args: object, **kwargs: object) -> None:
    raise KeyError("a bug")


def test_report_5_on_an_internal_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zeekcert.cli.report, "build_streaming", _crash)
    code, out, err = run(["report", tree])
    assert (code, out) == (5, "")
    assert err == ("zeekcert: internal error, a bug in zeekcert: KeyError: 'a bug'\n"
                   "zeekcert: run again with -v for the traceback, and please report it\n")
    code, _, err = run(["report", tree, "-v"])
    assert code == 5 and "Traceback (most recent call last):" in err
    assert "in _crash" in err


# --- inventory ---------------------------------------------------------------------------

def test_inventory_0_then_1_with_fail_on_new_only_once(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    code, out, err = run(["inventory", tree, "--state", state, "--format", "json"])
    assert (code, err) == (0, "1 new self-signed server: 203.0.113.9:443\n")
    assert '"status": "new"' in out
    state.unlink()
    assert run(["inventory", tree, "--state", state, "--fail-on", "new"])[0] == 1
    assert run(["inventory", tree, "--state", state, "--fail-on", "new"])[0] == 0


@pytest.mark.parametrize("case", ["policy", "allowlist", "time", "option", "output folder"])
def test_inventory_2_changes_nothing(tree: Path, tmp_path: Path, case: str) -> None:
    extra, message = USAGE[case]
    state = tmp_path / "state.db"
    code, out, err = run(["inventory", tree, "--state", state, *extra(tmp_path)])
    assert (code, out) == (2, "")
    assert message in err
    assert not state.exists()


def test_inventory_3_for_a_state_that_cannot_be_used(tree: Path, tmp_path: Path) -> None:
    junk = tmp_path / "inventory.json"
    junk.write_text('{"servers": []}\n')
    code, _, err = run(["inventory", tree, "--state", junk])
    assert code == 3
    assert err.startswith(f"zeekcert: {junk}: not a zeekcert state (not an SQLite database): "
                          "restore it from a backup")
    assert junk.read_text() == '{"servers": []}\n'
    code, _, err = run(["inventory", tree, "--state", tmp_path / "no" / "state.db"])
    assert code == 3 and f"the folder {tmp_path / 'no'} does not exist" in err
    code, _, err = run(["inventory", tree, "--state", tmp_path / "s.db", "--format", "parquet"])
    assert code == 2 and "binary output needs a file: give --output FILE" in err


def test_inventory_3_for_a_newer_state(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    assert run(["inventory", tree, "--state", state])[0] == 0
    with sqlite3.connect(state) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    code, _, err = run(["inventory", tree, "--state", state])
    assert code == 3 and "state schema 99 is newer than this zeekcert (4)" in err
    assert _runs(state) == 1


def test_inventory_3_for_a_bad_file_but_the_run_is_kept(tree: Path, tmp_path: Path) -> None:
    bad = _ragged(tree)
    state = tmp_path / "state.db"
    code, out, err = run(["inventory", tree, "--state", state, "--format", "json"])
    assert code == 3
    assert f"zeekcert: ragged: {bad}: " in err
    assert SERVER in out and _runs(state) == 1


def test_inventory_3_for_an_empty_or_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    state = tmp_path / "state.db"
    code, _, err = run(["inventory", tmp_path / "empty", "--state", state])
    assert (code, err) == (3, f"zeekcert: no ssl log found in {tmp_path / 'empty'}\n")
    state.unlink()
    code, _, err = run(["inventory", tmp_path / "nowhere", "--state", state])
    assert (code, err) == (3, f"zeekcert: {tmp_path / 'nowhere'}: no such file or directory\n")
    assert not state.exists()


def test_inventory_4_while_another_run_holds_the_lock(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    assert run(["inventory", tree, "--state", state])[0] == 0
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = run(["inventory", tree, "--state", state])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (code, out) == (4, "")
    assert err == (f"zeekcert: {state}: another run holds the lock on this state; try again "
                   "when it has finished\n")
    assert _runs(state) == 1


def test_inventory_5_on_an_internal_error(tree: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zeekcert.cli.inventory, "run_nightly", _crash)
    code, out, err = run(["inventory", tree, "--state", tmp_path / "s.db"])
    assert (code, out) == (5, "")
    assert err.startswith("zeekcert: internal error, a bug in zeekcert: KeyError")
