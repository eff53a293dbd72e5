"""Google Analytics 4 BigQuery exports to journeys, inside the engine (DuckDB or Spark).

:func:`read_ga4` reads the export schema (one nested row per event, the
``events_YYYYMMDD`` tables saved as Parquet or newline-delimited JSON; schema:
"[GA4] BigQuery Export schema", https://support.google.com/analytics/answer/7029846,
and https://developers.google.com/analytics/bigquery/event-schema),
makes one touch per session and one conversion per conversion event (one per
``transaction_id``), and hands that standard event table to
:func:`pathcredit.journeys.events.build_journeys` in the same engine, so the
journey rules (lookback, ties, stitching, counts of what was removed) are the
event-log rules.

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
* **The source / medium / campaign a session brought** (its *own* source), from
  the first of these found on the session's events (earliest event first):

  1. ``collected_traffic_source`` (``manual_source``, ``manual_medium``,
     ``manual_campaign_name``): the UTM-tagged link the session arrived with
     (exports from mid-2023 on);
  2. the ``source``, ``medium``, ``campaign`` event parameters (every vintage;
     GA4 also writes referral and organic sources there);
  3. an **auto-tagging click id** and nothing else: ``gclid``, ``dclid``
     (``collected_traffic_source.gclid`` / ``.dclid``, the ``gclid`` event
     parameter) or the query parameters ``gclid=``, ``wbraid=``, ``gbraid=``,
     ``dclid=``, ``msclkid=`` of the ``page_location`` event parameter (the only
     place older exports, without ``collected_traffic_source``, keep them, and
     the only place any export keeps ``wbraid``, ``gbraid`` and ``msclkid``).
     See *Auto-tagged clicks* below;
  4. ``(direct)`` / ``(none)`` (GA4's values for a session without a source).

  A UTM tag beats a click id on the same session: GA4 lets a property choose
  which wins ("[GA4] Traffic-source dimensions, manual tagging, and
  auto-tagging", https://support.google.com/analytics/answer/11242870); the
  export does not say which the property chose, and a tagged link names the
  campaign the advertiser meant. The ``traffic_source`` record is the user's
  *first* acquisition, not the session's: it is never used for sessions.
* **Session source, two views** (``session_source``):

  - ``"own"`` (the default; ``"collected"``, the earlier name of this view, is
    accepted as the same): each session keeps its own source, and a direct session stays
    Direct. This is what a multi-touch path needs: a model sees every session
    as it came, and a path's repeated channels are real visits.
  - ``"last_click"``: GA4's report view, its session-scoped "paid and organic
    channels last click" (the *Session default channel group*; "Traffic
    attribution data",
    https://developers.google.com/analytics/bigquery/traffic-attribution-data):
    a direct session takes the own source of the same device's
    (``user_pseudo_id``) latest earlier non-direct session that started at most
    ``last_click_lookback_days`` (default 90) before it. pathcredit computes
    this itself on every vintage, so an export from before July 2024 (without
    ``session_traffic_source_last_click``) and a newer one give the same paths,
    and a year spanning the change gets one rule. The 90 days are the default
    lookback of GA4's reporting attribution for key events other than
    acquisition events (Admin API ``AttributionSettings``, below); Google
    documents no separate window for the session carry-over. Only when no
    earlier session in the data qualifies (a direct session early in the
    export, whose earlier visit is before the first day read) does the export's
    own answer, ``session_traffic_source_last_click`` (``cross_channel_campaign``,
    else ``manual_campaign``), decide, where the export has it and it is not
    direct.

  ``ej.ga4["session_source"]`` counts the sessions decided by each field
  (``collected_traffic_source``, ``event_params``, ``click_id``, and with
  ``"last_click"`` also ``previous_session`` and ``last_click``, then ``none``);
  ``ej.ga4["click_ids"]`` counts the sessions decided by each kind of click id.

Auto-tagged clicks
------------------
Most Google Ads clicks arrive with only a ``gclid`` (auto-tagging, "About
auto-tagging", https://support.google.com/google-ads/answer/3095550); GA4 reads
it and reports the session as ``google / cpc``. A session whose only evidence is
a click id is therefore not Direct:

==========================  ==============  ===========================================
click id                    source / medium  why
==========================  ==============  ===========================================
``gclid``                   google / cpc    Google Ads auto-tagging (answer 3095550)
``wbraid``, ``gbraid``      google / cpc    Google Ads' click ids for iOS web / app
                                            clicks, in place of a ``gclid``
``dclid``                   dfa / cpm       Display & Video 360 and Campaign Manager
                                            360 clicks (enhanced attribution,
                                            https://support.google.com/campaignmanager/answer/9182069);
                                            ``dfa / cpm`` is the source / medium
                                            Google Analytics has used for them; its
                                            default channel group is Display
``msclkid``                 bing / cpc      Microsoft Advertising; see below
==========================  ==============  ===========================================

The campaign is read where the export names it for the same event:
``session_traffic_source_last_click.google_ads_campaign.campaign_name`` (Google
Ads click ids), else ``session_traffic_source_last_click.cross_channel_campaign
.campaign_name``; exports without them leave the campaign empty. With
``channel_grouping="default"`` (or ``"media"``) a click-id session takes GA4's
own group from ``cross_channel_campaign.default_channel_group`` where the
export has it (GA4 groups Google Ads clicks by their ad network: a Shopping or
Performance Max click is Paid Shopping or Cross-network, which no source /
medium rule can tell), and the rules' group of its source / medium / campaign
otherwise (``google / cpc``: Paid Search; ``dfa / cpm``: Display).

**msclkid**: GA4 does not read Microsoft's click id. Without UTM tags a
Microsoft Ads click is reported by its referrer (``bing / organic``) or as
Direct when the referrer is lost. pathcredit reads it as ``bing / cpc`` (Paid
Search), because the click id proves a paid Microsoft Ads click and a path
should carry it, and because ``bing / cpc`` is what Microsoft's own "auto-tagging
of UTM" option writes (https://help.ads.microsoft.com/apex/index/3/en/56762) and
so what GA4 reports once that option is on. This is the one place where
pathcredit departs from GA4's report on purpose; the export's own record for
such a session is not used, in either session-source view.

Conversions and transactions
----------------------------
Conversions are the events named in ``conversion_events`` (default
``purchase``) with the value in ``value_field`` (default
``ecommerce.purchase_revenue``; any dotted path into the record, or
``event_params.KEY`` for a numeric event parameter); a missing value counts 0.
GA4's reports count a purchase once per ``ecommerce.transaction_id``
(the ``purchase`` event's ``transaction_id`` parameter "helps avoid getting
duplicate events for a purchase": "Measure ecommerce",
https://developers.google.com/analytics/devguides/collection/ga4/ecommerce): a re-send of a
transaction already counted (a reloaded thank-you page, seconds later or in a
later session) is removed, the first event of each ``(event_name,
transaction_id)`` kept, and counted in ``journeys.removed`` under
``"repeated transaction_id"`` (conversions and value), so the export's
conversion events = conversions on paths + the removed ones. Events without a
``transaction_id`` (or with GA4's ``(not set)``) are each counted, as GA4 counts
them. ``dedupe_transactions=False`` keeps every event.

Stitching and channels
----------------------
* **Stitching**: where an event carries a ``user_id`` (your login id), the
  device's ``user_pseudo_id`` is mapped to it, so a person's devices form one
  journey (an identity map through ``build_journeys``; ids are read as text).
  A device seen with several ``user_id`` values goes to the first one seen
  (earliest event; a warning says how many devices). The last-click carry-over
  stays per device, as GA4's is per ``user_pseudo_id`` in the export.
* **Channels**: ``channel_grouping="default"`` applies GA4's default channel
  group (:mod:`pathcredit.journeys.channel_groups`) inside the engine;
  ``"media"`` paid / owned / earned; ``"source_medium"`` keeps ``source / medium``;
  a CSV file or a list of rules gives your own regular-expression rules.
  The ``(direct) / (none)`` spelling lands in the Direct group, which
  ``last_non_direct`` treats as direct. GA4's "Paid and organic last click"
  attribution is pathcredit's ``last_non_direct`` (not ``last_touch``).

Lookback
--------
GA4's own defaults (Admin API ``AttributionSettings``,
https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1alpha/AttributionSettings):
30 days for acquisition key events (``first_open``, ``first_visit``; settable to
7 or 30) and 90 days for the other key events (settable to 30, 60 or 90). A
path table has one window, so ``lookback_days="ga4"`` (the default) is 30 when
every conversion event is an acquisition event and 90 otherwise (a mix of
purchases and first visits gets 90: read them separately for GA4's two windows).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..exceptions import InputError, PathcreditWarning
from . import _engine as eng
from ._core import Removal
from ._engine import strip_space
from .channel_groups import MEDIA_TYPES, ChannelRules, channel_rules, default_channel_rules
from .events import build_journeys

__all__ = ["read_ga4", "looks_like_ga4", "GA4_JSON_COLUMNS", "CLICK_IDS", "ACQUISITION_EVENTS"]

_LAST_CLICK_JSON = (
    "STRUCT(manual_campaign STRUCT(source VARCHAR, medium VARCHAR, campaign_name VARCHAR), "
    "google_ads_campaign STRUCT(customer_id VARCHAR, account_name VARCHAR, campaign_id VARCHAR, "
    "campaign_name VARCHAR, ad_group_id VARCHAR, ad_group_name VARCHAR), "
    "cross_channel_campaign STRUCT(campaign_id VARCHAR, campaign_name VARCHAR, source VARCHAR, "
    "medium VARCHAR, source_platform VARCHAR, default_channel_group VARCHAR, "
    "primary_channel_group VARCHAR))"
)

#: DuckDB column types for reading a JSON export (INT64 fields as text: JSON exports
#: write them as strings; they are cast to integers in the query). A field a file
#: lacks (an older vintage) reads as NULL.
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
        "STRUCT(manual_source VARCHAR, manual_medium VARCHAR, manual_campaign_name VARCHAR, "
        "gclid VARCHAR, dclid VARCHAR, srsltid VARCHAR)"
    ),
    "session_traffic_source_last_click": _LAST_CLICK_JSON,
    "ecommerce": (
        "STRUCT(purchase_revenue DOUBLE, purchase_revenue_in_usd DOUBLE, transaction_id VARCHAR)"
    ),
}

_SPARK_JSON_SCHEMA = (
    "event_timestamp STRING, event_name STRING, user_pseudo_id STRING, user_id STRING, "
    "event_params ARRAY<STRUCT<key: STRING, value: STRUCT<string_value: STRING, "
    "int_value: STRING, float_value: DOUBLE, double_value: DOUBLE>>>, "
    "collected_traffic_source STRUCT<manual_source: STRING, manual_medium: STRING, "
    "manual_campaign_name: STRING, gclid: STRING, dclid: STRING, srsltid: STRING>, "
    "session_traffic_source_last_click STRUCT<manual_campaign: "
    "STRUCT<source: STRING, medium: STRING, campaign_name: STRING>, "
    "google_ads_campaign: STRUCT<customer_id: STRING, account_name: STRING, "
    "campaign_id: STRING, campaign_name: STRING, ad_group_id: STRING, ad_group_name: STRING>, "
    "cross_channel_campaign: STRUCT<campaign_id: STRING, campaign_name: STRING, "
    "source: STRING, medium: STRING, source_platform: STRING, default_channel_group: STRING, "
    "primary_channel_group: STRING>>, "
    "ecommerce STRUCT<purchase_revenue: DOUBLE, purchase_revenue_in_usd: DOUBLE, "
    "transaction_id: STRING>"
)

#: GA4's values for a session without a source.
DIRECT = ("(direct)", "(none)")

#: Auto-tagging click ids, in the order one wins over another on the same event,
#: with the source / medium a session decided by it gets (module docstring).
CLICK_IDS: dict[str, tuple[str, str]] = {
    "gclid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "dclid": ("dfa", "cpm"),
    "msclkid": ("bing", "cpc"),
}
#: click ids whose campaign and channel group the export's Google records describe
_GOOGLE_CLICK_IDS = ("gclid", "wbraid", "gbraid", "dclid")

#: GA4's acquisition key events (a 30-day default lookback; 90 for the others).
ACQUISITION_EVENTS = ("first_open", "first_visit")

#: accepted session_source values (``"collected"``: the earlier name of ``"own"``)
_SESSION_SOURCES = {"own": "own", "collected": "own", "last_click": "last_click"}
# session priority codes: which field decided a session's source
_PREVIOUS, _COLLECTED, _PARAMS, _CLICK, _RECORD, _NONE = 1, 2, 3, 4, 5, 6
_PRIORITY_NAMES = {
    _PREVIOUS: "previous_session",
    _COLLECTED: "collected_traffic_source",
    _PARAMS: "event_params",
    _CLICK: "click_id",
    _RECORD: "last_click",
    _NONE: "none",
}
#: the removal step of a repeated transaction_id
REPEATED_TRANSACTION = "repeated transaction_id"


def looks_like_ga4(columns) -> bool:
    """Whether a table with these top-level columns is a GA4 BigQuery export.

    The export's nested ``event_params`` beside ``user_pseudo_id`` (no flat event
    log has both); used to tell a user who forgot ``--format ga4``.

    Examples
    --------
    >>> looks_like_ga4(["event_date", "event_timestamp", "event_params", "user_pseudo_id"])
    True
    >>> looks_like_ga4(["user_id", "timestamp", "channel", "conversion"])
    False
    """
    cols = {str(c).lower() for c in columns}
    return {"event_params", "user_pseudo_id"} <= cols


def _ga4_lookback(lookback_days, conversion_events):
    if isinstance(lookback_days, str):
        if lookback_days != "ga4":
            raise InputError(
                "lookback_days must be a number of days, None or 'ga4'", value=lookback_days
            )
        return 30 if all(e in ACQUISITION_EVENTS for e in conversion_events) else 90
    return lookback_days


def read_ga4(
    source,
    *,
    conversion_events: Sequence[str] = ("purchase",),
    value_field: str | None = "ecommerce.purchase_revenue",
    channel_grouping="default",
    session_source: str = "own",
    last_click_lookback_days: float | None = 90,
    dedupe_transactions: bool = True,
    stitch_user_id: bool = True,
    lookback_days: float | str | None = "ga4",
    max_touches: int | None = None,
    inactivity_days: float | None = None,
    backend=None,
    file_format: str | None = None,
    invalid: str = "drop",
    **build_options,
):
    """Read a GA4 BigQuery export (Parquet or newline-delimited JSON) into journeys.

    The rules (sessions, which source field wins, click ids, the two
    session-source views, transactions, stitching, channels, lookback) are in the
    docstring of :mod:`pathcredit.journeys.ga4`.

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
    session_source : {"own", "last_click"}, default "own"
        ``"own"``: each session keeps the source it brought (``"collected"`` is
        accepted as the same); ``"last_click"``: GA4's session-scoped last
        non-direct click (a direct session takes the device's previous non-direct
        source), computed the same way on every export vintage.
    last_click_lookback_days : float or None, default 90
        With ``session_source="last_click"``: how far back (session start to
        session start) a direct session looks for a non-direct one; ``None``: no limit.
    dedupe_transactions : bool, default True
        Count each ``(event_name, ecommerce.transaction_id)`` once, as GA4's reports
        do; the re-sends are removed and counted as ``"repeated transaction_id"``.
    stitch_user_id : bool, default True
        Map each ``user_pseudo_id`` to its ``user_id`` where one was recorded.
    lookback_days : float, None or "ga4", default "ga4"
        Drop touches older than this before their conversion. ``"ga4"``: GA4's
        default, 30 days when every conversion event is ``first_open`` /
        ``first_visit``, else 90; ``None``: no limit.
    max_touches, inactivity_days, invalid
        As in :func:`~pathcredit.journeys.events.build_journeys`.
    backend : None, "duckdb", "spark", SparkSession or Ibis backend
        Where to compute (``None``: the backend of an Ibis table, else DuckDB;
        ``"spark"``: the active SparkSession, or a new local one).
    file_format : {"parquet", "json"}, optional
        When it cannot be told from the file name.
    **build_options
        Further :func:`~pathcredit.journeys.events.build_journeys` options, for
        example ``reset_at_conversion=False`` (each conversion's path keeps the
        touches before an earlier conversion, as GA4's conversion paths do; the
        default ends a journey at each conversion) or offline touches (their
        customer ids meet the GA4 journeys through ``user_id``).

    Returns
    -------
    EventJourneys
        As :func:`~pathcredit.journeys.events.build_journeys` returns it, with
        ``ej.ga4``: counts of the export (events, sessions, conversion events,
        repeated transactions, events without a session, devices stitched,
        sessions per source field and per click id, the lookback used).

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
    >>> ej.ga4["conversion_events"], ej.ga4["repeated_transactions"], ej.ga4["lookback_days"]
    (173, 19, 90)
    >>> ej.ga4["click_ids"]["gclid"] > 0
    True
    """

    if session_source not in _SESSION_SOURCES:
        raise InputError(
            "session_source must be 'own' (alias 'collected') or 'last_click'",
            value=session_source,
        )
    mode = _SESSION_SOURCES[session_source]
    if isinstance(conversion_events, str):
        conversion_events = (conversion_events,)
    conversion_events = tuple(str(c) for c in conversion_events)
    if not conversion_events:
        raise InputError("conversion_events needs at least one event name")
    lookback = _ga4_lookback(lookback_days, conversion_events)
    rules: ChannelRules | None
    group_map = None
    if isinstance(channel_grouping, str) and channel_grouping == "media":
        rules = default_channel_rules().rename(MEDIA_TYPES)
        group_map = MEDIA_TYPES
    else:
        rules = channel_rules(channel_grouping)
        if isinstance(channel_grouping, str) and channel_grouping == "default":
            group_map = {}
    engine = _connect(backend)
    table, engine, name = _export_table(source, engine, file_format)
    ev = _store(engine, _events(table, conversion_events, value_field, mode, name))
    # unnest and project the export once; everything below reads this table
    ev = _store(engine, _candidates(ev, mode))
    sessions = _store(engine, _sessions(ev, mode, last_click_lookback_days))
    counts = _counts(engine, ev, sessions, mode, conversion_events, dedupe_transactions)
    if counts["events"] == 0:
        raise InputError("the export has no events", source=name)
    counts["lookback_days"] = lookback
    if rules is None:
        channel = (sessions.src + " / " + sessions.med).replace(eng.PATH_SEP, "\u203a")
    else:
        channel = rules.expr(sessions.src, sessions.med, sessions.cmp)
        if group_map is not None:  # GA4's own group of a click-id session, where exported
            channel = _group_or(sessions.grp, channel, group_map, eng.PATH_SEP)
    std = _store(
        engine,
        _standard_log(ev, sessions, channel, value_field is not None, dedupe_transactions),
    )
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
        lookback_days=lookback,
        max_touches=max_touches,
        inactivity_days=inactivity_days,
        identity_map=ident,
        identity_cols=("device_id", "person_id"),
        invalid=invalid,
        **build_options,
    )
    j = ej.journeys
    if counts["repeated_transactions"]:
        repeated = Removal(
            REPEATED_TRANSACTION,
            conversions=float(counts["repeated_transactions"]),
            value=float(counts.pop("_repeated_value")) if value_field is not None else 0.0,
        )
        j = j.replace(removed=(repeated, *j.removed))
    counts.pop("_repeated_value", None)
    j.source = name
    ej.journeys = j
    ej.ga4 = counts
    return ej


# ---------------------------------------------------------------------------- input
def _connect(backend):

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

    s = strip_space(expr.cast("string"))
    return (s == "").ifelse(None, s)


def _url_param(url, key: str):
    """The value of ``key=`` in a URL's query string (NULL when absent or empty)."""
    return _text_or_null(url.re_extract(f"[?&]{key}=([^&#]*)", 1))


def _events(table, conversion_events, value_field, mode, name):
    """One row per event: device, uid, us, ts, name, sid, the best source on it, conversion."""
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
        us = ts.epoch_seconds().cast("int64") * 1_000_000  # whole seconds suffice here
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

    def text(path):
        return _text_or_null(_field(table, path, "string"))

    lc = "session_traffic_source_last_click"
    tid = _text_or_null(_field(table, "ecommerce.transaction_id", "string"))
    # stage 1: every field read once, as flat columns (stage 2 combines them; one
    # projection of both would repeat the unnesting inside every CASE branch)
    return table.select(
        device=_text_or_null(table.user_pseudo_id),
        uid=_text_or_null(_field(table, "user_id", "string")),
        us=us,
        ts=ts,
        name=ev_name,
        sid=_text_or_null(_param(table, "ga_session_id", "string")),
        conv=conv,
        val=val.cast("float64"),
        tid=(tid.lower() == "(not set)").ifelse(ibis.null("string"), tid),
        ct_src=text("collected_traffic_source.manual_source"),
        ct_med=text("collected_traffic_source.manual_medium"),
        ct_cmp=text("collected_traffic_source.manual_campaign_name"),
        ep_src=_text_or_null(_param(table, "source", "string")),
        ep_med=_text_or_null(_param(table, "medium", "string")),
        ep_cmp=_text_or_null(_param(table, "campaign", "string")),
        url=_text_or_null(_param(table, "page_location", "string")),
        ct_gclid=text("collected_traffic_source.gclid"),
        ep_gclid=_text_or_null(_param(table, "gclid", "string")),
        ct_dclid=text("collected_traffic_source.dclid"),
        ads_cmp=text(f"{lc}.google_ads_campaign.campaign_name"),
        x_src=text(f"{lc}.cross_channel_campaign.source"),
        x_med=text(f"{lc}.cross_channel_campaign.medium"),
        x_cmp=text(f"{lc}.cross_channel_campaign.campaign_name"),
        x_grp=text(f"{lc}.cross_channel_campaign.default_channel_group"),
        m_src=text(f"{lc}.manual_campaign.source"),
        m_med=text(f"{lc}.manual_campaign.medium"),
        m_cmp=text(f"{lc}.manual_campaign.campaign_name"),
    )


def _candidates(t, mode):
    """Stage 2: the best source on each event (priority code and its values)."""
    import ibis

    null = ibis.null("string")
    found = {
        "gclid": ibis.coalesce(t.ct_gclid, t.ep_gclid, _url_param(t.url, "gclid")),
        "wbraid": _url_param(t.url, "wbraid"),
        "gbraid": _url_param(t.url, "gbraid"),
        "dclid": ibis.coalesce(t.ct_dclid, _url_param(t.url, "dclid")),
        "msclkid": _url_param(t.url, "msclkid"),
    }
    kind = ibis.cases(*[(v.notnull(), k) for k, v in found.items()], else_=null)
    t = t.mutate(kind=kind)
    t = t.mutate(
        k_src=ibis.cases(*[(t.kind == k, v[0]) for k, v in CLICK_IDS.items()], else_=null),
        k_med=ibis.cases(*[(t.kind == k, v[1]) for k, v in CLICK_IDS.items()], else_=null),
        google=t.kind.isin(list(_GOOGLE_CLICK_IDS)),
    )
    ck = [
        t.k_src,
        t.k_med,
        t.google.ifelse(ibis.coalesce(t.ads_cmp, t.x_cmp), null),
        t.google.ifelse(t.x_grp, null),
    ]
    cands = [
        (_COLLECTED, [t.ct_src, t.ct_med, t.ct_cmp, null]),
        (_PARAMS, [t.ep_src, t.ep_med, t.ep_cmp, null]),
        (_CLICK, ck),
    ]
    if mode == "last_click":  # the export's own answer, used only where nothing else decides
        use_x = t.x_src.notnull()
        rec_src = use_x.ifelse(t.x_src, t.m_src)
        direct = rec_src.isnull() | (rec_src.lower() == DIRECT[0])
        rec = [
            direct.ifelse(null, rec_src),
            use_x.ifelse(t.x_med, t.m_med),
            use_x.ifelse(t.x_cmp, ibis.coalesce(t.m_cmp, t.ads_cmp)),
            use_x.ifelse(t.x_grp, null),
        ]
        cands.append((_RECORD, rec))
    prio = ibis.cases(*[(c[0].notnull(), p) for p, c in cands], else_=_NONE)
    picked = [ibis.cases(*[(c[0].notnull(), c[i]) for _, c in cands], else_=null) for i in range(4)]
    return t.select(
        "device", "uid", "us", "ts", "name", "sid", "conv", "val", "tid",
        prio=prio.cast("int64"),
        c_src=picked[0],
        c_med=picked[1],
        c_cmp=picked[2],
        c_grp=picked[3],
        click=(prio == _CLICK).ifelse(t.kind, null),
    )  # fmt: skip


_SESSION_COLUMNS = ("device", "sid", "start", "start_us", "prio", "src", "med", "cmp", "grp",
                    "click")  # fmt: skip


def _sessions(ev, mode, carry_days):
    """One row per session: device, sid, start, prio, src, med, cmp, grp, click.

    With ``mode="last_click"`` a session with no own source takes the latest
    earlier own non-direct source of its device within ``carry_days``.
    """
    import ibis

    s = ev.filter(ev.sid.notnull() & ev.device.notnull())
    starts = s.group_by(["device", "sid"]).agg(start=s.ts.min(), start_us=s.us.min())
    ranked = s.mutate(
        rn=ibis.row_number().over(
            group_by=[s.device, s.sid],
            order_by=[s.prio, s.us, s.c_src, s.c_med, s.c_cmp],
        )
    )
    best = ranked.filter(ranked.rn == 0).select(
        "device", "sid", "prio", "click", src0="c_src", med0="c_med", cmp0="c_cmp", grp0="c_grp"
    )
    j = starts.left_join(best, [starts.device == best.device, starts.sid == best.sid])
    has = j.prio < _NONE
    own = j.select(
        device=j.device,
        sid=j.sid,
        start=j.start,
        start_us=j.start_us,
        prio=j.prio.fill_null(_NONE).cast("int64"),
        src=has.ifelse(j.src0.fill_null(""), DIRECT[0]),
        med=has.ifelse(j.med0.fill_null("(not set)"), DIRECT[1]),
        cmp=has.ifelse(j.cmp0, ibis.null("string")),
        grp=has.ifelse(j.grp0, ibis.null("string")),
        click=j.click,
    )
    if mode != "last_click":
        return own
    nd = own.filter(own.prio <= _CLICK)  # own non-direct sources
    d = own.filter(own.prio > _CLICK)
    p = nd.select(
        p_device="device", p_us="start_us", p_src="src", p_med="med", p_cmp="cmp", p_grp="grp"
    )
    cond = [d.device == p.p_device, p.p_us < d.start_us]
    if carry_days is not None:
        cond.append(p.p_us >= d.start_us - int(round(float(carry_days) * 86_400_000_000)))
    pairs = d.join(p, cond)
    pairs = pairs.mutate(
        rn=ibis.row_number().over(
            group_by=[pairs.device, pairs.sid],
            order_by=[ibis.desc(pairs.p_us), pairs.p_src, pairs.p_med, pairs.p_cmp],
        )
    )
    prev = pairs.filter(pairs.rn == 0).select(
        "p_src", "p_med", "p_cmp", "p_grp", q_device="device", q_sid="sid"
    )
    k = d.left_join(prev, [d.device == prev.q_device, d.sid == prev.q_sid])
    got = k.q_device.notnull()
    carried = k.select(
        device=k.device,
        sid=k.sid,
        start=k.start,
        start_us=k.start_us,
        prio=got.ifelse(ibis.literal(_PREVIOUS, "int64"), k.prio),
        src=got.ifelse(k.p_src, k.src),
        med=got.ifelse(k.p_med, k.med),
        cmp=got.ifelse(k.p_cmp, k.cmp),
        grp=got.ifelse(k.p_grp, k.grp),
        click=k.click,
    )
    return nd.select(*_SESSION_COLUMNS).union(carried.select(*_SESSION_COLUMNS), distinct=False)


def _group_or(grp, channel, mapping, sep):
    """GA4's exported default channel group (renamed by ``mapping``) where present."""
    import ibis

    g = _text_or_null(grp).replace(sep, "\u203a")
    if mapping:
        g = ibis.cases(*[(g == k, v) for k, v in mapping.items()], else_=g)
    return ibis.coalesce(g, channel)


def _standard_log(ev, sessions, channel, has_value, dedupe):
    """Touches (one per session) and conversions in build_journeys' columns."""
    import ibis

    touches = sessions.select(
        user_id=sessions.device,
        timestamp=sessions.start,
        channel=channel.cast("string"),
        conversion=ibis.literal(0, type="int64"),
        value=ibis.literal(0.0, type="float64"),
    )
    c = _first_transactions(ev) if dedupe else ev.filter(ev.conv)
    convs = c.select(
        user_id=c.device,
        timestamp=c.ts,
        channel=ibis.null("string"),
        conversion=ibis.literal(1, type="int64"),
        value=c.val if has_value else ibis.literal(0.0, type="float64"),
    )
    return touches.union(convs, distinct=False)


def _ranked_transactions(ev):
    """Conversion events with ``rn``: 0 for the first event of each (name, transaction_id)
    and for every event without one."""
    import ibis

    c = ev.filter(ev.conv)
    return c.mutate(
        rn=c.tid.isnull().ifelse(
            ibis.literal(0, "int64"),
            ibis.row_number()
            .over(group_by=[c.name, c.tid], order_by=[c.us, c.device, c.val])
            .cast("int64"),
        )
    )


def _first_transactions(ev):
    r = _ranked_transactions(ev)
    return r.filter(r.rn == 0)


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


def _counts(engine, ev, sessions, mode, conversion_events, dedupe) -> dict:
    """What the export holds and how its sessions were read."""
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
    s = sessions
    by = engine.to_arrow(s.group_by(["prio", "click"]).agg(n=s.count())).to_pylist()
    out: dict = {k: int(v or 0) for k, v in row.items()}
    out["sessions"] = sum(int(r["n"]) for r in by)
    codes = (
        (_COLLECTED, _PARAMS, _CLICK, _PREVIOUS, _RECORD, _NONE)
        if mode == "last_click"
        else (_COLLECTED, _PARAMS, _CLICK, _NONE)
    )
    out["session_source"] = {
        _PRIORITY_NAMES[p]: sum(int(r["n"]) for r in by if int(r["prio"]) == p) for p in codes
    }
    out["click_ids"] = {
        k: sum(int(r["n"]) for r in by if int(r["prio"]) == _CLICK and r["click"] == k)
        for k in CLICK_IDS
    }
    out["session_source_mode"] = mode
    out["repeated_transactions"] = 0
    out["_repeated_value"] = 0.0
    if dedupe:
        r = _ranked_transactions(ev)
        rep = r.filter(r.rn > 0)
        values = engine.to_arrow(rep.select(v=rep.val.fill_null(0.0)))["v"].to_pylist()
        out["repeated_transactions"] = len(values)
        # math.fsum: the same total whatever order the engine returns the rows in
        out["_repeated_value"] = math.fsum(values)
    out["conversion_event_names"] = list(conversion_events)
    return out
