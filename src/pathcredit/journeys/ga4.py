"""Google Analytics 4 BigQuery exports to journeys, inside the engine (DuckDB or Spark).

:func:`read_ga4` reads the export schema (one nested row per event, the
``events_YYYYMMDD`` tables saved as Parquet or newline-delimited JSON; schema:
"[GA4] BigQuery Export schema", https://support.google.com/analytics/answer/7029846),
makes one touch per session and one conversion per conversion event, and hands
that standard event table to :func:`pathcredit.journeys.events.build_journeys`
in the same engine, so the journey rules (lookback, ties, stitching, counts of
what was removed) are the event-log rules.

How the export is read
----------------------
* **Time**: ``event_timestamp`` is INT64 microseconds since the epoch, UTC (as
  text in JSON exports, which write INT64 as strings); it is read as an integer
  and converted exactly, never guessed as a date string.
* **Sessions**: a session is a ``(user_pseudo_id, ga_session_id)`` pair, the
  ``ga_session_id`` event parameter (``int_value``, or ``string_value``). It
  gives one touch, at the session's first event. Events without a
  ``ga_session_id`` start no touch (counted in ``ej.ga4["events_without_session"]``);
  ``page_view`` and other events of a session are folded into its touch,
  never counted as touches with a missing channel.
* **The session's source / medium / campaign** (``session_source="last_click"``,
  the default), the first of:

  1. ``session_traffic_source_last_click.manual_campaign`` (``source``,
     ``medium``, ``campaign_name``) on any event of the session, the field
     Google's "Traffic attribution data" page
     (https://developers.google.com/analytics/bigquery/traffic-attribution-data)
     names for the session's traffic source; it follows GA4's session-scoped
     "paid and organic channels last click" model, so a direct session carries
     the previous non-direct source of that user (GA4's "Session default channel
     group");
  2. ``collected_traffic_source`` (``manual_source``, ``manual_medium``,
     ``manual_campaign_name``) of the session's earliest event that has it (the
     tagged link the session arrived with; exports before mid-2024 lack field 1);
  3. the ``source``, ``medium``, ``campaign`` event parameters of the session's
     earliest event that has them;
  4. ``(direct)`` / ``(none)`` (GA4's values for a session without a source).

  With ``session_source="collected"`` field 1 is skipped: each session keeps the
  source it arrived with, and direct sessions stay Direct (no carry-over), which
  is what a multi-touch path usually wants. The ``traffic_source`` record is the
  user's *first* acquisition, not the session's: it is never used for sessions.
  ``ej.ga4["session_source"]`` counts the sessions decided by each field.
* **Conversions** are the events named in ``conversion_events`` (default
  ``purchase``) with the value in ``value_field`` (default
  ``ecommerce.purchase_revenue``; any dotted path into the record, or
  ``event_params.KEY`` for a numeric event parameter); a missing value counts 0.
* **Stitching**: where an event carries a ``user_id`` (your login id), the
  device's ``user_pseudo_id`` is mapped to it, so a person's devices form one
  journey (an identity map through ``build_journeys``; ids are read as text).
  A device seen with several ``user_id`` values goes to the first one seen
  (earliest event; a warning says how many devices).
* **Channels**: ``channel_grouping="default"`` applies GA4's default channel
  group (:mod:`pathcredit.journeys.channel_groups`) inside the engine;
  ``"media"`` paid / owned / earned; ``"source_medium"`` keeps ``source / medium``;
  a CSV file or a list of rules gives your own regular-expression rules.
  The ``(direct) / (none)`` spelling lands in the Direct group, which
  ``last_non_direct`` treats as direct.

Lookback: the default here is 30 days, as for every event log in pathcredit.
GA4's own defaults (Admin API ``AttributionSettings``,
https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1alpha/AttributionSettings)
are 30 days for acquisition key events (``first_open``, ``first_visit``; 7 or 30)
and 90 days for the other key events (30, 60 or 90): pass ``lookback_days=90``
to match a property with the default setting for purchases.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..exceptions import InputError, PathcreditWarning

if TYPE_CHECKING:
    from .channel_groups import ChannelRules

__all__ = ["read_ga4", "GA4_JSON_COLUMNS"]

#: DuckDB column types for reading a JSON export (INT64 fields as text: JSON exports
#: write them as strings; they are cast to integers in the query).
GA4_JSON_COLUMNS = {
    "event_timestamp": "VARCHAR",
    "event_name": "VARCHAR",
    "user_pseudo_id": "VARCHAR",
    "user_id": "VARCHAR",
    "event_params": (
        "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value VARCHAR, "
        "float_value DOUBLE, double_value DOUBLE))[]"
    ),
    "collected_traffic_source": (
        "STRUCT(manual_source VARCHAR, manual_medium VARCHAR, manual_campaign_name VARCHAR)"
    ),
    "session_traffic_source_last_click": (
        "STRUCT(manual_campaign STRUCT(source VARCHAR, medium VARCHAR, campaign_name VARCHAR))"
    ),
    "ecommerce": "STRUCT(purchase_revenue DOUBLE, purchase_revenue_in_usd DOUBLE)",
}

_SPARK_JSON_SCHEMA = (
    "event_timestamp STRING, event_name STRING, user_pseudo_id STRING, user_id STRING, "
    "event_params ARRAY<STRUCT<key: STRING, value: STRUCT<string_value: STRING, "
    "int_value: STRING, float_value: DOUBLE, double_value: DOUBLE>>>, "
    "collected_traffic_source STRUCT<manual_source: STRING, manual_medium: STRING, "
    "manual_campaign_name: STRING>, session_traffic_source_last_click STRUCT<manual_campaign: "
    "STRUCT<source: STRING, medium: STRING, campaign_name: STRING>>, "
    "ecommerce STRUCT<purchase_revenue: DOUBLE, purchase_revenue_in_usd: DOUBLE>"
)

#: GA4's values for a session without a source.
DIRECT = ("(direct)", "(none)")

_SESSION_SOURCES = ("last_click", "collected")
_PRIORITY_NAMES = {1: "last_click", 2: "collected_traffic_source", 3: "event_params", 4: "none"}


def read_ga4(
    source,
    *,
    conversion_events: Sequence[str] = ("purchase",),
    value_field: str | None = "ecommerce.purchase_revenue",
    channel_grouping="default",
    session_source: str = "last_click",
    stitch_user_id: bool = True,
    lookback_days: float | None = 30,
    max_touches: int | None = None,
    inactivity_days: float | None = None,
    backend=None,
    file_format: str | None = None,
    invalid: str = "drop",
    **build_options,
):
    """Read a GA4 BigQuery export (Parquet or newline-delimited JSON) into journeys.

    The rules (sessions, which source field wins, conversions, stitching,
    channels) are in the docstring of :mod:`pathcredit.journeys.ga4`.

    Parameters
    ----------
    source : str, path-like, list of paths, pyarrow.Table or ibis.Table
        Export file(s) (globs allowed; ``.parquet`` / ``.pq`` / a folder read as
        Parquet, ``.json`` / ``.ndjson`` / ``.jsonl`` (optionally ``.gz``) as
        newline-delimited JSON), an Arrow table in the export schema, or an
        Ibis table on any backend.
    conversion_events : sequence of str, default ``("purchase",)``
        Event names that are conversions.
    value_field : str or None, default ``"ecommerce.purchase_revenue"``
        Conversion value: a dotted path into the event record, or
        ``"event_params.KEY"`` for a numeric event parameter; ``None`` for no value.
    channel_grouping : "default", "media", "source_medium", path or list of rules
        How a session's source / medium / campaign becomes a channel
        (:func:`pathcredit.journeys.channel_groups.channel_rules`).
    session_source : {"last_click", "collected"}, default "last_click"
        Which fields decide a session's source (see the module docstring).
    stitch_user_id : bool, default True
        Map each ``user_pseudo_id`` to its ``user_id`` where one was recorded.
    lookback_days, max_touches, inactivity_days, invalid
        As in :func:`~pathcredit.journeys.events.build_journeys`.
    backend : None, "duckdb", "spark", SparkSession or Ibis backend
        Where to compute (``None``: the backend of an Ibis table, else DuckDB;
        ``"spark"``: the active SparkSession, or a new local one).
    file_format : {"parquet", "json"}, optional
        When it cannot be told from the file name.
    **build_options
        Further :func:`~pathcredit.journeys.events.build_journeys` options (for
        example offline touches, where that version of ``build_journeys`` has them;
        their customer ids meet the GA4 journeys through ``user_id``).

    Returns
    -------
    EventJourneys
        As :func:`~pathcredit.journeys.events.build_journeys` returns it, with
        ``ej.ga4``: counts of the export (events, sessions, conversions, events
        without a session, devices stitched, sessions per source field).

    Raises
    ------
    InputError
        A missing required field (``event_timestamp``, ``event_name``,
        ``user_pseudo_id``), ids stored as floating-point numbers, an unknown
        option, or what ``build_journeys`` refuses.

    Examples
    --------
    >>> from pathcredit import read_ga4
    >>> from pathcredit.simulate.ga4 import example_ga4_file
    >>> ej = read_ga4(example_ga4_file())
    >>> j = ej.journeys
    >>> "Direct" in j.channels and "Paid Search" in j.channels
    True
    >>> ej.ga4["conversion_events"], ej.ga4["devices_stitched"] > 0
    (150, True)
    """
    from . import _engine as eng
    from .channel_groups import channel_rules
    from .events import build_journeys

    if session_source not in _SESSION_SOURCES:
        raise InputError("session_source must be 'last_click' or 'collected'", value=session_source)
    if isinstance(conversion_events, str):
        conversion_events = (conversion_events,)
    conversion_events = tuple(str(c) for c in conversion_events)
    if not conversion_events:
        raise InputError("conversion_events needs at least one event name")
    rules: ChannelRules | None
    if isinstance(channel_grouping, str) and channel_grouping == "media":
        from .channel_groups import MEDIA_TYPES, default_channel_rules

        rules = default_channel_rules().rename(MEDIA_TYPES)
    else:
        rules = channel_rules(channel_grouping)
    engine = _connect(backend)
    table, engine, name = _export_table(source, engine, file_format)
    ev = _events(table, conversion_events, value_field, session_source, name)
    # unnest and project the export once; everything below reads this table
    ev = _store(engine, ev)
    counts = _counts(engine, ev, session_source, conversion_events)
    if counts["events"] == 0:
        raise InputError("the export has no events", source=name)
    sessions = _sessions(ev)
    if rules is None:
        channel = (sessions.src + " / " + sessions.med).replace(eng.PATH_SEP, "\u203a")
    else:
        channel = rules.expr(sessions.src, sessions.med, sessions.cmp)
    std = _store(engine, _standard_log(ev, sessions, channel, value_field is not None))
    ident = None
    if stitch_user_id:
        ident, n_stitched, n_multi = _identity(engine, ev)
        counts["devices_stitched"] = n_stitched
        counts["devices_with_several_user_ids"] = n_multi
        if n_multi:
            warnings.warn(
                f"{name}: {n_multi} device(s) (user_pseudo_id) carry more than one user_id; "
                "each is stitched to the first user_id it recorded",
                PathcreditWarning,
                stacklevel=2,
            )
    ej = build_journeys(
        std,
        user_col="user_id",
        time_col="timestamp",
        channel_col="channel",
        conversion_col="conversion",
        value_col="value" if value_field is not None else None,
        lookback_days=lookback_days,
        max_touches=max_touches,
        inactivity_days=inactivity_days,
        identity_map=ident,
        identity_cols=("device_id", "person_id"),
        invalid=invalid,
        **build_options,
    )
    ej.journeys.source = name
    ej.ga4 = counts  # type: ignore[attr-defined]
    return ej


# ---------------------------------------------------------------------------- input
def _connect(backend):
    from . import _engine as eng

    if backend is None:
        return None
    if isinstance(backend, str) and backend == "pandas":
        raise InputError("read_ga4 runs in an engine: backend 'duckdb' or 'spark', not 'pandas'")
    return eng.connect(backend)


def _guess_format(path: str) -> str:
    low = path.lower()
    if low.endswith(".gz"):
        low = low[:-3]
    if low.endswith((".json", ".ndjson", ".jsonl")):
        return "json"
    return "parquet"


def _export_table(source, engine, file_format):
    """The export as an Ibis table: ``(table, engine, name)``."""
    from pathlib import Path

    from . import _engine as eng

    if eng.is_ibis_table(source):
        return source, engine or eng.engine_of(source), "Ibis table"
    engine = engine or eng.connect(None)
    if type(source).__module__.split(".")[0] == "pyarrow":
        return engine.register(source), engine, "Arrow table"
    paths = [source] if isinstance(source, str | os.PathLike) else source
    if not (
        isinstance(paths, list | tuple)
        and paths
        and all(isinstance(p, str | os.PathLike) for p in paths)
    ):
        raise InputError(
            f"cannot read a GA4 export from a {type(source).__name__}; pass Parquet or "
            "newline-delimited JSON file(s), a pyarrow.Table or an Ibis table"
        )
    paths = [str(p) for p in paths]
    for p in paths:
        if not any(ch in p for ch in "*?[") and not Path(p).exists():
            raise InputError("file not found", source=p)
    name = paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} files)"
    fmt = file_format or _guess_format(paths[0])
    if fmt not in ("parquet", "json"):
        raise InputError("file_format must be 'parquet' or 'json'", value=file_format)
    try:
        if engine.name == "pyspark":
            session = engine.con._session
            if fmt == "json":
                frame = session.read.schema(_SPARK_JSON_SCHEMA).json(paths)
            else:
                frame = session.read.option("mergeSchema", "true").parquet(*paths)
            from ibis import util

            view = util.gen_name("pathcredit_ga4")
            frame.createOrReplaceTempView(view)
            return engine.con.table(view), engine, name
        if engine.name != "duckdb":
            raise InputError(
                f"reading GA4 files needs DuckDB or Spark, not {engine.name}; pass an Ibis table"
            )
        quoted = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
        from ibis import util

        view = util.gen_name("pathcredit_ga4")
        if fmt == "json":
            cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in GA4_JSON_COLUMNS.items()) + "}"
            sql = f"SELECT * FROM read_json({quoted}, format='newline_delimited', columns={cols})"
        else:
            sql = f"SELECT * FROM read_parquet({quoted}, union_by_name=true)"
        engine.con.raw_sql(f'CREATE TEMP VIEW "{view}" AS {sql}')
        return engine.con.table(view), engine, name
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - engine-specific reader errors
        raise InputError(f"cannot read file: {exc}".splitlines()[0], source=name) from exc


def _store(engine, expr):
    """Compute ``expr`` once: a temporary table on DuckDB, a cached view on Spark."""
    if engine.name == "pyspark":
        from ibis import util

        session = engine.con._session
        frame = session.sql(engine.con.compile(expr)).cache()
        view = util.gen_name("pathcredit_ga4")
        frame.createOrReplaceTempView(view)
        return engine.con.table(view)
    return engine.materialize(expr)


# ---------------------------------------------------------------------------- fields
def _field(table, path: str, type_: str):
    """``table.a.b.c`` cast to ``type_``, or a typed NULL when the export lacks it."""
    import ibis

    parts = path.split(".")
    dtype = table.schema().get(parts[0])
    if dtype is None:
        return ibis.null(type_)
    expr = table[parts[0]]
    for part in parts[1:]:
        if not dtype.is_struct() or part not in dtype.names:
            return ibis.null(type_)
        dtype = dtype[part]
        expr = expr[part]
    if dtype.is_null():
        return ibis.null(type_)
    return expr.cast(type_)


def _param(table, key: str, kind: str):
    """The first ``event_params`` value with this key: text (``string``) or a number."""
    import ibis

    dtype = table.schema().get("event_params")
    null_type = "string" if kind == "string" else "float64"
    if dtype is None or not dtype.is_array() or not dtype.value_type.is_struct():
        return ibis.null(null_type)
    vt = dtype.value_type
    if "key" not in vt.names or "value" not in vt.names or not vt["value"].is_struct():
        return ibis.null(null_type)
    have = set(vt["value"].names)

    def pick(p):
        v = p.value
        if kind == "string":
            opts = [v[f].cast("string") for f in ("string_value", "int_value") if f in have]
        else:
            opts = [
                v[f].cast("float64")
                for f in ("double_value", "float_value", "int_value")
                if f in have
            ]
        if not opts:
            return ibis.null(null_type)
        return ibis.coalesce(*opts) if len(opts) > 1 else opts[0]

    values = table.event_params.filter(lambda p: p.key == key).map(pick)
    # guarded: Spark in ANSI mode refuses an index past the end of an array
    return ibis.cases((values.length() > 0, values[0]), else_=ibis.null(null_type))


def _text_or_null(expr):
    from ._engine import strip_space  # not .strip(): Ibis 12 mangles it on Spark

    s = strip_space(expr.cast("string"))
    return (s == "").ifelse(None, s)


def _events(table, conversion_events, value_field, session_source, name):
    """One row per event: device, uid, us, ts, name, sid, the candidate sources, conversion."""
    import ibis

    schema = table.schema()
    for required in ("event_timestamp", "event_name", "user_pseudo_id"):
        if required not in schema:
            raise InputError(
                f"not a GA4 export: missing the field {required!r}; the fields are "
                f"{list(schema.names)}",
                source=name,
                column=required,
            )
    for col in ("user_pseudo_id", "user_id"):
        if col in schema and schema[col].is_floating():
            raise InputError(
                f"{col} was read as a floating-point number, which loses digits of the ids; "
                "read it as text",
                source=name,
                column=col,
            )
    ts_type = schema["event_timestamp"]
    if ts_type.is_timestamp():
        ts = table.event_timestamp
        us = ts.epoch_seconds()  # only for ordering ties (seconds suffice with ts first)
    elif ts_type.is_integer() or ts_type.is_string():
        raw = table.event_timestamp
        us = _text_or_null(raw).try_cast("int64") if ts_type.is_string() else raw
        us = us.cast("int64")
        ts = (us // 1_000_000).as_timestamp("s") + (us % 1_000_000).as_interval("us")
    else:
        raise InputError(
            f"event_timestamp must be INT64 microseconds (or text holding them), not {ts_type}",
            source=name,
            column="event_timestamp",
        )
    ev_name = table.event_name.cast("string")
    conv = ev_name.isin(list(conversion_events))
    if value_field is None:
        val = ibis.literal(0.0)
    elif value_field.startswith("event_params."):
        val = _param(table, value_field.split(".", 1)[1], "number")
    else:
        top = value_field.split(".")[0]
        if top not in schema:
            raise InputError(
                f"value_field {value_field!r}: the export has no field {top!r}",
                source=name,
                column=value_field,
            )
        val = _field(table, value_field, "float64")
    lc = [
        _text_or_null(
            _field(table, f"session_traffic_source_last_click.manual_campaign.{f}", "string")
        )
        for f in ("source", "medium", "campaign_name")
    ]
    ct = [
        _text_or_null(_field(table, f"collected_traffic_source.{f}", "string"))
        for f in ("manual_source", "manual_medium", "manual_campaign_name")
    ]
    ep = [_text_or_null(_param(table, k, "string")) for k in ("source", "medium", "campaign")]
    # the best source on this event: last click (unless skipped), then collected, then params
    use_lc = session_source == "last_click"
    cands = ([(1, lc)] if use_lc else []) + [(2, ct), (3, ep)]
    prio = ibis.cases(*[(c[0].notnull(), p) for p, c in cands], else_=4)
    picked = []
    for i in range(3):
        picked.append(
            ibis.cases(*[(c[0].notnull(), c[i]) for _, c in cands], else_=ibis.null("string"))
        )
    return table.select(
        device=_text_or_null(table.user_pseudo_id),
        uid=_text_or_null(_field(table, "user_id", "string")),
        us=us,
        ts=ts,
        name=ev_name,
        sid=_text_or_null(_param(table, "ga_session_id", "string")),
        prio=prio,
        c_src=picked[0],
        c_med=picked[1],
        c_cmp=picked[2],
        conv=conv,
        val=val.cast("float64"),
    )


def _sessions(ev):
    """One row per session: device, sid, start time, src, med, cmp, prio."""
    import ibis

    s = ev.filter(ev.sid.notnull() & ev.device.notnull())
    starts = s.group_by(["device", "sid"]).agg(start=s.ts.min())
    ranked = s.mutate(
        rn=ibis.row_number().over(
            group_by=[s.device, s.sid],
            order_by=[s.prio, s.us, s.c_src, s.c_med, s.c_cmp],
        )
    )
    best = ranked.filter(ranked.rn == 0).select(
        "device", "sid", "prio", src0="c_src", med0="c_med", cmp0="c_cmp"
    )
    j = starts.left_join(
        best,
        [starts.device == best.device, starts.sid == best.sid],
    )
    has = j.prio < 4
    return j.select(
        device=j.device,
        sid=j.sid,
        start=j.start,
        prio=j.prio,
        src=has.ifelse(j.src0.fill_null(""), DIRECT[0]),
        med=has.ifelse(j.med0.fill_null("(not set)"), DIRECT[1]),
        cmp=has.ifelse(j.cmp0, ibis.null("string")),
    )


def _standard_log(ev, sessions, channel, has_value):
    """Touches (one per session) and conversions in build_journeys' columns."""
    import ibis

    touches = sessions.select(
        user_id=sessions.device,
        timestamp=sessions.start,
        channel=channel.cast("string"),
        conversion=ibis.literal(0, type="int64"),
        value=ibis.literal(0.0, type="float64"),
    )
    c = ev.filter(ev.conv)
    convs = c.select(
        user_id=c.device,
        timestamp=c.ts,
        channel=ibis.null("string"),
        conversion=ibis.literal(1, type="int64"),
        value=c.val if has_value else ibis.literal(0.0, type="float64"),
    )
    return touches.union(convs, distinct=False)


def _identity(engine, ev):
    """The user_pseudo_id -> user_id map (first user_id per device), and its counts."""
    import ibis

    pairs = ev.filter(ev.device.notnull() & ev.uid.notnull() & (ev.device != ev.uid))
    ranked = pairs.mutate(
        rn=ibis.row_number().over(group_by=pairs.device, order_by=[pairs.us, pairs.uid]),
        lo=pairs.uid.min().over(group_by=pairs.device),
        hi=pairs.uid.max().over(group_by=pairs.device),
    )
    first = ranked.filter(ranked.rn == 0).select(
        device_id=ranked.device, person_id=ranked.uid, several=ranked.lo != ranked.hi
    )
    stats = engine.to_arrow(
        first.agg(n=first.count(), multi=first.several.cast("int64").sum())
    ).to_pylist()[0]
    n = int(stats["n"] or 0)
    if n == 0:
        return None, 0, 0
    return first.select("device_id", "person_id"), n, int(stats["multi"] or 0)


def _counts(engine, ev, session_source, conversion_events) -> dict:
    """What the export holds and how its sessions were read (one pass)."""
    in_session = ev.sid.notnull()
    row = engine.to_arrow(
        ev.agg(
            events=ev.count(),
            conversion_events=ev.conv.cast("int64").sum(),
            events_without_session=(~in_session & ~ev.conv).cast("int64").sum(),
            events_without_user_pseudo_id=ev.device.isnull().cast("int64").sum(),
            devices=ev.device.nunique(),
            user_ids=ev.uid.nunique(),
        )
    ).to_pylist()[0]
    s = _sessions(ev)
    by = engine.to_arrow(s.group_by("prio").agg(n=s.count())).to_pylist()
    out: dict = {k: int(v or 0) for k, v in row.items()}
    out["sessions"] = sum(int(r["n"]) for r in by)
    out["session_source"] = {
        _PRIORITY_NAMES[p]: sum(int(r["n"]) for r in by if int(r["prio"]) == p)
        for p in ((1, 2, 3, 4) if session_source == "last_click" else (2, 3, 4))
    }
    out["conversion_event_names"] = list(conversion_events)
    return out
