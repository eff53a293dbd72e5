"""``pathcredit journeys --format ga4``: one command from a GA4 export to the path table,
then ``pathcredit attribute`` on it (the GA4 recipe of the README)."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from pathcredit import read_ga4
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
    assert "150 conversion events (purchase)" in r.output
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
