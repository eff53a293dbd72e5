"""``pathcredit journeys --format ga4``: one command from a GA4 export to the path table,
then ``pathcredit attribute`` on it (the GA4 recipe of the README)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pathcredit import attribute, read_ga4
from pathcredit.cli import main
from pathcredit.simulate.ga4 import example_ga4_file, simulate_ga4, write_ga4


def test_ga4_recipe_two_commands(tmp_path):
    runner = CliRunner()
    out = tmp_path / "paths.csv"
    r = runner.invoke(
        main,
        ["journeys", str(example_ga4_file()), "--format", "ga4", "--conversion-event",
         "purchase", "--channel-grouping", "default", "--output", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    names = pq.read_table(example_ga4_file(), columns=["event_name"])["event_name"].to_pylist()
    assert f"{names.count('purchase')} conversion events (purchase)" in r.output
    assert "sessions decided by a click id: gclid" in r.output
    written = pd.read_csv(out)  # the extension decides: a CSV, not Parquet bytes
    expected = read_ga4(example_ga4_file()).journeys.to_frame()
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    r = runner.invoke(
        main, ["attribute", str(out), "--model", "last_non_direct", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)[0]
    assert doc["total_conversions"] == written["total_conversions"].sum()
    credit = {c["channel"]: c["conversions"] for c in doc["channels"]}
    # GA4's Direct group is direct: it keeps only the conversions of all-Direct paths
    all_direct = written["path"].map(lambda p: set(p.split(" > ")) == {"Direct"})
    assert credit["Direct"] == written.loc[all_direct, "total_conversions"].sum()


def test_ga4_options_reach_the_reader(tmp_path):
    records = simulate_ga4(40, seed=2)
    src = write_ga4(records, tmp_path / "export.ndjson")
    rules = tmp_path / "rules.csv"
    rules.write_text("channel,source,medium\nSearch,google|bing,.*\nOther,,\n")
    out = tmp_path / "paths.parquet"
    runner = CliRunner()
    r = runner.invoke(
        main,
        ["journeys", str(src), "--format", "ga4", "--channel-grouping", str(rules),
         "--conversion-event", "purchase", "--conversion-event", "add_to_cart",
         "--lookback-days", "-1", "--output", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    got = pd.read_parquet(out)
    expected = read_ga4(
        src,
        channel_grouping=str(rules),
        conversion_events=["purchase", "add_to_cart"],
        lookback_days=None,
    ).journeys.to_frame()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    channels = {c for p in got["path"] for c in p.split(" > ")}
    assert channels == {"Search", "Other"}
    n_events = sum(e["event_name"] in ("purchase", "add_to_cart") for e in records)
    assert f"{n_events:,} conversion events (purchase, add_to_cart)" in r.output


def test_ga4_recipe_with_cross_device_and_offline_touches(tmp_path):
    """The issue's 'done when': a GA4 export with user_ids and an offline table goes to
    credits with one journeys command and one attribute command."""
    records = simulate_ga4(60, seed=4)
    src = write_ga4(records, tmp_path / "export.parquet")
    users = sorted({r["user_id"] for r in records if r["user_id"]})[:3]
    first = min(r["event_timestamp"] for r in records)
    when = pd.Timestamp(first, unit="us", tz="UTC") + pd.Timedelta(days=1)
    offline = tmp_path / "store.csv"
    pd.DataFrame(
        {"customer_id": users, "timestamp": [when.isoformat()] * len(users),
         "channel": ["Store visit"] * len(users)}
    ).to_csv(offline, index=False)  # fmt: skip
    out = tmp_path / "paths.parquet"
    runner = CliRunner()
    r = runner.invoke(
        main,
        ["journeys", str(src), "--format", "ga4", "--offline", str(offline),
         "--offline-user-col", "customer_id", "--lookback-days", "-1", "--output", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    expected = read_ga4(
        src, lookback_days=None, offline=str(offline), offline_user_col="customer_id"
    ).journeys.to_frame()
    written = pd.read_parquet(out)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    # each of the three customers' store visits is one touch on some path
    visits = written["path"].str.count("Store visit") * (
        written["total_conversions"] + written["total_null"]
    )
    assert visits.sum() == 3
    r = runner.invoke(main, ["attribute", str(out), "--model", "linear", "--format", "json"])
    assert r.exit_code == 0, r.output
    credit = {c["channel"]: c["conversions"] for c in json.loads(r.output)[0]["channels"]}
    assert "Store visit" in credit


@pytest.mark.parametrize("mode", ["own", "collected", "last_click"])
def test_session_source_option(tmp_path, mode):
    src = write_ga4(simulate_ga4(60, seed=6, resend_rate=0.2), tmp_path / "export.ndjson")
    out = tmp_path / "paths.csv"
    r = CliRunner().invoke(
        main,
        ["journeys", str(src), "--format", "ga4", "--session-source", mode, "--output", str(out)],
    )
    assert r.exit_code == 0, r.output
    expected = read_ga4(src, session_source=mode).journeys.to_frame()
    pd.testing.assert_frame_equal(pd.read_csv(out), expected, check_dtype=False)
    assert f"session source: {'own' if mode == 'collected' else mode}; lookback: 90 days" in (
        r.output
    )
    assert "removed: repeated transaction_id" in r.output
    if mode == "last_click":  # the view differs from own on this export
        own = read_ga4(src).journeys.to_frame()
        assert not own.equals(expected)


def test_lookback_default_is_ga4s_and_the_option_overrides_it(tmp_path):
    src = write_ga4(simulate_ga4(80, seed=7, days=120), tmp_path / "export.parquet")
    runner = CliRunner()
    for extra, lookback in (([], 90), (["--lookback-days", "30"], 30)):
        out = tmp_path / f"paths{lookback}.csv"
        r = runner.invoke(
            main, ["journeys", str(src), "--events-format", "ga4", "--output", str(out), *extra]
        )
        assert r.exit_code == 0, r.output
        expected = read_ga4(src, lookback_days=lookback).journeys.to_frame()
        pd.testing.assert_frame_equal(pd.read_csv(out), expected, check_dtype=False)
    assert not pd.read_csv(tmp_path / "paths90.csv").equals(pd.read_csv(tmp_path / "paths30.csv"))


@pytest.mark.parametrize("fmt", ["parquet", "ndjson"])
def test_forgetting_the_ga4_format_says_so(tmp_path, fmt):
    src = write_ga4(simulate_ga4(10, seed=1), tmp_path / f"export.{fmt}")
    runner = CliRunner()
    for args in (
        ["journeys", str(src), "--output", str(tmp_path / "p.csv")],
        ["attribute", "--events", str(src)],
    ):
        r = runner.invoke(main, args)
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert lines == [
            f"pathcredit: error: {src}: this looks like a GA4 export: add --format ga4"
        ]


def test_attribute_reads_a_ga4_export_without_clashing_with_the_output_format(tmp_path):
    src = write_ga4(simulate_ga4(60, seed=9), tmp_path / "export.parquet")
    journeys = read_ga4(src).journeys
    res = attribute(journeys, model="last_non_direct")
    expected = dict(zip(res.channels, res.conversions, strict=True))
    runner = CliRunner()
    base = ["attribute", "--events", str(src), "--model", "last_non_direct"]
    # the documented spelling, with JSON output
    r = runner.invoke(main, [*base, "--events-format", "ga4", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output[r.output.index("[") :])
    assert {c["channel"]: c["conversions"] for c in doc[0]["channels"]} == pytest.approx(expected)
    # --format ga4 names no output format: attribute reads it as the input format
    r = runner.invoke(main, [*base, "--format", "ga4", "--output", str(tmp_path / "c.json")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "c.json").read_text())
    assert {c["channel"]: c["conversions"] for c in doc[0]["channels"]} == pytest.approx(expected)
    r = runner.invoke(main, ["attribute", str(tmp_path / "x.csv"), "--format", "ga4"])
    assert r.exit_code == 2 and "--events FILE" in r.output


def test_no_reset_at_conversion_reaches_the_ga4_reader(tmp_path):
    src = write_ga4(simulate_ga4(60, seed=10), tmp_path / "export.parquet")
    out = tmp_path / "paths.csv"
    r = CliRunner().invoke(
        main,
        ["journeys", str(src), "--format", "ga4", "--no-reset-at-conversion", "--output",
         str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    expected = read_ga4(src, reset_at_conversion=False).journeys.to_frame()
    pd.testing.assert_frame_equal(pd.read_csv(out), expected, check_dtype=False)
    assert not expected.equals(read_ga4(src).journeys.to_frame())
