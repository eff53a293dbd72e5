"""Journeys from raw event logs, built inside a query engine with Ibis.

An event log has one row per touchpoint or conversion: a user (or device) id,
a timestamp, a channel and a conversion flag, optionally a conversion value.
:func:`build_journeys` turns it into the two small statistics the models need:

* the aggregated path table (distinct paths with conversions, value and
  non-converting journeys) as :class:`pathcredit.Journeys`, so every model runs
  on it unchanged;
* the touch-level table (journey, position, channel, days to conversion) that
  time decay needs, from which :meth:`EventJourneys.journey_paths` gives
  journey-level :class:`~pathcredit.Journeys` with touch times.

The work happens inside the engine (DuckDB embedded by default; the same Ibis
expressions run on PySpark), so inputs larger than memory are fine: only the
distinct paths come back to Python. A plain pandas implementation
(``backend="pandas"``, sort and group by) is kept beside it as the obviously
correct reference.

Rules (the same on every backend)
---------------------------------
* **Conversions end journeys.** A person's events are ordered by time; a
  journey ends at each conversion and the next starts fresh. A journey that has
  not converted ends at the end of the data, or, with ``inactivity_days``, when
  the person's next event comes more than that many days later.
* **Conversions without reset** (``reset_at_conversion=False``). Each
  conversion's path keeps every touch of the person inside its lookback window,
  including touches before an earlier conversion, as Google Analytics 4's
  conversion paths do; the touches after a person's last conversion form the
  non-converting journey, as with the default. An inactivity gap
  (``inactivity_days``) still separates: a touch before a gap is never on the
  path of a conversion after it. A touch is thus on the path of its own journey
  (the one the default puts it in) and on those of the later conversions whose
  window reaches it, so the path table holds more touches than the log:
  ``ej.repeated_touches`` counts the copies, and touches are conserved as
  path-table touches - ``repeated_touches`` + removed touches = the log's
  touches (conversions and value are conserved as always: each conversion is on
  one path). What is removed is counted per touch in its own journey: a touch
  outside its own journey's window (or cut there by ``max_touches``) is outside
  every later one. A conversion is "with no touch" only when no touch at all
  comes before it (in its inactivity segment); one whose earlier touches all lie
  outside its window counts under the lookback step.
* **Ties.** A touch at the exact time of a conversion counts as *before* it (it
  belongs to the journey the conversion ends). Touches at the same time are
  ordered by channel name, so paths are deterministic.
* **Conversion rows carry no touch**: their channel is ignored. Log the
  touch that led to a conversion as its own row (same time is fine, see above).
* **Event names.** With ``conversion_events`` (and ``event_col``, default
  ``event_name``) a row is a conversion when its event name is one of them. A
  row that is neither a conversion nor a touch (a ``page_view`` without a
  channel; with ``touch_events``, any event not named there) is counted as
  "other events ignored", apart from touches with a missing channel.
* **Touch types.** With ``type_col`` each touch has a type (``click``, ``view``
  (``impression`` is read as ``view``), ``offline`` or any other name; missing
  means ``click``), kept in the touch table as ``touch_type``. ``lookback_days``
  may give each type its own window (``{"click": 30, "view": 1}``), and
  ``include_views=False`` leaves views out (counted as "views ignored"): a build
  option, because the path table has no types. Touches identical in every column
  but their type are different touches.
* **Offline touches** (``offline=``) are a second table of touches keyed by a
  customer id; they join the log before stitching, so the identity map sends a
  customer id to its person like any device id.
* **Lookback window.** Touches more than ``lookback_days`` (default 30, as in
  Google Analytics 4) before the end of their journey are dropped; the end of a
  converting journey is its conversion, of a non-converting one its last touch
  (so converting and non-converting paths are cut alike, which data-driven
  models need). A touch exactly ``lookback_days`` before is kept.
  ``max_touches`` then keeps the last N touches. A converting journey left with
  no touch, and a conversion with no touch before it at all, leaves the path
  table; both are counted.
* **Identity map.** Device or cookie ids are replaced by person ids before
  anything else, so a person's devices form one journey; ids not in the map
  are their own person. Chains are followed to their end (``a -> b``,
  ``b -> c`` sends ``a`` and ``b`` to ``c``); a device mapped to two persons,
  and a cycle (``a -> b``, ``b -> a``), are errors. Ids are compared as text:
  ids (and the map's columns) in a CSV file are read as text whatever the
  engine's type guess, so ``00042`` and ``1234567890.1234567890`` stay as
  written. ``ej.identity`` says how many of the map's rows matched an id of
  the log; a :class:`~pathcredit.exceptions.PathcreditWarning` is given when
  none, or fewer than 1%, did.
* **Bad events.** Rows with a missing user, a missing or unparseable timestamp,
  or (touch rows) a missing channel are dropped and counted
  (``invalid="raise"`` raises :class:`~pathcredit.InputError` instead). A
  missing conversion flag (NULL, or NaN such as a CSV ``nan``) means "not a
  conversion"; a missing conversion value (NULL or NaN) counts as 0.
* **Order of the removal steps** (``journeys.removed``), the same on every
  backend: rows that are neither touches nor conversions ("other events
  ignored", "views ignored"), then "missing user", "missing timestamp",
  "unparseable timestamp", "missing channel" (touch rows); a row failing several
  of these checks is counted once, under the first. Then, on the valid events
  after stitching: "duplicate events", "conversions with no touch", the lookback
  window, ``max_touches``. What counts as missing is the same everywhere (see
  the next rules), so the counts of every step agree across engines, not only
  the path tables.
* **Channel names** are text, trimmed of whitespace as Python's ``str.strip()``
  trims it (Unicode White_Space, such as the no-break space U+00A0, and the ASCII
  separators U+001C-U+001F); a name with nothing left is a missing channel
  (counted). Other control characters and the zero-width space are kept. User
  ids, event names and touch types are trimmed of ASCII whitespace.
* **CSV files** are read in one dialect on every backend: a header line; the
  delimiter is the one of ``,`` ``;`` tab ``|`` found most often in the header
  line outside quotes (a tie goes to the first listed), so a semicolon file reads
  alike everywhere; fields may be quoted with ``"`` (doubled inside). A row with
  more or fewer fields than the header is refused, naming the line and the
  0-based data row (padding or truncating it would shift its values into the
  wrong columns). The user, time, channel, event-name and touch-type columns are
  read as text as written (channels ``1``, ``2`` stay ``1``, ``2``; ids ``007``
  keep their zeros); in them only an empty cell is missing: ``NA``, ``null``,
  ``nan`` are names like any other. In the conversion and value columns a NaN
  spelling or a missing-value word (``NA``, ``n/a``, ``null``...) is a missing
  number. Spark reads CSV files with its own reader (given the same delimiter
  and quote); pass a frame or Parquet for these guarantees there.
* **Decimal columns** (Parquet ``DECIMAL``, Arrow ``decimal128``, Python
  ``decimal.Decimal`` objects), as databases export money amounts, are numbers:
  a decimal value or conversion column is read as float64 on every backend.
* **Refused inputs** (:class:`~pathcredit.InputError` naming the file, column,
  row and value): a conversion value that is infinite or negative; a channel
  containing the path separator ``>`` (the path table would read it back as
  two channels: rename it); a column of mixed types (text and timestamps,
  integers and text); time strings with and without offsets; a CSV header that
  repeats a column name; an empty file, a log with no events (a header only:
  "no events, so no paths"), or one with no valid event; Excel workbooks, zip
  archives and bzip2 files (recognised by their leading bytes, with what to do
  instead); an integer time outside years 1 to 9999 (see **Times**); a column of
  ids, channels, event names or touch types holding nested values (lists,
  records, maps); ``identity_cols`` naming one column twice. Gzip- and
  zstd-compressed CSV files are read as they are, whatever their name, after
  one pass that checks the stream to its end (a truncated or corrupt file is
  refused: DuckDB's reader would stop quietly at the cut).
* **Numbers written as text** (a conversion flag or value column of strings, or
  a CSV column holding a value that is not a number): each value is trimmed;
  empty and the missing-value spellings of pandas' ``read_csv`` (``NA``,
  ``N/A``, ``n/a``, ``NULL``, ``null``, ``None``, ``nan``, ``NaN``, ...) are
  missing; any other text that is not a number (``yes``) is refused, naming its
  row. DuckDB guesses a CSV column's type from a sample of rows (20,480); a
  later value the guess cannot hold (a time ``not a date``, a flag ``yes``, a
  value ``n/a``) makes the build start again with that column read as text, so
  the result is the one the pandas reference gives: an unparseable time is
  dropped and counted. Any other CSV error of DuckDB (a row with the wrong
  number of fields) is an ``InputError`` naming the file, the line and its text.
* **Duplicates.** Events identical in person, time, channel, conversion flag
  and value (after stitching) are kept once; the copies are counted. Every
  backend orders a person's events by (time, flag, channel, value), which is a
  total order once copies are set aside, and a copy always sits in its
  original's journey, so the engines agree whatever order they give ties.
* **Determinism.** Each path's value is the sum of its journeys' values in
  sorted order, so the same input gives the same bits on every run and with
  any ``partitions``.
* **Times** are handled at microsecond resolution; days are
  ``microseconds / 86 400 000 000``. Integer times need ``time_unit`` (``s``,
  ``ms``, ``us`` or ``ns`` since 1970-01-01 UTC) and must name an instant from
  0001-01-01 to 9999-12-31 UTC (four-digit years, as ISO 8601 writes them; in
  seconds -62 135 596 800 to 253 402 300 799); one outside is refused naming its
  row (10^17 seconds is a unit mix-up, not a date), where DuckDB's arithmetic
  would overflow and pandas' would wrap around. Every int64 number of
  nanoseconds is inside. Time strings follow one
  grammar on every backend (``ISO_TIME`` in ``_engine``: ISO 8601's extended
  format as RFC 3339 writes it): ``YYYY-MM-DD``, optionally ``T`` or a space and
  ``hh:mm``, optionally ``:ss`` with a fraction after ``.`` or ``,`` (any number
  of digits, truncated to the microsecond), optionally ``Z`` or an offset
  ``+hh``, ``+hh:mm``, ``+hhmm``. The supported dates are 0001-01-01 to
  9999-12-31 (as written; the offset may move the instant a day beyond), hours
  00-23, minutes and seconds 00-59. Every other string is an unparseable
  timestamp on every backend, though one engine's own parser would read it:
  the basic format ``20240101T100000`` and an hour alone ``2024-01-01T10``
  (pandas), ``24:00:00``, zone names (``... UTC``) and years beyond 9999
  (DuckDB), one-digit fields, week and ordinal dates, a date that does not exist.
  The time column of a CSV file is read as text for that reason, whatever type
  an engine would guess. ISO 8601 strings ending in
  ``Z`` or an offset (``+02:00``, ``-0130``) are read as the instants they name,
  the same on every backend and input (CSV, a Parquet string column, a pandas
  object column): the offset is taken apart and subtracted, never left to an
  engine's own rules (DuckDB's cast to TIMESTAMP used to drop such strings as
  unparseable). A column mixing strings with and without an offset is refused
  (the ones without name no instant), naming the first row of the rarer kind.
  Time-zone-aware inputs are compared as instants; on Spark set
  ``spark.sql.session.timeZone`` to ``UTC`` so naive timestamps are not shifted
  by daylight saving (the DuckDB connections made here use UTC).
* **Warnings.** When more than half of the log's conversions are dropped, a
  :class:`~pathcredit.exceptions.PathcreditWarning` names the biggest reason
  (e.g. "missing user": is ``user_col`` the right column?).

Everything dropped is recorded as :class:`~pathcredit.journeys.Removal` records
in ``journeys.removed`` (``touches`` are touch events, ``paths`` are journeys,
``conversions``/``value``/``nulls`` what those journeys carried).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping

import numpy as np

from ..exceptions import InputError, PathcreditError
from . import _engine as eng
from ._core import Journeys, Removal
from ._engine import path_values
from ._event_journeys import (
    TOUCH_COLUMNS,
    EventJourneys,
    Lookback,
    identity_report,
    resolve_identity,
    warn_dropped_conversions,
)
from ._events_pandas import build_journeys_pandas
from .event_reports import REPORT_COLUMNS, journey_length_report, time_lag_report  # noqa: F401

__all__ = [
    "EventJourneys",
    "build_journeys",
    "read_events_as_journeys",
    "time_lag_report",
    "journey_length_report",
    "path_length_report",
    "TOUCH_COLUMNS",
]


def path_length_report(ej: EventJourneys):
    """Deprecated name of :func:`~.event_reports.journey_length_report`.

    :func:`pathcredit.reports.path_length_report` is the report of the same name on
    aggregated paths (:class:`Journeys`: one row per length, other columns), so one
    name meant two reports with different inputs and outputs; the event-log report
    is now called by what it buckets, journeys by their length.

    .. deprecated::
        Use :func:`journey_length_report` (same result).
    """
    warnings.warn(
        "pathcredit.journeys.events.path_length_report is renamed journey_length_report "
        "(pathcredit.reports.path_length_report is the report on aggregated paths)",
        DeprecationWarning,
        stacklevel=2,
    )
    return journey_length_report(ej)


def _csv_as_text(build):
    """Redo a build whose CSV input held a value DuckDB's type guess cannot hold.

    DuckDB guesses each CSV column's type from a sample of rows; a later value
    that does not fit (a time ``not a date``, a conversion flag ``yes``, a value
    ``n/a``) stops the scan (see :func:`~._engine.csv_error`). The build is then
    redone with that column read as text, where the rules of every backend apply:
    an unparseable time is dropped and counted, a missing-value spelling is
    missing, and a flag or value that is not a number is an ``InputError`` naming
    its row. Any other CSV error of DuckDB (a row with the wrong number of fields)
    is an ``InputError`` naming the file, the line and its text. Files that read
    cleanly are read once.
    """

    @functools.wraps(build)
    def wrapper(events, **kwargs):

        forced: tuple[str, ...] = ()
        while True:
            token = eng.FORCED_TEXT.set(forced)
            try:
                return build(events, **kwargs)
            except Exception as exc:
                err = eng.csv_error(exc)
                if err is None:
                    raise
                if err.column is not None and err.column not in forced:
                    forced = (*forced, err.column)
                    continue
                raise InputError(
                    f"cannot read line {err.line} of the CSV file: {err.reason}",
                    source=err.file,
                    column=err.column,
                    row=None if err.line is None else err.line - 2,
                    value=err.text,
                ) from exc
            finally:
                eng.FORCED_TEXT.reset(token)

    return wrapper


@_csv_as_text
def build_journeys(
    events,
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    channel_col: str = "channel",
    conversion_col: str = "conversion",
    value_col: str | None = None,
    lookback_days: float | None = 30,
    max_touches: int | None = None,
    inactivity_days: float | None = None,
    identity_map=None,
    identity_cols: tuple[str, str] = ("device_id", "person_id"),
    invalid: str = "drop",
    backend=None,
    file_format: str | None = None,
    partitions: int | None = None,
    time_unit: str | None = None,
    event_col: str | None = None,
    conversion_events=None,
    touch_events=None,
    type_col: str | None = None,
    include_views: bool = True,
    offline=None,
    offline_user_col: str | None = None,
    reset_at_conversion: bool = True,
) -> EventJourneys:
    """Build journeys from an event log inside a query engine.

    The rules (journey ends, ties, lookback, stitching, bad events, duplicates)
    are in the module docstring of :mod:`pathcredit.journeys.events`.

    Parameters
    ----------
    events : pandas.DataFrame, polars.DataFrame, str, path-like, list of paths or ibis.Table
        The event log: a frame, Parquet or CSV file(s) (globs allowed; read by the
        engine, so larger than memory is fine), or an Ibis table on any backend
        (then that backend does the work).
    user_col, time_col, channel_col, conversion_col : str
        Column names. The time column holds timestamps, dates or ISO strings;
        the conversion column is boolean or numeric (non-zero = conversion).
    value_col : str, optional
        Conversion value column; without it the journeys carry no value.
    lookback_days : float, None or mapping, default 30
        Drop touches more than this many days before the end of their journey.
        ``None`` keeps every touch. A mapping gives one window per touch type
        (``{"click": 30, "view": 1}``; the key ``"default"`` covers the other types;
        without it a type in the data that the mapping does not name is an error).
    max_touches : int, optional
        Keep only the last N touches of each journey (after the lookback); a whole
        number from 1 to 2^31 - 1 (``True`` is not a number here).
    inactivity_days : float, optional
        End a journey without conversion when the next event comes more than
        this many days later. ``None`` (default): only conversions and the end of
        the data end journeys.
    identity_map : DataFrame, mapping, file path or ibis.Table, optional
        Device (or cookie) id to person id. A mapping ``{device: person}`` or a
        table with the columns ``identity_cols``.
    identity_cols : (str, str), default ``("device_id", "person_id")``
        Column names of the identity map.
    invalid : {"drop", "raise"}, default "drop"
        What to do with bad events (missing user, missing or unparseable
        timestamp, touch without channel): drop and count them, or raise.
    backend : None, "duckdb", "pandas", "spark", Ibis backend or SparkSession
        Where to compute. ``None``: the backend of an Ibis table input, else a
        fresh in-memory DuckDB. ``"pandas"``: the reference implementation.
    file_format : {"parquet", "csv"}, optional
        File format when it cannot be told from the name.
    partitions : int, optional
        Build the path table in this many hash partitions of the people, one
        after the other, so the engine holds one partition's journeys at a time
        (the result is the same); a whole number from 1 to 10,000. ``None``
        (default): one pass, and on DuckDB,
        if the engine runs out of memory, 16 then 128 partitions (see Notes).
        Ignored by ``backend="pandas"``.
    time_unit : {"s", "ms", "us", "ns"}, optional
        The unit of an integer time column (time since 1970-01-01 UTC); GA4's
        ``event_timestamp`` is ``"us"``. Nanoseconds are floored to microseconds.
    event_col : str, optional
        Event-name column. With ``conversion_events``, a row is a conversion when
        its event name is one of them (``conversion_col`` is then not read), and
        a row that is neither a conversion nor a touch (no channel, or with
        ``touch_events`` a name not among them) is counted as "other events
        ignored", apart from touches with a missing channel. Default
        ``"event_name"`` when ``conversion_events`` is given.
    conversion_events : list of str, optional
        Names of the conversion events (e.g. ``["purchase"]``).
    touch_events : list of str, optional
        Names of the touch events (e.g. ``["session_start"]``); without it every
        non-conversion row with a channel is a touch.
    type_col : str, optional
        Touch-type column (``click``, ``view`` or ``impression``, ``offline``, or
        any other name; compared case-insensitively; missing means ``click``).
        Without it every touch is a ``click``. Kept in the touch table
        (``touch_type``) and used by a per-type ``lookback_days``.
    include_views : bool, default True
        ``False`` leaves view touches out of the journeys (counted as "views
        ignored"), for models that should credit clicks only.
    offline : DataFrame, file path or ibis.Table, optional
        Offline touches (store visits, calls, fairs): a second table with a
        customer id (``offline_user_col``), ``time_col``, ``channel_col`` and
        optionally ``type_col`` (default type ``offline``). Its ids go through the
        identity map like the log's, so a customer id mapped to a person joins
        that person's journeys. Its rows are touches, never conversions.
    offline_user_col : str, optional
        Customer-id column of ``offline`` (default: ``user_col``).
    reset_at_conversion : bool, default True
        ``True``: a journey ends at each conversion and the next starts empty, so
        each touch is on one path. ``False``: each conversion's path keeps every
        touch of the person inside its lookback window, before earlier conversions
        too (GA4's conversion paths), and ``ej.repeated_touches`` counts the touches
        that are on more than one path (see the module docstring). The default
        keeps journeys apart, which the data-driven models (Markov, Shapley) assume:
        with ``False`` the same touch is evidence for several conversions.

    Returns
    -------
    EventJourneys
        ``.journeys`` (the path table, with ``removed``), ``.touches()``,
        ``.journey_paths()`` (with times), ``.touch_table`` (in the engine).

    Raises
    ------
    InputError
        Missing columns, unsupported column types, an ambiguous identity map,
        impossible parameters, no journeys left, or (``invalid="raise"``) bad events.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "user_id":   ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-06",
    ...                                  "2024-01-02", "2024-01-03"]),
    ...     "channel":   ["email", "search", None, "search", "display"],
    ...     "conversion": [0, 0, 1, 0, 0]})
    >>> ej = build_journeys(ev)
    >>> ej.journeys.to_frame()
                 path  total_conversions  total_null
    0  email > search                1.0         0.0
    1  search > display              0.0         1.0

    Notes
    -----
    With ``reset_at_conversion=False`` the paths come from one join of each
    touch with the person's later conversions (of the same inactivity segment),
    so the cost grows with the number of (touch, later conversion) pairs per
    person, as the paths themselves do.

    The engine sorts each person's events once (window functions over
    person, ordered by time), so the cost is that of a partitioned sort:
    O(n log n) for n events, spilling to disk when needed. Only the distinct
    paths come back to Python.

    One step does not spill on DuckDB: collecting each journey's channels into
    a list (DuckDB keeps list aggregate states in memory; see duckdb/duckdb-web
    pull request 1810). With ``partitions=k`` the people are split by a hash of
    their id (on DuckDB the cleaned events are written once to Parquet files,
    one folder per partition) and each part is summarised in turn, so that step
    needs about 1/k of the memory; the result is identical. By default DuckDB
    tries one pass and falls back to 16, then 128 partitions when it hits its
    ``memory_limit``; ``ej.partitions`` says how many were used. Measured in
    ``benchmarks/events``: a 50-million-event log (2.6 GiB as a pandas frame)
    builds with ``memory_limit='500MB'`` inside a process capped at 1.5 GiB.
    """

    lookback = Lookback(lookback_days)
    _check_params(None, max_touches, inactivity_days, invalid)
    if not isinstance(reset_at_conversion, bool | np.bool_):
        raise InputError("reset_at_conversion must be True or False", value=reset_at_conversion)
    reset_at_conversion = bool(reset_at_conversion)
    _check_identity_cols(identity_cols)
    event_col, conversion_events, touch_events = _event_names(
        event_col, conversion_events, touch_events
    )
    if time_unit is not None and time_unit not in ("s", "ms", "us", "ns"):
        raise InputError("time_unit must be 's', 'ms', 'us' or 'ns'", value=time_unit)
    if partitions is not None and not _whole(partitions, PARTITIONS_LIMIT):
        raise InputError(
            f"partitions must be a whole number from 1 to {PARTITIONS_LIMIT:,} or None",
            value=partitions,
        )
    if isinstance(backend, str) and backend == "pandas":
        return build_journeys_pandas(
            events,
            user_col=user_col,
            time_col=time_col,
            channel_col=channel_col,
            conversion_col=conversion_col,
            value_col=value_col,
            lookback_days=lookback_days,
            max_touches=max_touches,
            inactivity_days=inactivity_days,
            identity_map=identity_map,
            identity_cols=identity_cols,
            invalid=invalid,
            time_unit=time_unit,
            event_col=event_col,
            conversion_events=conversion_events,
            touch_events=touch_events,
            type_col=type_col,
            include_views=include_views,
            offline=offline,
            offline_user_col=offline_user_col,
            reset_at_conversion=reset_at_conversion,
        )

    conv_col = None if event_col is not None else conversion_col
    columns = (user_col, time_col, channel_col, conv_col, value_col, event_col, type_col)
    eng.check_frame(events, "DataFrame", columns)
    engine = None if backend is None else eng.connect(backend)
    table, engine, source = eng.source_table(
        events,
        engine,
        file_format=file_format,
        text_cols=tuple(c for c in (user_col, channel_col, event_col, type_col) if c),
        time_col=time_col if time_unit is None else None,
    )
    eng.check_columns(
        table,
        {
            "user": user_col,
            "time": time_col,
            "channel": channel_col,
            "conversion": conv_col,
            "value": value_col,
            "event name": event_col,
            "touch type": type_col,
        },
        source,
    )
    eng.check_nested(engine, table, (user_col, channel_col, event_col, type_col), source)
    for role, col in (("conversion", conv_col), ("value", value_col)):
        if col is not None and table.schema()[col].is_string():
            eng.check_number_text(engine, table, col, role, source)
    norm_options = dict(
        user_col=user_col,
        time_col=time_col,
        channel_col=channel_col,
        conversion_col=conv_col,
        value_col=value_col,
        source=source,
        time_unit=time_unit,
        event_col=event_col,
        conversion_events=conversion_events,
        touch_events=touch_events,
        type_col=type_col,
        include_views=include_views,
    )
    norm = _normalize_or_empty(engine, table, norm_options, source)
    removed: list[Removal] = []
    with eng.csv_errors(engine):
        groups = _groups(engine, norm)
    _check_values_and_channels(groups, table, norm_options, channel_col, value_col, source)
    _check_offsets(groups, table, norm_options, time_col, source)
    eng.check_integer_times(groups, table, norm_options, time_unit, time_col, source)
    n_events = sum(int(r["touches"]) + int(r["conversions"]) for r in groups)
    if n_events == 0:
        raise InputError("the event log has no events, so no paths", source=source)
    valid = norm.filter(eng.is_valid(norm)).select(*eng.EVENT_COLUMNS)
    if offline is not None:
        off_valid, off_groups = _offline_events(
            offline,
            engine,
            offline_user_col or user_col,
            time_col,
            channel_col,
            type_col,
            time_unit,
            include_views,
        )
        valid = valid.union(off_valid.mutate(ts=off_valid.ts.cast(valid.ts.type())))
        groups = groups + off_groups
        n_events += sum(int(r["touches"]) for r in off_groups)
    lookback.check_types({r["ttype"] for r in groups if r["reason"] is None}, source)
    groups = _by_reason(groups)
    for row in groups:
        if row["reason"] in (eng.OTHER_EVENT, eng.VIEW_IGNORED):
            removed.append(
                Removal(
                    "other events ignored" if row["reason"] == eng.OTHER_EVENT else "views ignored",
                    touches=int(row["touches"]),
                )
            )
    bad = [r for r in groups if r["reason"] in eng.INVALID_REASONS]
    bad.sort(key=lambda r: eng.INVALID_REASONS.index(r["reason"]))
    for row in bad:
        n = int(row["touches"]) + int(row["conversions"])
        if invalid == "raise":
            example = row["example"] if row["reason"] == "unparseable timestamp" else None
            raise InputError(
                f"{n} event(s) with {row['reason']} "
                f"({int(row['conversions'])} of them conversions); pass invalid='drop' "
                "to drop and count them",
                source=source,
                column={"user": user_col, "timestamp": time_col, "channel": channel_col}[
                    row["reason"].split(" ")[-1]
                ],
                value=example,
            )
        removed.append(
            Removal(
                row["reason"],
                touches=int(row["touches"]),
                conversions=float(row["conversions"]),
                value=float(row["value"]) if value_col else 0.0,
            )
        )
    if all(r["reason"] is not None for r in groups):
        _raise_nothing_valid(groups, n_events, user_col, time_col, channel_col, source)
    report = None
    if identity_map is not None:
        ident, devices = _identity_table(identity_map, identity_cols, engine)
        rows = devices.num_rows
        # the map's rows whose device occurs in the log (one join; only with a map)
        dev = engine.register(devices)
        hit = dev.filter(dev.device.isin(valid.person)).agg(n=lambda t: t.count())
        matched = engine.to_arrow(hit).to_pylist()[0]["n"]
        report = identity_report(rows, int(matched or 0), source)
        valid = eng.stitch(valid, ident, engine, source)
    options = dict(
        lookback_days=lookback,
        max_touches=max_touches,
        inactivity_days=inactivity_days,
        reset_at_conversion=reset_at_conversion,
    )
    paths, counts, used = _paths_and_counts(engine, valid, options, partitions, source)
    if counts["dup_touches"] + counts["dup_conv"] > 0:
        removed.append(
            Removal(
                "duplicate events",
                touches=int(counts["dup_touches"]),
                conversions=float(counts["dup_conv"]),
                value=float(counts["dup_value"]) if value_col else 0.0,
            )
        )
    removed.extend(_journey_removals(counts, lookback, max_touches, value_col is not None))
    # the touch-level table stays lazy: the path table does not need it
    a = eng.assign_journeys(valid.distinct(), **options)
    kept = a.filter(a.keep)
    touch_table = kept.select(
        person="person",
        journey="journey",
        position="position",
        length="length",
        channel="channel",
        days_to_conversion="days",
        converted="converted",
        value="jvalue",
        touch_type="ttype",
    )
    journeys = _journeys_from_arrow(paths, value_col is not None, tuple(removed), source)
    warn_dropped_conversions(journeys, user_col)
    return EventJourneys(
        journeys,
        touch_table=touch_table,
        engine=engine,
        backend=engine.name,
        has_value=value_col is not None,
        partitions=used,
        identity=report,
        repeated_touches=int(counts.get("repeated") or 0),
    )


#: Partition counts tried in turn when ``partitions=None`` and the engine runs out of memory.
AUTO_PARTITIONS = (1, 16, 128)


def _paths_and_counts(engine, valid, options, partitions, source):
    """The path table (Arrow), the removal counts and the number of partitions used.

    With ``partitions=None`` the people are processed in one pass; if the engine
    runs out of memory (DuckDB under its ``memory_limit``), the work is redone
    in 16, then 128 hash partitions of the people (see :func:`_summarize`).
    """

    tries = AUTO_PARTITIONS if partitions is None else (int(partitions),)
    for k in tries:
        try:
            paths, counts = _summarize(engine, valid, options, k)
            return paths, counts, k
        except Exception as exc:
            if not eng.is_out_of_memory(exc):
                raise
            if partitions is None and k != tries[-1]:
                continue
            raise PathcreditError(
                f"{source}: the {engine.name} engine ran out of memory building journeys "
                f"in {k} partition(s) of the people ({str(exc).splitlines()[0]}); raise "
                "its memory limit or pass a larger partitions="
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _summarize(engine, valid, options, partitions):
    """Path table and removal counts of the valid events, one hash partition of the people
    at a time.

    A journey never spans two partitions, so the counts add up and the path
    tables merge path by path into exactly the one-pass result, while the
    engine holds one partition's journeys at a time. On DuckDB the events are
    first written once to Parquet files split by partition (in DuckDB's
    ``temp_directory`` when set, else the system's), so each partition reads
    only its own rows; the partial path tables stay in DuckDB until merged.
    """

    counts: dict[str, float] = {}

    def summarize(part, consume):
        summary = engine.materialize(eng.journey_summary(part, **options))
        try:
            row = engine.to_arrow(_removal_counts(summary, options["max_touches"])).to_pylist()[0]
            for key, v in row.items():
                counts[key] = counts.get(key, 0) + (0 if v is None else v)
            return consume(eng.path_table(summary))
        finally:
            engine.release(summary)

    def to_paths(table):
        return engine.to_arrow(eng.final_paths(table))

    if partitions == 1:
        return summarize(valid, to_paths), counts
    if engine.name != "duckdb":
        import pyarrow as pa

        parts = [
            summarize(eng.in_partition(valid, i, partitions), engine.to_arrow)
            for i in range(partitions)
        ]
        merged = engine.register(pa.concat_tables(parts))
        return engine.to_arrow(eng.merge_path_tables(merged)), counts
    store = []

    def keep(paths):
        if store:
            engine.insert(store[0], paths)
        else:
            store.append(engine.materialize(paths))

    with eng.partition_files(engine, valid, partitions) as files:
        try:
            for part in files:
                summarize(part, keep)
            if not store:  # no valid event at all: the one-pass result (empty) says so
                return summarize(valid.limit(0), to_paths), counts
            return engine.to_arrow(eng.merge_path_tables(store[0])), counts
        finally:
            for table in store:
                engine.release(table)


def _check_values_and_channels(groups, table, norm_options, channel_col, value_col, source):
    """Refuse an infinite or negative conversion value and a channel holding the path
    separator (which would read back as two channels), naming the first such row."""

    if value_col is not None and sum(int(r["bad_value"] or 0) for r in groups):
        row, ev = eng.first_bad_row(table, lambda n: n.val.isinf() | (n.val < 0), norm_options)
        raise InputError(
            "a conversion value must be finite and >= 0",
            source=source,
            column=value_col,
            row=row,
            value=None if ev is None else ev["val"],
        )
    if sum(int(r["bad_channel"] or 0) for r in groups):
        row, ev = eng.first_bad_row(table, lambda n: n.channel.contains(eng.PATH_SEP), norm_options)
        raise InputError(
            f"a channel name may not contain the path separator {eng.PATH_SEP!r} "
            "(the path table would read it back as two channels); rename the channel",
            source=source,
            column=channel_col,
            row=row,
            value=None if ev is None else ev["channel"],
        )


def _raise_nothing_valid(bad, n_events, user_col, time_col, channel_col, source):
    """Every event is invalid: name the most common reason, its column and an example."""
    top = max(bad, key=lambda r: int(r["touches"]) + int(r["conversions"]))
    n = int(top["touches"]) + int(top["conversions"])
    col = {"user": user_col, "timestamp": time_col, "channel": channel_col}.get(
        top["reason"].split(" ")[-1]
    )
    example = top["example"] if top["reason"] == "unparseable timestamp" else None
    raise InputError(
        f"no valid event ({n} of the {n_events} events: {top['reason']})"
        + (" (ISO 8601 date-times are expected)" if example is not None else ""),
        source=source,
        column=col,
        value=example,
    )


def _event_names(event_col, conversion_events, touch_events):
    """Check the event-name options; ``event_col`` defaults to ``"event_name"``."""

    def names(v, what):
        if v is None:
            return None
        if isinstance(v, str):
            v = [v]
        v = list(v)
        if not v or not all(isinstance(x, str) and x.strip() for x in v):
            raise InputError(f"{what} must be a non-empty list of event names", value=v)
        return sorted({x.strip() for x in v})

    conversion_events = names(conversion_events, "conversion_events")
    touch_events = names(touch_events, "touch_events")
    if conversion_events is None:
        if event_col is not None or touch_events is not None:
            raise InputError(
                "event_col and touch_events need conversion_events: name the events that "
                "are conversions (e.g. conversion_events=['purchase'], CLI --conversion-event)"
            )
        return None, None, None
    return event_col or "event_name", conversion_events, touch_events


def _normalize_or_empty(engine, table, norm_options, source):
    """:func:`_engine.normalize`, saying "no events" for a header-only file."""

    try:
        return eng.normalize(table, **norm_options)
    except InputError:
        # a header-only CSV has text columns: say that the log is empty instead
        if engine.to_arrow(table.limit(1)).num_rows == 0:
            raise InputError(
                "the event log has no events (a header and no rows), so no paths", source=source
            ) from None
        raise


def _groups(engine, norm) -> list[dict]:
    """One pass over the input: per (reason, touch type), the counts and the checks.

    The (usually empty) bad-event counts, the checks of values, channels and time
    offsets; the cleaned events are not stored: the journey query reads the input again.
    """

    return engine.to_arrow(
        norm.group_by(["reason", "ttype"]).agg(
            touches=(1 - norm.cv).sum(),
            conversions=norm.cv.sum(),
            value=norm.val.sum(),
            example=norm.raw_ts.max(),
            bad_value=(norm.val.isinf() | (norm.val < 0)).cast("int64").sum(),
            bad_channel=norm.channel.contains(eng.PATH_SEP).cast("int64").sum(),
            n_offset=(norm.tz == 1).cast("int64").sum(),
            n_naive=(norm.tz == 0).cast("int64").sum(),
        )
    ).to_pylist()


def _by_reason(groups) -> list[dict]:
    """The rows of :func:`_groups` added up per reason (touch types merged)."""
    out: dict = {}
    for r in groups:
        acc = out.setdefault(r["reason"], {"reason": r["reason"], "example": None})
        for key in ("touches", "conversions", "value"):
            acc[key] = acc.get(key, 0) + (r[key] or 0)
        if r["example"] is not None and (acc["example"] is None or r["example"] > acc["example"]):
            acc["example"] = r["example"]
    return list(out.values())


def _check_offsets(groups, table, norm_options, time_col, source):
    """Refuse a time column that mixes strings with a UTC offset and strings without
    (the naive ones have no instant): the same error on every backend."""

    n_off = sum(int(r["n_offset"] or 0) for r in groups)
    n_naive = sum(int(r["n_naive"] or 0) for r in groups)
    if n_off and n_naive:
        minority = 1 if n_off <= n_naive else 0
        row, ev = eng.first_bad_row(table, lambda n: n.tz == minority, norm_options)
        raise InputError(
            f"the time column mixes times with a UTC offset ({n_off}) and times without "
            f"({n_naive}), which name no instant; write every time with an offset (or Z), "
            "or every time in UTC without one",
            source=source,
            column=time_col,
            row=row,
            value=None if ev is None else ev["raw_ts"],
        )


def _offline_events(
    offline, engine, user_col, time_col, channel_col, type_col, time_unit, include_views
):
    """The valid offline touches (same columns as the log's) and their :func:`_groups` rows."""

    eng.check_frame(offline, "offline touches", (user_col, time_col, channel_col, type_col))
    table, _, name = eng.source_table(
        offline,
        engine,
        text_cols=tuple(c for c in (user_col, channel_col, type_col) if c),
        time_col=time_col if time_unit is None else None,
    )
    if name in ("DataFrame", "polars DataFrame"):
        name = f"offline touches ({name})"
    eng.check_columns(
        table, {"offline user": user_col, "time": time_col, "channel": channel_col}, name
    )
    options = dict(
        user_col=user_col,
        time_col=time_col,
        channel_col=channel_col,
        conversion_col=None,
        value_col=None,
        source=name,
        time_unit=time_unit,
        type_col=type_col,
        include_views=include_views,
        offline=True,
    )
    norm = _normalize_or_empty(engine, table, options, name)
    with eng.csv_errors(engine):
        groups = _groups(engine, norm)
    _check_values_and_channels(groups, table, options, channel_col, None, name)
    _check_offsets(groups, table, options, time_col, name)
    eng.check_integer_times(groups, table, options, time_unit, time_col, name)
    return norm.filter(eng.is_valid(norm)).select(*eng.EVENT_COLUMNS), groups


#: Largest ``max_touches`` (2^31 - 1: longer than any path an engine can hold in a list).
MAX_TOUCHES_LIMIT = 2**31 - 1
#: Largest ``partitions``: each partition is one pass over the cleaned events.
PARTITIONS_LIMIT = 10_000


def _whole(v, limit: int) -> bool:
    """Whether ``v`` is a whole number from 1 to ``limit`` (booleans are not numbers here)."""
    return bool(
        not isinstance(v, bool | np.bool_) and isinstance(v, int | np.integer) and 1 <= v <= limit
    )


def _check_params(lookback_days, max_touches, inactivity_days, invalid):
    for name, v in (("lookback_days", lookback_days), ("inactivity_days", inactivity_days)):
        if v is not None and (not isinstance(v, int | float) or not math.isfinite(v) or v < 0):
            raise InputError(f"{name} must be a number of days >= 0 or None", value=v)
    if max_touches is not None and not _whole(max_touches, MAX_TOUCHES_LIMIT):
        raise InputError(
            f"max_touches must be a whole number from 1 to {MAX_TOUCHES_LIMIT:,} or None",
            value=max_touches,
        )
    if invalid not in ("drop", "raise"):
        raise InputError("invalid must be 'drop' or 'raise'", value=invalid)


def _check_identity_cols(identity_cols) -> None:
    """``identity_cols`` must be two different column names (device, person)."""
    cols = identity_cols
    if (
        isinstance(cols, str)
        or not isinstance(cols, tuple | list)
        or len(cols) != 2
        or not all(isinstance(c, str) and c for c in cols)
    ):
        raise InputError(
            "identity_cols must be two column names: (device id, person id)", value=cols
        )
    if cols[0] == cols[1]:
        raise InputError(
            "identity_cols names the same column twice; the identity map needs a device "
            "id column and a different person id column",
            column=cols[0],
        )


def _identity_table(identity_map, identity_cols, engine):
    """The identity map as an Ibis table with columns ``device, person_id``, chains
    resolved, and the device ids of its distinct (device, person) rows (Arrow)."""
    import pandas as pd
    import pyarrow as pa

    dev, pid = identity_cols
    if isinstance(identity_map, Mapping):
        identity_map = pd.DataFrame(
            {dev: [str(k) for k in identity_map], pid: [str(v) for v in identity_map.values()]}
        )
    eng.check_frame(identity_map, "identity map", identity_cols)
    table, _, name = eng.source_table(identity_map, engine, text_cols=identity_cols)
    if name in ("DataFrame", "polars DataFrame"):
        name = f"identity map ({name})"
    eng.check_columns(table, {"identity device": dev, "identity person": pid}, name)
    pairs = engine.to_arrow(
        table.select(
            device=eng.strip_space(table[dev].cast("string")),
            person_id=eng.strip_space(table[pid].cast("string")),
        )
        .filter(lambda t: t.device.notnull() & t.person_id.notnull())
        .distinct()
    )
    device, person = resolve_identity(
        pairs.column("device").to_numpy(zero_copy_only=False),
        pairs.column("person_id").to_numpy(zero_copy_only=False),
        name,
    )
    resolved = pa.table(
        {"device": pa.array(device, pa.string()), "person_id": pa.array(person, pa.string())}
    )
    return engine.register(resolved), pairs.select(["device"])


def _removal_counts(summary, max_touches):
    """Removal counts of a :func:`~._engine.journey_summary` table, and ``repeated``: the
    touches on a path beyond each touch's first (0 unless ``reset_at_conversion=False``).

    Touches are counted in their own journey (``n_home``, ``n_kept_home``): a touch
    outside its own journey's window, or cut there by ``max_touches``, is on no path
    (later conversions are further away, and their paths end with later touches), so
    it is counted once; one inside is on its own journey's path.
    """
    import ibis

    s = summary
    lost = (s.n_touch > 0) & (s.n_kept == 0)
    # a journey of copies only has converted == 0: it is counted as duplicates
    no_touch = (s.n_touch == 0) & (s.converted == 1)
    out = dict(
        nt_paths=no_touch.cast("int64").sum(),
        nt_conv=no_touch.ifelse(s.converted, 0).sum(),
        nt_value=no_touch.ifelse(s.value, 0.0).sum(),
        lb_touches=(s.n_home - s.n_kept_home).sum(),
        lb_paths=lost.cast("int64").sum(),
        lb_conv=lost.ifelse(s.converted, 0).sum(),
        lb_value=lost.ifelse(s.value, 0.0).sum(),
        lb_nulls=lost.ifelse(1 - s.converted, 0).sum(),
        dup_touches=s.dup_touches.sum(),
        dup_conv=s.dup_conv.sum(),
        dup_value=s.dup_value.sum(),
    )
    if max_touches is None:
        out["repeated"] = (s.n_kept - s.n_kept_home).sum()
    else:
        m = int(max_touches)
        out["mt_touches"] = (s.n_kept_home - ibis.least(s.n_kept_home, m)).sum()
        out["repeated"] = (ibis.least(s.n_kept, m) - ibis.least(s.n_kept_home, m)).sum()
    return summary.agg(**out)


def _journey_removals(c, lookback, max_touches, has_value) -> list[Removal]:
    c = {k: (0 if v is None else v) for k, v in c.items()}
    out = []
    if c["nt_paths"]:
        out.append(
            Removal(
                "conversions with no touch",
                paths=int(c["nt_paths"]),
                conversions=float(c["nt_conv"]),
                value=float(c["nt_value"]) if has_value else 0.0,
            )
        )
    if c["lb_touches"] or c["lb_paths"]:
        out.append(
            Removal(
                str(lookback.label),
                touches=int(c["lb_touches"]),
                paths=int(c["lb_paths"]),
                conversions=float(c["lb_conv"]),
                value=float(c["lb_value"]) if has_value else 0.0,
                nulls=float(c["lb_nulls"]),
            )
        )
    if max_touches is not None and c.get("mt_touches"):
        out.append(Removal(f"max_touches={max_touches}", touches=int(c["mt_touches"])))
    return out


def _journeys_from_arrow(paths, has_value, removed, source) -> Journeys:
    """CSR journeys from an Arrow table ``path (list<string>), conversions, value, journeys``."""
    import pyarrow as pa

    if paths.num_rows == 0:
        raise InputError("no journey has a touch left (check the lookback window)", source=source)
    col = paths.column("path").combine_chunks()
    if isinstance(col, pa.ChunkedArray):  # pragma: no cover - older pyarrow
        col = col.chunk(0)
    offsets = np.asarray(col.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(col.flatten())
    names = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    channels = names[order]
    codes = rank[np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    conv = np.asarray(paths.column("conversions").to_numpy(), dtype=np.float64)
    n = np.asarray(paths.column("journeys").to_numpy(), dtype=np.float64)

    value = path_values(paths) if has_value else None
    # the engine grouped by path: rows are distinct already, no merge pass needed
    return Journeys(
        channels.tolist(),
        codes,
        offsets,
        conv,
        value,
        n - conv,
        removed=removed,
        source=source,
        merge=False,
    )


def read_events_as_journeys(path, **column_options) -> Journeys:
    """Read an event log file and return its path table (for ``pathcredit attribute --events``).

    ``column_options`` are passed to :func:`build_journeys` (``user_col``,
    ``time_col``, ``channel_col``, ``conversion_col``, ``value_col``,
    ``lookback_days``, ``max_touches``, ``inactivity_days``, ``identity_map``...).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> ev = pd.DataFrame({"user_id": ["a", "a"], "timestamp": ["2024-01-01", "2024-01-02"],
    ...                    "channel": ["email", None], "conversion": [0, 1]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ev.to_csv(os.path.join(d, "ev.csv"), index=False)
    ...     read_events_as_journeys(os.path.join(d, "ev.csv")).path_strings()
    ['email']
    """
    return build_journeys(path, **column_options).journeys
