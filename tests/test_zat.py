"""zat's LogToDataFrame against zeekcert.read_log on the same real logs, through from_zat.

zat never returns on a JSON or zero-byte file, so every in-process zat call runs under
SIGALRM, and the hang itself is only ever shown in a subprocess that gets killed.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from timelimit import time_limit

import zeekcert
from zeekcert.reading.zat import from_zat, guess_kind

zat_l2df = pytest.importorskip("zat.log_to_dataframe")

# zat 0.4.9 calls set_index(inplace=True), which pandas 3.1 deprecates (gone in pandas 4).
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.set_index")

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "tests" / "data" / "real"
SHARED = ROOT.parent / "shared" / "real-logs"
ZAT_SECONDS = 120

SSL62 = "zed-sample-data/wrccdc2018-zeek-6.2.0-tsv/ssl.log.gz"
X509_62 = "zed-sample-data/wrccdc2018-zeek-6.2.0-tsv/x509.log.gz"
NOTICE62 = "zed-sample-data/wrccdc2018-zeek-6.2.0-tsv/notice.log.gz"
KNOWN62 = "zed-sample-data/wrccdc2018-zeek-6.2.0-tsv/known_certs.log.gz"
X509_30 = "zed-sample-data/wrccdc2018-zeek-3.0.0-tsv/x509.log.gz"
RITA_SSL = "rita/zeekctl-hourly-rotated-proxy/ssl.16:00:00-17:00:00.log.gz"
RITA_X509 = "rita/zeekctl-hourly-rotated-proxy/x509.16:00:00-17:00:00.log.gz"
TOR_SSL = "zat/bro-2.5-ssl-cert_chain_fuids-tor/tor_ssl.log"
JSON_NAMED_LOG = "zat/zeek-json-epoch-fuids/ssl.log"
OCSP = "zeek/btest-baselines-v3.0.0/scripts.base.protocols.ssl.ocsp-revoked/ocsp.log"

# Zeek before 8.x writes times from 2038 on in %g style; both files hold such a value.
NOT_AFTER = "certificate.not_valid_after"
SCIENTIFIC = {X509_62: ("2.385616957e+09", 2385616957), X509_30: ("2.385642e+09", 2385642000)}


def real_log(rel: str) -> Path:
    """Return a real log from tests/data/real, else from the shared corpus; never skip."""
    for base in (BUNDLED, SHARED):
        if (base / rel).is_file():
            return base / rel
    pytest.fail(f"real log {rel} is not available")


def plain_copy(path: Path, tmp_path: Path) -> Path:
    """Return an uncompressed copy: zat opens every file as text, so gzip fails in it."""
    if path.suffix != ".gz":
        return path
    target = tmp_path / path.name.removesuffix(".gz")
    with gzip.open(path, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def zat_frame(path: Path, tmp_path: Path, **options: Any) -> pd.DataFrame:
    """Read a non-empty TSV log with zat, under a time limit."""
    plain = plain_copy(path, tmp_path)
    with time_limit(ZAT_SECONDS):
        return zat_l2df.LogToDataFrame().create_dataframe(str(plain), **options)


def zat_in_subprocess(path: Path, seconds: float) -> subprocess.CompletedProcess[str]:
    """Run zat on ``path`` in a child process that is killed after ``seconds``."""
    code = ("import sys; from zat.log_to_dataframe import LogToDataFrame; "
            "LogToDataFrame().create_dataframe(sys.argv[1])")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=seconds, check=False)


@pytest.mark.parametrize("rel", [SSL62, NOTICE62, KNOWN62, RITA_SSL, RITA_X509])
def test_from_zat_equals_read_log(rel: str, tmp_path: Path) -> None:
    path = real_log(rel)
    ours = zeekcert.read_log(path)
    assert not ours.attrs["zeekcert"].bad_values and len(ours) > 0
    pd.testing.assert_frame_equal(from_zat(zat_frame(path, tmp_path)), ours)


@pytest.mark.parametrize("rel", [X509_62, X509_30])
def test_x509_time_in_scientific_notation(rel: str, tmp_path: Path) -> None:
    """zat parses ``2.385616957e+09`` with float(); where read_log has NaT there, zat is right."""
    path = real_log(rel)
    text, seconds = SCIENTIFIC[rel]
    with gzip.open(path, "rt") as handle:
        assert any(f"\t{text}\t" in line for line in handle)
    ours, theirs = zeekcert.read_log(path), from_zat(zat_frame(path, tmp_path))
    gap = ours[NOT_AFTER].isna() & theirs[NOT_AFTER].notna()
    assert int(gap.sum()) == ours.attrs["zeekcert"].bad_values.get(NOT_AFTER, 0)
    assert (theirs.loc[gap, NOT_AFTER] == pd.Timestamp(seconds, unit="s", tz="UTC")).all()
    same = ~gap
    pd.testing.assert_frame_equal(theirs[same], ours[same])


def test_zeek_3_wrote_only_seven_digits(tmp_path: Path) -> None:
    """The same certificate: Zeek 3.0 lost 157 s of not_valid_after, Zeek 6.2 none."""
    old = from_zat(zat_frame(real_log(X509_30), tmp_path))
    new = from_zat(zat_frame(real_log(X509_62), tmp_path))
    old_after = old.loc[old["certificate.serial"] == "C5F8CDF3FFCBBF2D", NOT_AFTER].iloc[0]
    new_after = new.loc[new["certificate.serial"] == "C5F8CDF3FFCBBF2D", NOT_AFTER].iloc[0]
    assert new_after == pd.Timestamp("2045-08-06 07:22:37", tz="UTC")
    # Zeek < 8 also shifted ASN.1 times by the sensor's UTC offset (7 h here), see MANIFEST.
    assert old_after - new_after == pd.Timedelta(hours=7) - pd.Timedelta(seconds=157)


def test_zat_raw_ssl_frame(tmp_path: Path) -> None:
    raw = zat_frame(real_log(SSL62), tmp_path)
    ours = zeekcert.read_log(real_log(SSL62))
    assert raw.index.name == "ts" and "ts" not in raw.columns
    assert isinstance(raw.index, pd.DatetimeIndex) and raw.index.tz is None
    assert str(raw.index.dtype) == "datetime64[ns]"
    # 1521911720.615923 went through a float: off by 72 ns, and naive.
    assert raw.index[0] == pd.Timestamp("2018-03-24 17:15:20.615922928")
    assert ours["ts"].iloc[0] == pd.Timestamp("2018-03-24 17:15:20.615923", tz="UTC")
    assert raw["uid"].dtype == object and ours["uid"].dtype == pd.StringDtype("pyarrow")
    for name in ("id.orig_h", "version", "server_name", "resumed", "cert_chain_fps"):
        assert isinstance(raw[name].dtype, pd.CategoricalDtype), name
    assert str(raw["id.orig_p"].dtype) == "UInt16"
    assert raw["resumed"].cat.categories.tolist() == ["F", "T"]
    assert raw["client_cert_chain_fps"].iloc[0] == "(empty)"
    assert ours["client_cert_chain_fps"].iloc[0] == []
    assert raw["server_name"].isna().iloc[0] and pd.isna(ours["server_name"].iloc[0])


def test_zat_raw_ssl_vector_is_one_string(tmp_path: Path) -> None:
    raw = zat_frame(real_log(SSL62), tmp_path).reset_index()
    ours = zeekcert.read_log(real_log(SSL62))
    row = int(ours["cert_chain_fps"].list.len().fillna(0).gt(1).idxmax())
    chain = list(ours["cert_chain_fps"].iloc[row])
    assert len(chain) > 1 and raw["cert_chain_fps"].iloc[row] == ",".join(chain)


def test_zat_raw_x509_frame(tmp_path: Path) -> None:
    raw = zat_frame(real_log(X509_62), tmp_path)
    ours = zeekcert.read_log(real_log(X509_62))
    assert str(raw["certificate.version"].dtype) == "UInt64"
    assert str(raw["certificate.not_valid_before"].dtype) == "datetime64[us]"
    # pandas turned an all-numeric text column's categories into numbers.
    assert raw["certificate.exponent"].cat.categories.tolist() == [65537]
    assert ours["certificate.exponent"].iloc[0] == "65537"
    # zat keeps Zeek's TSV escape of a backslash; read_log decodes it.
    assert "VMware\\\\, Inc" in raw["certificate.subject"].iloc[0]
    assert "VMware\\, Inc" in ours["certificate.subject"].iloc[0]
    assert raw["basic_constraints.ca"].cat.categories.tolist() == ["F", "T"]
    assert raw["basic_constraints.path_len"].isna().iloc[0]


def test_zat_raw_notice_frame(tmp_path: Path) -> None:
    raw = zat_frame(real_log(NOTICE62), tmp_path)
    assert str(raw["suppress_for"].dtype) == "timedelta64[us]"
    assert raw["suppress_for"].iloc[0] == pd.Timedelta(hours=1)
    assert raw["remote_location.latitude"].dtype == "float64"
    assert str(raw["n"].dtype) == "UInt64" and str(raw["p"].dtype) == "UInt16"
    assert raw["actions"].iloc[0] == "Notice::ACTION_LOG"
    assert raw["email_dest"].iloc[0] == "(empty)"
    assert raw["note"].cat.categories.tolist() == ["SSL::Invalid_Server_Cert"]


def test_from_zat_same_for_every_zat_option(tmp_path: Path) -> None:
    path = real_log(RITA_SSL)
    default = zat_frame(path, tmp_path)
    before = default.copy(deep=True)
    expected = from_zat(default)
    pd.testing.assert_frame_equal(default, before)
    for options in ({"ts_index": False}, {"aggressive_category": False}):
        pd.testing.assert_frame_equal(from_zat(zat_frame(path, tmp_path, **options)), expected)
    pd.testing.assert_frame_equal(from_zat(default, kind="ssl"), expected)


@pytest.mark.parametrize(("rel", "kind"), [(SSL62, "ssl"), (X509_62, "x509"),
                                           (NOTICE62, "notice"), (KNOWN62, "known_certs"),
                                           (OCSP, None)])
def test_guess_kind(rel: str, kind: str | None, tmp_path: Path) -> None:
    assert guess_kind(zat_frame(real_log(rel), tmp_path).reset_index().columns) == kind


def test_unknown_kind_converts_only_times(tmp_path: Path) -> None:
    """Without a schema the categoricals stay; zat's datetimes still become UTC microseconds."""
    path = real_log(OCSP)
    raw, ours = zat_frame(path, tmp_path), zeekcert.read_log(path)
    converted = from_zat(raw)
    for name in ("ts", "revoketime", "thisUpdate", "nextUpdate"):
        pd.testing.assert_series_equal(converted[name], ours[name])
    status = raw["certStatus"].reset_index(drop=True)
    pd.testing.assert_series_equal(converted["certStatus"], status)


def test_zat_fails_on_ragged_row_that_read_log_skips(tmp_path: Path) -> None:
    """zat's own tor_ssl.log has a 32-field line 688; pandas refuses the whole file."""
    path = real_log(TOR_SSL)
    with pytest.raises(pd.errors.ParserError, match="Expected 20 fields in line 688, saw 32"):
        zat_frame(path, tmp_path)
    report = zeekcert.read_log(path).attrs["zeekcert"]
    assert report.skipped_lines == [688] and report.rows == 733


def test_zat_cannot_read_gzip() -> None:
    with time_limit(ZAT_SECONDS), pytest.raises(UnicodeDecodeError):
        zat_l2df.LogToDataFrame().create_dataframe(str(real_log(KNOWN62)))


@pytest.mark.slow
def test_zat_hangs_on_json_and_empty_files(tmp_path: Path) -> None:
    """Without a ``#fields`` line zat's header loop reads '' at end of file forever."""
    empty = tmp_path / "ssl.log"
    empty.touch()
    for path in (real_log(JSON_NAMED_LOG), empty):
        with pytest.raises(subprocess.TimeoutExpired):
            zat_in_subprocess(path, seconds=3)


def _real_header_and_row(rel: str) -> tuple[list[str], list[str]]:
    """Return the header lines (up to ``#types``) and the first data row of a real log."""
    with gzip.open(real_log(rel), "rt") as handle:
        lines = [handle.readline().rstrip("\n") for _ in range(12)]
    header = [line for line in lines if line.startswith("#")][:8]
    row = next(line for line in lines if not line.startswith("#"))
    return header, row.split("\t")


def test_header_only_file(tmp_path: Path) -> None:
    """With no rows zat leaves ``ts`` a column; from_zat still matches read_log's empty frame."""
    header, _row = _real_header_and_row(SSL62)
    path = tmp_path / "ssl.log"
    path.write_text("\n".join(header) + "\n")
    raw = zat_frame(path, tmp_path)
    assert raw.empty and "ts" in raw.columns and raw.index.name is None
    pd.testing.assert_frame_equal(from_zat(raw), zeekcert.read_log(path))


def test_pandas_parser_losses_zat_inherits(tmp_path: Path) -> None:
    """A real row with server_name edited: read_csv's comment, quote and NA rules lose data."""
    header, row = _real_header_and_row(SSL62)
    names = ["a#b", "null", '"quoted"', "NA"]
    rows = ["\t".join([*row[:9], name, *row[10:]]) for name in names]
    path = tmp_path / "ssl.log"
    path.write_text("\n".join(header + rows) + "\n")
    ours, theirs = zeekcert.read_log(path), from_zat(zat_frame(path, tmp_path))
    assert ours["server_name"].tolist() == names
    assert theirs["server_name"].tolist() == ["a", pd.NA, "quoted", pd.NA]
    # '#' starts a comment: every field after it on that line is lost too.
    assert theirs.iloc[0, 10:].isna().all() and ours.iloc[0, 10:].notna().sum() > 0


def test_classify_takes_zat_frames_as_they_are(tmp_path: Path) -> None:
    ssl = real_log(SSL62)
    zat_logs = {"ssl": zat_frame(ssl, tmp_path)}
    ours = zeekcert.classify(zeekcert.load(ssl, kinds=["ssl"]))
    theirs = zeekcert.classify(zat_logs)
    assert len(theirs) == len(ours) == 49474
    assert theirs["causes"].map(list).tolist() == ours["causes"].map(list).tolist()
    assert theirs["fingerprint"].astype(str).tolist() == ours["fingerprint"].astype(str).tolist()
