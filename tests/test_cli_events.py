"""Command-line parity and safety for event logs (issue 13, points 5 and 6): one option
group for ``journeys`` and ``attribute --events``, output formats by extension, Excel and
compressed files, header-only files, and warnings printed as one line."""

from __future__ import annotations

import bz2
import gzip
import json
import zipfile

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from pathcredit.cli import main
from pathcredit.cli.attribute import attribute as attribute_command
from pathcredit.cli.journeys import journeys_command

EVENTS = (
    "user_id,timestamp,channel,conversion\n"
    "a,2024-01-01,email,0\n"
    "a,2024-01-05,search,0\n"
    "a,2024-01-06,,1\n"
    "b,2024-01-01,search,0\n"
    "b,2024-03-01,,1\n"  # search is 60 days before: outside 30 days, kept with no limit
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def errline(res, code=2) -> str:
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


@pytest.fixture
def events_csv(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text(EVENTS)
    return f


def test_attribute_events_accepts_every_journeys_option():
    def names(cmd, skip):
        return {p.name for p in cmd.params} - skip

    # the input format (journeys --format / --events-format, attribute --events-format),
    # --channel-grouping and --session-source are shared too (cli/_ga4.py)
    journeys = names(journeys_command, {"events", "output"})
    attribute = names(attribute_command, set())
    assert journeys - attribute == set()
    # and each shared option has one help text
    helps = {p.name: p.help for p in journeys_command.params}
    for p in attribute_command.params:
        if p.name in journeys and p.name != "value_col":
            assert p.help == helps[p.name], p.name


@pytest.mark.parametrize("lookback", ["30", "-1"])
def test_lookback_days_means_the_same_in_both_commands(tmp_path, events_csv, lookback):
    out = tmp_path / "paths.csv"
    res = run("journeys", events_csv, "--lookback-days", lookback, "--output", out)
    assert res.exit_code == 0, res.output
    res2 = run(
        "attribute",
        "--events",
        events_csv,
        "--lookback-days",
        lookback,
        "--model",
        "linear",
        "--output",
        tmp_path / "r.json",
    )
    assert res2.exit_code == 0, res2.output
    via_events = json.loads((tmp_path / "r.json").read_text())[0]
    res3 = run("attribute", out, "--model", "linear", "--output", tmp_path / "p.json")
    assert res3.exit_code == 0, res3.output
    via_paths = json.loads((tmp_path / "p.json").read_text())[0]
    # b's search is 60 days before its conversion: kept only without a limit
    assert via_events["total_conversions"] == (1.0 if lookback == "30" else 2.0)
    assert via_events["channels"] == via_paths["channels"]


def test_attribute_output_follows_its_extension(tmp_path, events_csv):
    base = ("attribute", "--events", events_csv, "--model", "linear")
    assert run(*base, "--output", tmp_path / "r.csv").exit_code == 0
    table = pd.read_csv(tmp_path / "r.csv")
    assert list(table.columns) == ["model", "channel", "metric", "value", "lower", "upper"]
    assert run(*base, "--output", tmp_path / "r.json").exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text())[0]["model"] == "linear"
    line = errline(run(*base, "--output", tmp_path / "r.xlsx"))
    assert "cannot tell the output format from the extension" in line
    line = errline(run(*base, "--format", "json", "--output", tmp_path / "r.csv"))
    assert "--format json but the extension names csv" in line
    assert not (tmp_path / "r.xlsx").exists()


def test_journeys_refuses_an_unknown_output_before_any_work(tmp_path):
    # the log does not exist: the output is checked first
    line = errline(run("journeys", tmp_path / "nope.csv", "--output", tmp_path / "p.txt"))
    assert "cannot tell the output format" in line


@pytest.mark.parametrize("events_format", [None, "ga4"])
def test_journeys_refuses_a_missing_output_folder_before_any_work(tmp_path, events_format):
    # the log does not exist either: the output is checked first, by the one rule of
    # every command (--output's folder must exist), and nothing is created
    fmt = [] if events_format is None else ["--format", events_format]
    target = tmp_path / "missing" / "paths.csv"
    line = errline(run("journeys", tmp_path / "nope.csv", *fmt, "--output", target))
    assert f"{tmp_path / 'missing'}: output folder does not exist" in line
    assert not (tmp_path / "missing").exists()


def _compressed(tmp_path, kind, data: bytes, name: str):
    f = tmp_path / name
    if kind == "gzip":
        f.write_bytes(gzip.compress(data))
    elif kind == "bz2":
        f.write_bytes(bz2.compress(data))
    elif kind == "zstd":
        with pa.output_stream(str(f), compression="zstd") as out:
            out.write(data)
    elif kind == "zip":
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("inner.csv", data)
    elif kind == "xlsx":
        with zipfile.ZipFile(f, "w") as z:  # the parts an .xlsx file starts with
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/workbook.xml", "<workbook/>")
    elif kind == "xls":
        f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return f


PATHS = b"path,total_conversions,total_null\nA > B,2,1\nB,1,0\n"


@pytest.mark.parametrize("kind", ["gzip", "bz2", "zstd"])
def test_compressed_path_files_are_read_by_their_leading_bytes(tmp_path, kind):
    # named .csv on purpose: the bytes decide, not the name
    f = _compressed(tmp_path, kind, PATHS, "paths.csv")
    res = run("attribute", f, "--model", "first_touch", "--format", "json")
    assert res.exit_code == 0, res.output
    credit = {c["channel"]: c["conversions"] for c in json.loads(res.stdout)[0]["channels"]}
    assert credit == {"A": 2.0, "B": 1.0}


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("xlsx", "an Excel workbook (.xlsx)"),
        ("xls", "an Excel 97-2003 workbook (.xls)"),
        ("zip", "a zip archive"),
    ],
)
def test_excel_and_zip_files_get_a_clear_message(tmp_path, kind, fragment):
    f = _compressed(tmp_path, kind, PATHS, "paths.csv")
    assert fragment in errline(run("attribute", f))
    ev = _compressed(tmp_path, kind, EVENTS.encode(), "events.csv")
    assert fragment in errline(run("journeys", ev, "--output", tmp_path / "p.csv"))
    assert fragment in errline(run("attribute", "--events", ev))


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_compressed_event_logs_are_read(tmp_path, kind):
    ev = _compressed(tmp_path, kind, EVENTS.encode(), "events.csv")
    res = run("journeys", ev, "--lookback-days", "-1", "--output", tmp_path / "p.csv")
    assert res.exit_code == 0, res.output
    paths = pd.read_csv(tmp_path / "p.csv").set_index("path")["total_conversions"]
    assert paths.to_dict() == {"email > search": 1.0, "search": 1.0}


def test_bzip2_event_log_is_refused_with_what_to_do(tmp_path):
    ev = _compressed(tmp_path, "bz2", EVENTS.encode(), "events.csv")
    line = errline(run("journeys", ev, "--output", tmp_path / "p.csv"))
    assert "bzip2-compressed" in line and "gzip or zstd" in line


@pytest.mark.parametrize("command", ["journeys", "attribute"])
def test_header_only_event_log_says_no_paths(tmp_path, command):
    ev = tmp_path / "events.csv"
    ev.write_text("user_id,timestamp,channel,conversion\n")
    if command == "journeys":
        res = run("journeys", ev, "--output", tmp_path / "p.csv")
    else:
        res = run("attribute", "--events", ev)
    line = errline(res)
    assert "no events" in line and "no paths" in line


def test_forgotten_user_col_warns_naming_the_reason(tmp_path):
    # the ids are in "uid"; the default user_id column is mostly empty
    rows = ["uid,user_id,timestamp,channel,conversion"]
    for i in range(5):
        uid = f"u{i}"
        rows += [f"{uid},{'x' if i == 0 else ''},2024-01-01,email,0", f"{uid},,2024-01-02,,1"]
    ev = tmp_path / "events.csv"
    ev.write_text("\n".join(rows) + "\n")
    res = run("journeys", ev, "--output", tmp_path / "p.csv")
    assert res.exit_code == 0
    warn = [ln for ln in res.stderr.splitlines() if ln.startswith("pathcredit: warning:")]
    assert len(warn) == 1
    assert "5 of the log's 5 conversions were dropped" in warn[0]
    assert "'missing user'" in warn[0] and "'user_id'" in warn[0]
    res = run("journeys", ev, "--user-col", "uid", "--output", tmp_path / "p.csv")
    assert res.exit_code == 0 and "warning" not in res.stderr
    assert pd.read_csv(tmp_path / "p.csv")["total_conversions"].sum() == 5


def test_event_names_time_unit_identity_report_and_no_direct_warning(tmp_path):
    ev = tmp_path / "ga4.csv"
    ev.write_text(
        "user_pseudo_id,event_timestamp,event_name,source\n"
        "1234567890.1234567890,1704067200000000,session_start,email\n"
        "1234567890.1234567890,1704067260000000,page_view,\n"
        "777,1704153600000000,session_start,search\n"
        "777,1704153660000000,purchase,\n"
    )
    ident = tmp_path / "ids.csv"
    ident.write_text("device_id,person_id\n1234567890.1234567890,777\n")
    res = run(
        "attribute", "--events", ev, "--user-col", "user_pseudo_id", "--time-col",
        "event_timestamp", "--time-unit", "us", "--event-col", "event_name",
        "--conversion-event", "purchase", "--channel-col", "source", "--identity-map", ident,
        "--model", "last_non_direct", "--format", "json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    credit = {c["channel"]: c["conversions"] for c in json.loads(res.stdout)[0]["channels"]}
    assert credit == {"email": 0.0, "search": 1.0}  # stitched: email > search
    err = res.stderr.splitlines()
    assert "pathcredit: identity map: 1 of 1 rows matched ids in the log" in err
    assert any("other events ignored: 1 touches" in ln for ln in err)
    warn = [ln for ln in err if ln.startswith("pathcredit: warning:")]
    assert len(warn) == 1 and "last_non_direct: no direct channel in the data" in warn[0]


def test_touch_types_and_offline_from_the_command_line(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text(
        "user_id,timestamp,channel,kind,conversion\n"
        "c1,2024-01-01,search,click,0\n"
        "c1,2024-01-08,display,impression,0\n"  # a view 2 days before: outside view=1
        "c1,2024-01-10,,,1\n"
    )
    off = tmp_path / "store.csv"
    off.write_text("customer,timestamp,channel\nK1,2024-01-09,store visit\n")
    ident = tmp_path / "ids.csv"
    ident.write_text("device_id,person_id\nc1,K1\n")
    out = tmp_path / "p.csv"
    res = run(
        "journeys", ev, "--type-col", "kind", "--type-lookback", "view=1", "--offline", off,
        "--offline-user-col", "customer", "--identity-map", ident, "--output", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["path"].tolist() == ["search > store visit"]
    assert "lookback_days=view:1,default:30: 1 touches" in res.stdout
    res = run(
        "journeys", ev, "--type-col", "kind", "--ignore-views", "--output", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["path"].tolist() == ["search"]
    assert "views ignored: 1 touches" in res.stdout
