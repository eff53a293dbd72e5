"""Journeys from event logs: a hand-made log worked out here, DuckDB vs the pandas reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pathcredit import InputError, PathcreditError, attribute
from pathcredit.journeys import Removal
from pathcredit.journeys.events import build_journeys, journey_length_report, time_lag_report
from pathcredit.simulate import simulate_events

BACKENDS = [None, "pandas"]  # None = DuckDB


def hand_log() -> pd.DataFrame:
    """The hand-made log; the comments give the journeys it must produce."""
    rows = [
        # u1: email is 35 days before the 2024-02-05 conversion (outside 30 days);
        # the search at the exact conversion time counts before it.
        ("u1", "2024-01-01 00:00:00", "email", 0, 0.0),
        ("u1", "2024-01-10 00:00:00", "search", 0, 0.0),
        ("u1", "2024-01-31 00:00:00", "display", 0, 0.0),
        ("u1", "2024-01-31 00:00:00", "display", 0, 0.0),  # exact duplicate
        ("u1", "2024-02-05 00:00:00", None, 1, 100.0),
        ("u1", "2024-02-05 00:00:00", "search", 0, 0.0),
        ("u1", "2024-02-20 00:00:00", "email", 0, 0.0),
        ("u1", "2024-02-21 00:00:00", "direct", 1, 50.0),  # conversion row: channel ignored
        ("u1", "2024-03-01 00:00:00", "social", 0, 0.0),  # never converts
        # devices d1, d2 are person P (identity map)
        ("d1", "2024-01-01 00:00:00", "display", 0, 0.0),
        ("d2", "2024-01-03 00:00:00", "search", 0, 0.0),
        ("d1", "2024-01-04 00:00:00", None, 1, 30.0),
        # u3: affiliate exactly 30 days before (kept), email 30 days + 1 hour (dropped)
        ("u3", "2023-12-31 23:00:00", "email", 0, 0.0),
        ("u3", "2024-01-01 00:00:00", "affiliate", 0, 0.0),
        ("u3", "2024-01-31 00:00:00", None, 1, 20.0),
        # u4: a conversion with no touch at all
        ("u4", "2024-01-15 00:00:00", None, 1, 15.0),
        # u5: the only touch is 60 days old: the journey is lost to the lookback
        ("u5", "2024-01-01 00:00:00", "search", 0, 0.0),
        ("u5", "2024-03-01 00:00:00", None, 1, 60.0),
        # u6: 19 days between email and search
        ("u6", "2024-01-01 00:00:00", "email", 0, 0.0),
        ("u6", "2024-01-20 00:00:00", "search", 0, 0.0),
        ("u6", "2024-01-22 00:00:00", None, 1, 40.0),
        # bad events
        (None, "2024-01-05 00:00:00", None, 1, 7.0),  # conversion without user
        ("u7", None, "email", 0, 0.0),  # missing timestamp
        ("u7", "not a date", "email", 0, 0.0),  # unparseable
        ("u7", "2024-01-05 00:00:00", None, 0, 0.0),  # touch without channel
    ]
    return pd.DataFrame(rows, columns=["user_id", "timestamp", "channel", "conversion", "value"])


IDENTITY = pd.DataFrame({"device_id": ["d1", "d2"], "person_id": ["P", "P"]})

EXPECTED = {
    # path: (conversions, value, nulls)
    "search > display > search": (1, 100.0, 0),
    "email": (1, 50.0, 0),
    "social": (0, 0.0, 1),
    "display > search": (1, 30.0, 0),
    "affiliate": (1, 20.0, 0),
    "email > search": (1, 40.0, 0),
}


def _table(j) -> dict:
    f = j.to_frame()
    return {
        r.path: (r.total_conversions, r.total_conversion_value, r.total_null)
        for r in f.itertuples()
    }


def build(events, **kw):
    kw.setdefault("value_col", "value")
    return build_journeys(events, **kw)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_made_path_table(backend):
    ej = build(hand_log(), identity_map=IDENTITY, backend=backend)
    assert _table(ej.journeys) == EXPECTED
    assert ej.journeys.total_conversions == 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_made_removed(backend):
    ej = build(hand_log(), identity_map=IDENTITY, backend=backend)
    assert list(ej.removed) == [
        Removal("missing user", touches=0, conversions=1.0, value=7.0),
        Removal("missing timestamp", touches=1),
        Removal("unparseable timestamp", touches=1),
        Removal("missing channel", touches=1),
        Removal("duplicate events", touches=1),
        Removal("conversions with no touch", paths=1, conversions=1.0, value=15.0),
        # u1's email, u3's email, u5's search; u5's journey (60.0) is lost
        Removal("lookback_days=30", touches=3, paths=1, conversions=1.0, value=60.0),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_touch_times_and_time_decay(backend):
    ej = build(hand_log(), identity_map=IDENTITY, backend=backend)
    t = ej.touches()
    u1 = t[(t.person == "u1") & (t.journey == 0)]
    assert u1.channel.tolist() == ["search", "display", "search"]
    assert u1.position.tolist() == [0, 1, 2]
    assert u1.days_to_conversion.tolist() == [26.0, 5.0, 0.0]
    u3 = t[t.person == "u3"]
    assert u3.days_to_conversion.tolist() == [30.0]
    # time decay, half-life 7, computed by hand for u1's first journey (value 100)
    jp = ej.journey_paths()
    res = attribute(jp, model="time_decay", half_life=7.0)
    w = 2.0 ** (-np.array([26.0, 5.0, 0.0]) / 7.0)
    w /= w.sum()
    wide = res.wide().set_index("channel")
    # other converting journeys: email(1), display>search (P: 3 and 1 day), affiliate(1),
    # email>search (u6: 21 and 2 days)
    p = 2.0 ** (-np.array([3.0, 1.0]) / 7.0)
    p /= p.sum()
    q = 2.0 ** (-np.array([21.0, 2.0]) / 7.0)
    q /= q.sum()
    assert wide.loc["search", "conversions"] == pytest.approx(w[0] + w[2] + p[1] + q[1], abs=1e-12)
    assert wide.loc["display", "conversions"] == pytest.approx(w[1] + p[0], abs=1e-12)
    assert wide.loc["email", "conversions"] == pytest.approx(1 + q[0], abs=1e-12)
    assert wide.loc["search", "value"] == pytest.approx(
        100 * (w[0] + w[2]) + 30 * p[1] + 40 * q[1], abs=1e-9
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_identity_map_devices_stay_apart(backend):
    ej = build(hand_log(), backend=backend)
    table = _table(ej.journeys)
    assert "display > search" not in table
    assert table["display"] == (1, 30.0, 0)  # d1 converts with its own touch
    assert table["search"] == (0, 0.0, 1)  # d2's search never converts


@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_map_as_mapping(backend):
    ej = build(hand_log(), identity_map={"d1": "P", "d2": "P"}, backend=backend)
    assert _table(ej.journeys) == EXPECTED


@pytest.mark.parametrize("backend", BACKENDS)
def test_inactivity_gap_splits_journeys(backend):
    ej = build(hand_log(), identity_map=IDENTITY, inactivity_days=10, backend=backend)
    table = _table(ej.journeys)
    # u1: 01-10 -> 01-31 is 21 days: [email, search] never converts, [display, search] does.
    # u3: 30 days from affiliate to the conversion: the conversion has no touch left and
    # [email, affiliate] never converts. u5 likewise. u6: 19 days between email and search.
    assert table == {
        "email > search": (0, 0.0, 1),
        "display > search": (2, 130.0, 0),
        "email": (1, 50.0, 1),
        "social": (0, 0.0, 1),
        "email > affiliate": (0, 0.0, 1),
        "search": (1, 40.0, 1),
    }
    no_touch = [r for r in ej.removed if r.step == "conversions with no touch"][0]
    assert (no_touch.paths, no_touch.conversions, no_touch.value) == (3, 3.0, 15.0 + 20.0 + 60.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_touches_keeps_last(backend):
    ej = build(hand_log(), identity_map=IDENTITY, max_touches=2, backend=backend)
    table = _table(ej.journeys)
    assert table["display > search"] == (2, 130.0, 0)  # u1's journey cut to 2, plus P's
    assert ej.removed[-1] == Removal("max_touches=2", touches=1)


def test_lookback_none_keeps_everything():
    ej = build(hand_log(), identity_map=IDENTITY, lookback_days=None)
    table = _table(ej.journeys)
    assert table["email > search > display > search"] == (1, 100.0, 0)
    assert table["search"] == (1, 60.0, 0)
    assert not any(r.step.startswith("lookback") for r in ej.removed)


@pytest.mark.parametrize(
    "kind, row",
    [
        ("missing user", 21),
        ("missing timestamp", 22),
        ("unparseable timestamp", 23),
        ("missing channel", 24),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_invalid_raise(backend, kind, row):
    log = hand_log()
    bad = log.iloc[list(range(21)) + [row]]
    with pytest.raises(InputError, match=kind):
        build(bad, backend=backend, invalid="raise")


def test_bad_arguments():
    log = hand_log()
    with pytest.raises(InputError, match="missing user column 'uid'"):
        build(log, user_col="uid")
    with pytest.raises(InputError, match="lookback_days"):
        build(log, lookback_days=-1)
    with pytest.raises(InputError, match="max_touches"):
        build(log, max_touches=0)
    with pytest.raises(InputError, match="conversion column") as err:
        build(log.assign(conversion=log.conversion.map({0: "no", 1: "yes"})))
    assert (err.value.row, err.value.value) == (0, "no")
    # numbers written as text are numbers (a CSV column read as text)
    as_text = build(log.assign(conversion=log.conversion.astype(str)), identity_map=IDENTITY)
    assert _table(as_text.journeys) == EXPECTED
    with pytest.raises(InputError, match="several person ids"):
        build(log, identity_map=pd.DataFrame({"device_id": ["d1", "d1"], "person_id": ["P", "Q"]}))
    with pytest.raises(InputError, match="no journey"):
        build(log[log.user_id == "u5"], lookback_days=10)


@pytest.mark.slow
def test_inputs_polars_parquet_csv_ibis(tmp_path):
    import ibis
    import polars as pl

    log = hand_log()
    expected = _table(build(log, identity_map=IDENTITY).journeys)
    assert _table(build(pl.from_pandas(log), identity_map=IDENTITY).journeys) == expected
    parsed = log.assign(timestamp=pd.to_datetime(log.timestamp, errors="coerce", format="ISO8601"))
    parsed.to_parquet(tmp_path / "ev.parquet")
    got = build(str(tmp_path / "ev.parquet"), identity_map=IDENTITY)
    assert _table(got.journeys) == expected
    log.to_csv(tmp_path / "ev.csv", index=False)
    IDENTITY.to_csv(tmp_path / "id.csv", index=False)
    got = build(tmp_path / "ev.csv", identity_map=str(tmp_path / "id.csv"))
    assert _table(got.journeys) == expected
    assert [r.step for r in got.removed][:4] == [
        "missing user",
        "missing timestamp",
        "unparseable timestamp",
        "missing channel",
    ]
    con = ibis.duckdb.connect()
    t = con.read_parquet(str(tmp_path / "ev.parquet"))
    assert _table(build(t, identity_map=IDENTITY).journeys) == expected


def _frames_equal(a, b):
    fa = a.journeys.to_frame().sort_values("path").reset_index(drop=True)
    fb = b.journeys.to_frame().sort_values("path").reset_index(drop=True)
    pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=1e-12)
    assert a.removed == b.removed


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lookback_days": 7, "max_touches": 3},
        {"inactivity_days": 5, "lookback_days": None},
    ],
)
def test_duckdb_matches_pandas_on_simulated_log(options):
    ev = simulate_events(400, seed=3, duplicate_rate=0.05)
    ev.loc[::97, "timestamp"] = pd.NaT
    ev.loc[5::89, "user_id"] = None
    duck = build(ev, **options)
    ref = build(ev, backend="pandas", **options)
    _frames_equal(duck, ref)
    pd.testing.assert_frame_equal(duck.touches(), ref.touches(), check_dtype=False)
    assert any(r.step == "duplicate events" and r.touches > 0 for r in duck.removed)


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_lag_and_path_length(backend):
    ej = build(hand_log(), identity_map=IDENTITY, backend=backend)
    lag = time_lag_report(ej).set_index("bucket")
    # days from first kept touch: u1 26, u1 1, P 3, u3 30, u6 21
    assert lag.loc["1", "conversions"] == 1 and lag.loc["3", "conversions"] == 1
    assert lag.loc["12-30", "conversions"] == 3
    assert lag.loc["12-30", "value"] == 100 + 20 + 40
    assert lag.conversions.sum() == 5 and lag.share.sum() == pytest.approx(1.0)
    length = journey_length_report(ej).set_index("bucket")
    assert length.conversions.to_dict() == {
        "1": 2.0,
        "2": 2.0,
        "3": 1.0,
        **{str(k): 0.0 for k in range(4, 12)},
        "12+": 0.0,
    }


def test_cli_journeys(tmp_path):
    from click.testing import CliRunner

    from pathcredit.cli.journeys import journeys_command, read_events_as_journeys

    hand_log().to_csv(tmp_path / "ev.csv", index=False)
    IDENTITY.to_csv(tmp_path / "id.csv", index=False)
    out = tmp_path / "paths.parquet"
    args = [
        str(tmp_path / "ev.csv"),
        "--value-col",
        "value",
        "--identity-map",
        str(tmp_path / "id.csv"),
        "--output",
        str(out),
    ]
    result = CliRunner().invoke(journeys_command, args)
    assert result.exit_code == 0, result.output
    assert "removed: lookback_days=30: 3 touches, 1 paths" in result.output
    from pathcredit import read_paths

    assert _table(read_paths(out)) == EXPECTED
    result = CliRunner().invoke(journeys_command, [*args, "--partitions", "3"])
    assert result.exit_code == 0, result.output
    assert "(built in 3 partitions)" in result.output
    assert _table(read_paths(out)) == EXPECTED
    j = read_events_as_journeys(
        tmp_path / "ev.csv", value_col="value", identity_map=str(tmp_path / "id.csv")
    )
    assert _table(j) == EXPECTED
    # a failure raises InputError and leaves no file behind
    bad = tmp_path / "bad.parquet"
    result = CliRunner().invoke(
        journeys_command, [str(tmp_path / "ev.csv"), "--user-col", "nope", "--output", str(bad)]
    )
    assert isinstance(result.exception, InputError)
    assert not bad.exists() and not list(tmp_path.glob(".bad*"))


def test_simulator_is_seeded_and_sane():
    a = simulate_events(2000, seed=7)
    assert a.equals(simulate_events(2000, seed=7))
    assert not a.equals(simulate_events(2000, seed=8))
    assert a.user_id.nunique() == 2000
    conv = a[a.conversion == 1]
    assert conv.channel.isna().all() and (conv.value > 0).all()
    assert a[a.conversion == 0].channel.notna().all()
    assert a.timestamp.is_monotonic_increasing
    d = simulate_events(2000, seed=7, duplicate_rate=0.1)
    n_dup = len(d) - len(a)
    ej = build(d, lookback_days=None)
    assert [r for r in ej.removed if r.step == "duplicate events"][0].touches == n_dup


# ---------------------------------------------------------------- partitions
@pytest.mark.parametrize("partitions", [2, 7])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lookback_days": 7, "max_touches": 3},
        {"inactivity_days": 5, "lookback_days": None},
    ],
)
@pytest.mark.slow
def test_partitions_give_the_one_pass_result(partitions, options):
    ev = simulate_events(400, seed=3, duplicate_rate=0.05)
    ev.loc[::97, "timestamp"] = pd.NaT
    one = build(ev, **options)
    split = build(ev, partitions=partitions, **options)
    assert (one.partitions, split.partitions) == (1, partitions)
    # same rows in the same order (the merge sorts by path like the one-pass table)
    pd.testing.assert_frame_equal(
        split.journeys.to_frame(), one.journeys.to_frame(), check_exact=False, rtol=1e-12
    )
    assert [(r.step, r.touches, r.paths) for r in split.removed] == [
        (r.step, r.touches, r.paths) for r in one.removed
    ]
    for a, b in zip(split.removed, one.removed, strict=True):
        assert a.conversions == pytest.approx(b.conversions, rel=1e-12)
        assert a.value == pytest.approx(b.value, rel=1e-12)
    _frames_equal(split, build(ev, backend="pandas", **options))


def test_partitions_on_hand_made_log():
    ej = build(hand_log(), identity_map=IDENTITY, partitions=3)
    assert _table(ej.journeys) == EXPECTED
    # the person stitched from two devices stays in one partition: one journey
    assert ej.journeys.total_conversions == 5


@pytest.mark.slow
def test_out_of_memory_falls_back_to_partitions(tmp_path):
    """A real DuckDB memory_limit that one pass exceeds (measured: one pass needs
    more than 40 MB here, 16 partitions fit in 24 MB)."""
    import ibis

    path = tmp_path / "ev.parquet"
    simulate_events(50_000, seed=1).to_parquet(path)
    expected = build_journeys(str(path))
    con = ibis.duckdb.connect()
    con.raw_sql("SET threads = 1")
    con.raw_sql("SET memory_limit = '32MB'")
    con.raw_sql(f"SET temp_directory = '{tmp_path / 'spill'}'")
    with pytest.raises(PathcreditError, match="ran out of memory .* in 1 partition"):
        build_journeys(str(path), backend=con, partitions=1)
    got = build_journeys(str(path), backend=con)
    assert got.partitions == 16
    pd.testing.assert_frame_equal(
        got.journeys.to_frame(), expected.journeys.to_frame(), check_exact=False, rtol=1e-12
    )
    assert got.removed == expected.removed


def test_partitions_argument_is_checked():
    for bad in (0, -2, 1.5, True, "4"):
        with pytest.raises(InputError, match="partitions"):
            build(hand_log(), partitions=bad)


def test_id_cleaning_strips_ascii_whitespace_only():
    """The engine's fast edge test must give exactly ``str.strip`` over ASCII whitespace."""
    import ibis

    from pathcredit.journeys import _engine as eng

    t = ibis.memtable({"v": CLEANING_CASES}, schema={"v": "string"})
    got = eng.connect(None).to_arrow(t.select(c=eng._clean_string(t.v))).column("c").to_pylist()
    assert got == cleaned(CLEANING_CASES)


#: Ids and channel names with and without surrounding whitespace (and letters v, f
#: at the ends, which a character set written as "\v\f" would strip on Spark).
CLEANING_CASES = [
    "a",
    " a",
    "a ",
    "\ta\n",
    "\x0ba\x0c",
    "\ra b\r",
    "",
    "   ",
    "\x01a",
    "a\x1f",
    "\u00a0a",
    "é ",
    " é",
    "a\u2003",
    " abcv",
    "vabc ",
    " fv\t",
    "\x0bav",
    None,
]


def cleaned(values):
    """What the cleaning must give: ASCII whitespace stripped, empty as missing."""
    out = [None if v is None else v.strip(" \t\n\r\x0b\x0c") for v in values]
    return [v or None for v in out]


@pytest.mark.parametrize("backend", BACKENDS)
def test_whitespace_around_ids_and_channels(backend):
    ev = pd.DataFrame(
        {
            "user_id": [" uv", "uv\t", "uv", "\x0bw", "w\u00a0"],
            "timestamp": ["2024-01-01", "2024-01-02 ", " 2024-01-03", "2024-01-01", "2024-01-02"],
            "channel": [" search", "email\x0c", None, "\tfv ", "fv"],
            "conversion": [0, 0, 1, 0, 1],
        }
    )
    got = build_journeys(ev, backend=backend).journeys.to_frame()
    # " uv", "uv\t", "uv" are one person; "w" and "w\u00a0" (no-break space is kept) are two
    assert dict(zip(got.path, got.total_conversions, strict=True)) == {
        "search > email": 1.0,
        "fv": 0.0,
    }
    removed = {r.step: r for r in build_journeys(ev, backend=backend).removed}
    assert removed["conversions with no touch"].conversions == 1.0


@pytest.mark.slow
def test_partitions_more_than_people_and_no_valid_event():
    # 50 partitions for a handful of people: most are empty and are skipped
    ej = build(hand_log(), identity_map=IDENTITY, partitions=50)
    assert _table(ej.journeys) == EXPECTED
    no_user = hand_log().assign(user_id=None)  # an all-missing object column
    with pytest.raises(InputError, match="no valid event .25 of the 25 events: missing user"):
        build(no_user, partitions=4)
    with pytest.raises(InputError, match=r"\d+ event\(s\) with missing user"):
        build(no_user, invalid="raise")


@pytest.mark.parametrize("options", [{}, {"inactivity_days": 3}, {"max_touches": 1}])
@pytest.mark.parametrize("backend", BACKENDS)
def test_copies_of_conversions_and_touches(backend, options):
    """Exact copies are kept once, wherever they sit: worked out by hand.

    Person a: email, search, conversion (value 5) twice, then display, conversion
    (value 7); person b: a copy of its only touch and no conversion.
    """
    ev = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "a", "a", "b", "b"],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                    "2024-01-03",
                    "2024-01-04",
                    "2024-01-05",
                    "2024-01-01",
                    "2024-01-01",
                ]
            ),
            "channel": ["email", "search", None, None, "display", None, "social", "social"],
            "conversion": [0, 0, 1, 1, 0, 1, 0, 0],
            "value": [0, 0, 5.0, 5.0, 0, 7.0, 0, 0],
        }
    )
    ej = build(ev, backend=backend, **options)
    first = "search" if options.get("max_touches") == 1 else "email > search"
    assert _table(ej.journeys) == {
        first: (1.0, 5.0, 0.0),
        "display": (1.0, 7.0, 0.0),
        "social": (0.0, 0.0, 1.0),
    }
    dup = [r for r in ej.removed if r.step == "duplicate events"]
    assert dup == [Removal("duplicate events", touches=1, conversions=1.0, value=5.0)]
    assert not any(r.step == "conversions with no touch" for r in ej.removed)
