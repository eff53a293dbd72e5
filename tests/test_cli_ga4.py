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
