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
* **Ties.** A touch at the exact time of a conversion counts as *before* it (it
  belongs to the journey the conversion ends). Touches at the same time are
  ordered by channel name, so paths are deterministic.
* **Conversion rows carry no touch**: their channel is ignored. Log the
  touch that led to a conversion as its own row (same time is fine, see above).
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
  and a cycle (``a -> b``, ``b -> a``), are errors.
* **Bad events.** Rows with a missing user, a missing or unparseable timestamp,
  or (touch rows) a missing channel are dropped and counted
  (``invalid="raise"`` raises :class:`~pathcredit.InputError` instead). A
  missing conversion flag (NULL, or NaN such as a CSV ``nan``) means "not a
  conversion"; a missing conversion value (NULL or NaN) counts as 0.
* **Refused inputs** (:class:`~pathcredit.InputError` naming the file, column,
  row and value): a conversion value that is infinite or negative; a channel
  containing the path separator ``>`` (the path table would read it back as
  two channels: rename it); a column of mixed types (text and timestamps,
  integers and text); on the pandas backend, time strings with different
  time-zone offsets; a CSV header that repeats a column name; an empty file,
  a log with no events, or one with no valid event.
* **Duplicates.** Events identical in person, time, channel, conversion flag
  and value (after stitching) are kept once; the copies are counted. Every
  backend orders a person's events by (time, flag, channel, value), which is a
  total order once copies are set aside, and a copy always sits in its
  original's journey, so the engines agree whatever order they give ties.
* **Determinism.** Each path's value is the sum of its journeys' values in
  sorted order, so the same input gives the same bits on every run and with
  any ``partitions``.
* **Times** are handled at microsecond resolution; days are
  ``microseconds / 86 400 000 000``. Time-zone-aware inputs are compared as
  instants; on Spark set ``spark.sql.session.timeZone`` to ``UTC`` so naive
  timestamps are not shifted by daylight saving.

Everything dropped is recorded as :class:`~pathcredit.journeys.Removal` records
in ``journeys.removed`` (``touches`` are touch events, ``paths`` are journeys,
``conversions``/``value``/``nulls`` what those journeys carried).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..exceptions import InputError, PathcreditError
from ..reports import REPORT_COLUMNS, time_lag_report  # noqa: F401  (re-exported)
from ..reports import journey_length_report as path_length_report  # the events' name
from ._core import Journeys, Removal
from ._event_journeys import TOUCH_COLUMNS, EventJourneys, resolve_identity

__all__ = [
    "EventJourneys",
    "build_journeys",
    "read_events_as_journeys",
    "time_lag_report",
    "path_length_report",
    "TOUCH_COLUMNS",
]


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
    lookback_days : float or None, default 30
        Drop touches more than this many days before the end of their journey.
        ``None`` keeps every touch.
    max_touches : int, optional
        Keep only the last N touches of each journey (after the lookback).
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
    backend : None, "duckdb", "pandas", Ibis backend or SparkSession
        Where to compute. ``None``: the backend of an Ibis table input, else a
        fresh in-memory DuckDB. ``"pandas"``: the reference implementation.
    file_format : {"parquet", "csv"}, optional
        File format when it cannot be told from the name.
    partitions : int, optional
        Build the path table in this many hash partitions of the people, one
        after the other, so the engine holds one partition's journeys at a time
        (the result is the same). ``None`` (default): one pass, and on DuckDB,
        if the engine runs out of memory, 16 then 128 partitions (see Notes).
        Ignored by ``backend="pandas"``.

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
    _check_params(lookback_days, max_touches, inactivity_days, invalid)
    if partitions is not None and (
        isinstance(partitions, bool)
        or not isinstance(partitions, int | np.integer)
        or partitions < 1
    ):
        raise InputError("partitions must be a whole number >= 1 or None", value=partitions)
    if isinstance(backend, str) and backend == "pandas":
        from ._events_pandas import build_journeys_pandas

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
        )
    from . import _engine as eng

    columns = (user_col, time_col, channel_col, conversion_col, value_col)
    eng.check_frame(events, "DataFrame", columns)
    engine = None if backend is None else eng.connect(backend)
    table, engine, source = eng.source_table(events, engine, file_format=file_format)
    eng.check_columns(
        table,
        {
            "user": user_col,
            "time": time_col,
            "channel": channel_col,
            "conversion": conversion_col,
            "value": value_col,
        },
        source,
    )
    norm_options = dict(
        user_col=user_col,
        time_col=time_col,
        channel_col=channel_col,
        conversion_col=conversion_col,
        value_col=value_col,
        source=source,
    )
    try:
        norm = eng.normalize(table, **norm_options)
    except InputError:
        # a header-only CSV has text columns: say that the log is empty instead
        if engine.to_arrow(table.limit(1)).num_rows == 0:
            raise InputError("the event log has no events", source=source) from None
        raise
    removed: list[Removal] = []
    # one pass over the input for the (usually empty) bad-event counts and the
    # checks of values and channels; the cleaned events are not stored: the
    # journey query below reads the input again
    checks = dict(
        bad_value=(norm.val.isinf() | (norm.val < 0)).cast("int64").sum(),
        bad_channel=norm.channel.contains(eng.PATH_SEP).cast("int64").sum(),
    )
    groups = engine.to_arrow(
        norm.group_by("reason").agg(
            touches=(1 - norm.cv).sum(),
            conversions=norm.cv.sum(),
            value=norm.val.sum(),
            example=norm.raw_ts.max(),
            **checks,
        )
    ).to_pylist()
    _check_values_and_channels(groups, table, norm_options, channel_col, value_col, source)
    n_events = sum(int(r["touches"]) + int(r["conversions"]) for r in groups)
    if n_events == 0:
        raise InputError("the event log has no events", source=source)
    bad = [r for r in groups if r["reason"] is not None]
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
        _raise_nothing_valid(bad, n_events, user_col, time_col, channel_col, source)
    valid = norm.filter(eng.is_valid(norm)).select("person", "ts", "channel", "cv", "val")
    if identity_map is not None:
        ident = _identity_table(identity_map, identity_cols, engine)
        valid = eng.stitch(valid, ident, engine, source)
    options = dict(
        lookback_days=lookback_days, max_touches=max_touches, inactivity_days=inactivity_days
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
    removed.extend(_journey_removals(counts, lookback_days, max_touches, value_col is not None))
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
    )
    journeys = _journeys_from_arrow(paths, value_col is not None, tuple(removed), source)
    return EventJourneys(
        journeys,
        touch_table=touch_table,
        engine=engine,
        backend=engine.name,
        has_value=value_col is not None,
        partitions=used,
    )


#: Partition counts tried in turn when ``partitions=None`` and the engine runs out of memory.
AUTO_PARTITIONS = (1, 16, 128)


def _paths_and_counts(engine, valid, options, partitions, source):
    """The path table (Arrow), the removal counts and the number of partitions used.

    With ``partitions=None`` the people are processed in one pass; if the engine
    runs out of memory (DuckDB under its ``memory_limit``), the work is redone
    in 16, then 128 hash partitions of the people (see :func:`_summarize`).
    """
    from . import _engine as eng

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
    from . import _engine as eng

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
    from . import _engine as eng

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
    col = {"user": user_col, "timestamp": time_col, "channel": channel_col}[
        top["reason"].split(" ")[-1]
    ]
    example = top["example"] if top["reason"] == "unparseable timestamp" else None
    raise InputError(
        f"no valid event ({n} of the {n_events} events: {top['reason']})"
        + (" (ISO 8601 date-times are expected)" if example is not None else ""),
        source=source,
        column=col,
        value=example,
    )


def _check_params(lookback_days, max_touches, inactivity_days, invalid):
    for name, v in (("lookback_days", lookback_days), ("inactivity_days", inactivity_days)):
        if v is not None and (not isinstance(v, int | float) or not math.isfinite(v) or v < 0):
            raise InputError(f"{name} must be a number of days >= 0 or None", value=v)
    if max_touches is not None and (
        not isinstance(max_touches, int | np.integer) or max_touches < 1
    ):
        raise InputError("max_touches must be a whole number >= 1 or None", value=max_touches)
    if invalid not in ("drop", "raise"):
        raise InputError("invalid must be 'drop' or 'raise'", value=invalid)


def _identity_table(identity_map, identity_cols, engine):
    """The identity map as an Ibis table with columns ``device, person_id``, chains resolved."""
    import pandas as pd
    import pyarrow as pa

    from . import _engine as eng

    dev, pid = identity_cols
    if isinstance(identity_map, Mapping):
        identity_map = pd.DataFrame(
            {dev: [str(k) for k in identity_map], pid: [str(v) for v in identity_map.values()]}
        )
    eng.check_frame(identity_map, "identity map", identity_cols)
    table, _, name = eng.source_table(identity_map, engine)
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
    return engine.register(resolved)


def _removal_counts(summary, max_touches):
    s = summary
    lost = (s.n_touch > 0) & (s.n_kept == 0)
    # a journey of copies only has converted == 0: it is counted as duplicates
    no_touch = (s.n_touch == 0) & (s.converted == 1)
    out = dict(
        nt_paths=no_touch.cast("int64").sum(),
        nt_conv=no_touch.ifelse(s.converted, 0).sum(),
        nt_value=no_touch.ifelse(s.value, 0.0).sum(),
        lb_touches=(s.n_touch - s.n_kept).sum(),
        lb_paths=lost.cast("int64").sum(),
        lb_conv=lost.ifelse(s.converted, 0).sum(),
        lb_value=lost.ifelse(s.value, 0.0).sum(),
        lb_nulls=lost.ifelse(1 - s.converted, 0).sum(),
        dup_touches=s.dup_touches.sum(),
        dup_conv=s.dup_conv.sum(),
        dup_value=s.dup_value.sum(),
    )
    if max_touches is not None:
        import ibis

        out["mt_touches"] = (s.n_kept - ibis.least(s.n_kept, int(max_touches))).sum()
    return summary.agg(**out)


def _journey_removals(c, lookback_days, max_touches, has_value) -> list[Removal]:
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
    if c["lb_touches"]:
        out.append(
            Removal(
                f"lookback_days={lookback_days:g}",
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
    from ._engine import path_values

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
