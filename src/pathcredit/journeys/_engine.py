"""Ibis plumbing for event logs: backends, inputs, and the journey-building expressions.

Everything here builds Ibis expressions that run unchanged on DuckDB and on
PySpark (and, as far as the operations are supported, on other Ibis backends).
Results come back as Arrow tables: never through Ibis's pandas conversion, which
emits deprecation warnings with pandas 3.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ._event_journeys import (
    DEFAULT_TOUCH_TYPE,
    OFFLINE_TOUCH_TYPE,
    TIME_UNITS,
    TOUCH_TYPE_ALIASES,
    Lookback,
    integer_time_bounds,
    integer_time_error,
)

#: Microseconds per day: times are compared and converted at microsecond resolution.
US_PER_DAY = 86_400_000_000.0

#: Reasons an event is invalid, in the order they are checked.
INVALID_REASONS = (
    "missing user",
    "missing timestamp",
    "unparseable timestamp",
    "missing channel",
)


@dataclass
class Engine:
    """A connected Ibis backend and how to pull results out of it."""

    con: Any  # an Ibis backend (DuckDB, PySpark...): duck-typed
    name: str
    #: ``(files, delimiter)`` of the CSV inputs read on this engine (see :func:`csv_errors`)
    csv_files: list = dataclass_field(default_factory=list)

    def to_arrow(self, expr):
        """Execute ``expr`` and return a ``pyarrow.Table``."""
        if self.name == "pyspark":
            # Spark's native Arrow path; Ibis would go through toPandas.
            session = self.con._session
            return session.sql(self.con.compile(expr)).toArrow()
        return self.con.to_pyarrow(expr)

    def register(self, table, name: str | None = None):
        """Make an Arrow table available as an Ibis table on this backend."""
        import ibis

        if self.name == "pyspark":
            from ibis import util

            name = name or util.gen_name("pathcredit_events")
            session = self.con._session
            session.createDataFrame(table).createOrReplaceTempView(name)
            return self.con.table(name)
        if self.name == "duckdb":
            return self.con.create_table(name or _gen_name(), table, temp=True)
        return ibis.memtable(table)

    def materialize(self, expr):
        """Store an intermediate result when the backend allows it (DuckDB); else keep lazy."""
        if self.name == "duckdb":
            return self.con.create_table(_gen_name(), expr, temp=True)
        return expr

    def release(self, table) -> None:
        """Drop a table made by :meth:`materialize` (a no-op for lazy expressions)."""
        if self.name == "duckdb":
            self.con.raw_sql(f"DROP TABLE IF EXISTS {sql_name(table)}")

    def insert(self, table, expr) -> None:
        """Append the rows of ``expr`` to a table made by :meth:`materialize` (DuckDB)."""
        # raw SQL: Ibis 12's ``insert`` does not find temporary tables
        self.con.raw_sql(f"INSERT INTO {sql_name(table)} BY NAME {self.con.compile(expr)}")


def sql_name(table) -> str:
    """The quoted, fully qualified SQL name of a stored Ibis table."""
    op = table.op()
    parts = [op.namespace.catalog, op.namespace.database, op.name]
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts if p)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is the engine saying it ran out of memory (DuckDB's memory_limit)."""
    return type(exc).__name__ == "OutOfMemoryException"


def _gen_name() -> str:
    from ibis import util

    return util.gen_name("pathcredit")


def spark_session():
    """The active SparkSession, or a new local one with the session time zone UTC (so times
    read as on DuckDB: never in the machine's zone)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "backend 'spark' needs PySpark (and Java 17): pip install 'pathcredit[spark]'"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    return (
        SparkSession.builder.master("local[*]")
        .appName("pathcredit")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def connect(backend) -> Engine:
    """An :class:`Engine` from ``None``/``"duckdb"``, ``"spark"`` (the active SparkSession or
    a local one), an Ibis backend or a SparkSession."""
    import ibis

    if backend is None or (isinstance(backend, str) and backend == "duckdb"):
        con = ibis.duckdb.connect()
        # DuckDB draws its progress bar on stdout, which would corrupt the CLI's output
        try:
            con.raw_sql("SET enable_progress_bar = false")
        except Exception:  # noqa: BLE001 - in Jupyter DuckDB refuses without ipywidgets
            pass
        # time-zone-aware times become naive ones in UTC, never in the machine's zone
        try:
            con.raw_sql("SET TimeZone = 'UTC'")
        except Exception:  # noqa: BLE001 - a DuckDB build without ICU has no time zones
            pass
        return Engine(con, "duckdb")
    if isinstance(backend, str) and backend in ("spark", "pyspark"):
        return Engine(ibis.pyspark.connect(spark_session()), "pyspark")
    if isinstance(backend, str):
        raise InputError(
            f"unknown backend {backend!r}; use 'duckdb', 'pandas', 'spark', an Ibis backend "
            "connection or a SparkSession"
        )
    if type(backend).__module__.startswith("pyspark"):
        return Engine(ibis.pyspark.connect(backend), "pyspark")
    name = getattr(backend, "name", None)
    if name is None or not hasattr(backend, "to_pyarrow"):
        raise InputError(f"cannot use a {type(backend).__name__} as a backend")
    return Engine(backend, name)


def engine_of(table) -> Engine:
    """The engine an Ibis table is bound to (DuckDB for an unbound memtable)."""
    try:
        con = table._find_backend(use_default=False)
    except Exception:  # noqa: BLE001 - unbound expressions: run them on DuckDB
        return connect(None)
    return Engine(con, con.name)


def is_ibis_table(obj) -> bool:
    mod = type(obj).__module__
    return mod.startswith("ibis.") and hasattr(obj, "schema") and hasattr(obj, "select")


def to_arrow_frame(obj):
    """A pandas or polars frame as an Arrow table with microsecond timestamps."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if type(obj).__module__.split(".")[0] == "polars":
        table = obj.to_arrow()
    else:
        table = pa.Table.from_pandas(obj, preserve_index=False)
    cols = []
    for field, col in zip(table.schema, table.columns, strict=True):
        t = field.type
        if pa.types.is_timestamp(t) and t.unit == "ns":
            col = pc.cast(col, pa.timestamp("us", t.tz), safe=False)
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            col = pc.cast(col, pa.string())
        elif pa.types.is_dictionary(t):
            col = pc.cast(col, t.value_type)
        elif pa.types.is_null(t):  # an all-missing object column: engines need a type
            col = pc.cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def source_table(
    events, engine: Engine | None, *, file_format: str | None = None, text_cols=(), time_col=None
):
    """Turn any accepted input into an Ibis table; returns ``(table, engine, name)``.

    ``text_cols`` (ids) are read as text from a CSV file whatever the engine's
    type guess (DuckDB: ``types=VARCHAR``), so ``00123`` stays ``00123`` and
    ``1234567890.1234567890`` is not rounded to a double; ``time_col`` too when
    the engine guessed a time-zone-aware type (strings with offsets: then every
    backend parses the same strings with :func:`parse_iso`). Files are recognised by their leading
    bytes: Parquet, gzip and zstd are read; bzip2, zip and Excel files are refused
    with a message saying what to do (see :func:`file_kind`).
    """
    import pandas as pd

    if is_ibis_table(events):
        return events, engine or engine_of(events), "Ibis table"
    engine = engine or connect(None)
    if isinstance(events, pd.DataFrame) or type(events).__module__.split(".")[0] == "polars":
        name = "DataFrame" if isinstance(events, pd.DataFrame) else "polars DataFrame"
        return engine.register(to_arrow_frame(events)), engine, name
    paths = [events] if isinstance(events, str | os.PathLike) else events
    if (
        isinstance(paths, list | tuple)
        and paths
        and all(isinstance(p, str | os.PathLike) for p in paths)
    ):
        paths = [str(p) for p in paths]
        assert isinstance(paths, list)  # narrowed for the type checker
        kinds = set()
        for p in paths:
            if not any(ch in p for ch in "*?[") and not Path(p).exists():
                raise InputError("file not found", source=p)
            if Path(p).is_file() and Path(p).stat().st_size == 0:
                raise InputError(
                    "the file is empty (0 bytes): the event log has no events", source=p
                )
            if Path(p).is_file():
                kind = file_kind(p)
                refuse_file_kind(kind, p)
                if kind in ("gzip", "zstd"):
                    check_compressed(p, kind)
                kinds.add(kind)
        name = paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} files)"
        fmt = file_format or ("parquet" if kinds == {"parquet"} else _guess_format(paths[0]))
        options: dict[str, Any] = {}
        files: list[str] = []
        if fmt == "csv":
            files = csv_files(paths)
            delim = csv_delimiter(files[0]) if files else ","
            if engine.name == "duckdb":
                # the dialect every backend reads (see CSV_DIALECT): never left to a sniffer
                options.update(delim=delim, quote='"', escape='"', header=True, strict_mode=True)
            elif engine.name == "pyspark":
                options.update(sep=delim, quote='"', escape='"')
            engine.csv_files.append((files, delim))
        if fmt == "csv" and engine.name == "duckdb" and len(kinds) == 1:
            kind = next(iter(kinds))
            if kind in ("gzip", "zstd"):
                options["compression"] = kind
        arg = paths if len(paths) > 1 else paths[0]
        try:
            if fmt == "parquet":
                table = engine.con.read_parquet(arg)
            else:
                table = engine.con.read_csv(arg, **options)
                types = _text_types(table, text_cols, time_col)
                if types and engine.name == "duckdb":
                    table = engine.con.read_csv(arg, types=types, **options)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - engine-specific reader errors
            if fmt == "csv":
                ragged = ragged_csv_error(files, delim)
                if ragged is not None:
                    raise ragged from None
            raise InputError(f"cannot read file: {exc}".splitlines()[0], source=name) from exc
        if fmt == "csv":
            dup = csv_header_duplicates(paths, len(table.columns))
            if dup is not None:
                raise InputError(
                    "the header repeats a column name (the second would be ignored)",
                    source=dup[0],
                    column=dup[1],
                )
        return table, engine, name
    raise InputError(
        f"cannot read events from a {type(events).__name__}; pass a pandas or polars "
        "DataFrame, Parquet/CSV file path(s) or an Ibis table"
    )


#: CSV columns read as text whatever DuckDB's type guess, set while a build is redone
#: after DuckDB met a value its guess cannot hold (see :func:`csv_error`).
FORCED_TEXT: ContextVar[tuple[str, ...]] = ContextVar("pathcredit_forced_text", default=())

#: Spellings of a missing number in a text column (pandas' ``read_csv`` defaults), so a
#: conversion flag or value ``n/a`` is missing on every backend.
NA_TEXT = (
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


@dataclass
class CsvError:
    """Where DuckDB's CSV reader stopped: file, 1-based line (header included), the line's
    text, and the column whose guessed type could not hold a value (else ``None``)."""

    file: str | None
    line: int | None
    text: str | None
    column: str | None
    reason: str


def csv_error(exc: BaseException) -> CsvError | None:
    """The :class:`CsvError` of a DuckDB CSV error (``CSV Error on Line: N``), else ``None``.

    DuckDB guesses column types from a sample of the file (20,480 rows); a value
    further on that the guessed type cannot hold (``not a date`` in a timestamp
    column) stops the scan with a ``ConversionException`` that names the line and
    the column. A row with the wrong number of fields stops it with an
    ``InvalidInputException`` of the same form.
    """

    msg = " ".join(str(exc).split())
    m = re.search(r"CSV Error on Line: (\d+)", msg)
    if m is None or type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
        return None
    text = re.search(
        r"Original Line: (.*?)(?: Error when| Expected Number| Possible| file =|$)", msg
    )
    col = re.search(r'Error when converting column "((?:[^"]|"")*)"', msg)
    file = re.search(r"file = (.*?) delimiter =", msg)
    reason = (
        "a row with the wrong number of fields"
        if "Number of Columns" in msg
        else ("a value that does not fit the column" if col else "a row DuckDB cannot read")
    )
    return CsvError(
        file=file.group(1).strip() if file else None,
        line=int(m.group(1)),
        text=text.group(1).strip() if text else None,
        column=col.group(1).replace('""', '"') if col else None,
        reason=reason,
    )


def check_compressed(path, kind: str) -> None:
    """Refuse a gzip or zstd file that is truncated or corrupt.

    DuckDB's reader stops quietly at the end of a truncated stream, so a file cut
    after a full line (a copy interrupted) was read as a shorter log. The whole
    stream is decompressed once and thrown away (pyarrow's C++ codecs, in 16 MiB
    reads), which checks its end and, for gzip, its checksum and length.
    """
    import pyarrow as pa

    try:
        with pa.input_stream(str(path), compression=kind) as fh:
            while fh.read(1 << 24):
                pass
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            f"the {kind} file is truncated or corrupt ({' '.join(str(exc).split())}); "
            "copy or compress it again",
            source=str(path),
        ) from exc


def _text_types(table, text_cols, time_col) -> dict[str, str]:
    """The CSV columns to read again as text: ids, channels and names the engine typed
    otherwise (``1`` stays ``1``, never ``1.0``), and the time column whatever type the
    engine guessed, so every time string goes through :func:`parse_iso` (the one time
    grammar, :data:`ISO_TIME`) on every backend."""
    schema = table.schema()
    cols = [c for c in (*text_cols, *FORCED_TEXT.get(), time_col) if c is not None]
    return {c: "VARCHAR" for c in cols if c in schema.names and not schema[c].is_string()}


#: The CSV dialect of event logs, the same on every backend (pandas, DuckDB; Spark's
#: reader is given the same delimiter and quote): a header line; the delimiter is the one
#: of :data:`CSV_DELIMITERS` found most often in the header line (outside quotes; on a tie
#: the first listed; none: ``,``); fields may be quoted with ``"`` (a quote inside doubled);
#: every row has as many fields as the header (else :func:`ragged_csv_error`).
CSV_DELIMITERS = (",", ";", "\t", "|")


def csv_files(paths) -> list[str]:
    """The CSV files named by ``paths`` (globs expanded, sorted), folders left out."""

    out: list[str] = []
    for p in paths:
        out.extend(sorted(glob.glob(p)) if any(ch in p for ch in "*?[") else [p])
    return [f for f in out if os.path.isfile(f)]


def open_csv_text(path):
    """A text stream of a CSV file, gzip or zstd decompressed (recognised by its bytes)."""

    kind = file_kind(path)
    if kind in ("gzip", "zstd"):
        import pyarrow as pa

        raw = pa.input_stream(str(path), compression=kind)
        return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def csv_delimiter(path) -> str:
    """The delimiter of a CSV file by :data:`CSV_DIALECT`'s rule: the one of
    :data:`CSV_DELIMITERS` most frequent outside quotes in the header line.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "ev.csv")
    ...     with open(p, "w") as fh:
    ...         _ = fh.write('user_id;timestamp;"a,b";conversion\\n')
    ...     csv_delimiter(p)
    ';'
    """
    try:
        with open_csv_text(path) as fh:
            line = fh.readline()
    except OSError:
        return ","
    outside = []
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    text = "".join(outside)
    counts = [text.count(d) for d in CSV_DELIMITERS]
    best = max(counts)
    return CSV_DELIMITERS[counts.index(best)] if best else ","


def first_ragged_row(path, delim: str) -> dict | None:
    """The first row of a CSV file with more or fewer fields than its header, or ``None``.

    Returns ``row`` (0-based data row), ``line`` (1-based line of the file where the
    row ends; the header is line 1), ``fields``, ``expected`` and ``text``. One pass
    of Arrow's CSV reader (bounded memory); Python's ``csv`` module then counts the
    lines up to that row, so a quoted line break is counted as the file has it.
    """

    import pyarrow as pa
    import pyarrow.csv as pv

    bad: list = []

    def handler(row):
        if not bad:
            bad.append(row)
        return "skip"

    kind = file_kind(path)
    source = pa.input_stream(str(path), compression=kind if kind in ("gzip", "zstd") else None)
    with open_csv_text(path) as fh:
        header = next(csv.reader(fh, delimiter=delim), [])
    try:
        reader = pv.open_csv(
            source,
            read_options=pv.ReadOptions(use_threads=False),
            parse_options=pv.ParseOptions(
                delimiter=delim, newlines_in_values=True, invalid_row_handler=handler
            ),
            convert_options=pv.ConvertOptions(
                column_types={c: pa.string() for c in header}, check_utf8=False
            ),
        )
        for _ in reader:
            if bad:
                break
    except (pa.ArrowInvalid, OSError):
        pass  # not a CSV problem of row lengths: the caller's own error stands
    finally:
        source.close()
    if not bad:
        return None
    row = bad[0]
    # Arrow numbers rows from 1 with the header as row 1: data row = number - 2
    data_row = int(row.number) - 2 if row.number is not None else None
    line = None
    if data_row is not None:
        with open_csv_text(path) as fh:
            rd = csv.reader(fh, delimiter=delim)
            for i, _ in enumerate(rd):
                if i == data_row + 1:
                    line = rd.line_num
                    break
    return dict(
        row=data_row,
        line=line,
        fields=int(row.actual_columns),
        expected=int(row.expected_columns),
        text=row.text,
    )


def ragged_csv_error(files, delim: str) -> InputError | None:
    """The error naming the first row of ``files`` whose field count differs from the
    header's (a row cut short or with a stray delimiter shifts every later column, so
    it is refused on every backend rather than padded or truncated), or ``None``."""
    for f in files:
        bad = first_ragged_row(f, delim)
        if bad is not None:
            where = f"line {bad['line']}" if bad["line"] is not None else "a row"
            return InputError(
                f"{where} has the wrong number of fields: {bad['fields']} where the header "
                f"has {bad['expected']} (delimiter {delim!r}); every row needs one field per "
                "column (quote a field that holds the delimiter)",
                source=f,
                row=bad["row"],
                value=bad["text"][:80],
            )
    return None


@contextmanager
def csv_errors(engine: Engine):
    """Turn an engine's CSV parse error, raised when a query first reads a row past the
    engine's sniffing sample, into :func:`ragged_csv_error` when a row is ragged."""
    try:
        yield
    except InputError:
        raise
    except Exception:
        for files, delim in engine.csv_files:
            ragged = ragged_csv_error(files, delim)
            if ragged is not None:
                raise ragged from None
        raise


#: Leading bytes of the file kinds told apart by :func:`file_kind`.
_MAGIC = (
    (b"PAR1", "parquet"),
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bz2"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"PK\x03\x04", "zip"),
)


def file_kind(path) -> str | None:
    """What a file is by its leading bytes: ``"parquet"``, ``"gzip"``, ``"zstd"``,
    ``"bz2"``, ``"xlsx"`` (a zip holding ``xl/``), ``"xls"`` (an OLE compound file),
    ``"zip"``, or ``None`` (presumably text).

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "events.csv")
    ...     with gzip.open(p, "wt") as fh:
    ...         _ = fh.write("user_id,timestamp")
    ...     file_kind(p)
    'gzip'
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "zip":
                try:
                    with zipfile.ZipFile(path) as zf:
                        names = zf.namelist()
                except (zipfile.BadZipFile, OSError):
                    return "zip"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
            return kind
    return None


#: What to do with a file kind that is not read.
_REFUSED_KINDS = {
    "xlsx": "an Excel workbook (.xlsx), not CSV or Parquet: save the sheet as CSV "
    "(UTF-8) or export it to Parquet",
    "xls": "an Excel 97-2003 workbook (.xls), not CSV or Parquet: save the sheet as "
    "CSV (UTF-8) or export it to Parquet",
    "zip": "a zip archive, not CSV or Parquet: unzip it and pass the file inside "
    "(gzip- and zstd-compressed CSV files are read as they are)",
    "bz2": "bzip2-compressed: the event log reader cannot decompress it; decompress it "
    "(bunzip2) or compress with gzip or zstd instead, which are read as they are",
}


def refuse_file_kind(kind, path) -> None:
    """Raise :class:`InputError` for a file kind the event-log readers do not read."""
    if kind in _REFUSED_KINDS:
        raise InputError(_REFUSED_KINDS[kind], source=str(path))


def _guess_format(path: str) -> str:
    low = path.lower()
    if low.endswith((".parquet", ".pq")) or low.endswith("/") or os.path.isdir(path):
        return "parquet"
    return "csv"


def check_columns(table, required: dict[str, str | None], source: str) -> None:
    """Raise if a named column is missing."""
    have = list(table.columns)
    for role, col in required.items():
        if col is not None and col not in have:
            raise InputError(
                f"missing {role} column {col!r}; the columns are {have}", source=source, column=col
            )


#: Why a row is neither a touch nor a conversion (not an error: counted and left out).
OTHER_EVENT = "other event"
#: A view touch left out with ``include_views=False``.
VIEW_IGNORED = "view ignored"
#: Every ``reason`` of :func:`normalize`, in the order they are checked.
ALL_REASONS = (OTHER_EVENT, VIEW_IGNORED, *INVALID_REASONS)

#: The time strings accepted on every backend (ISO 8601 extended format, as RFC 3339
#: writes it, with the date alone allowed and the seconds optional): ``YYYY-MM-DD``,
#: optionally followed by ``T`` or a space, ``hh:mm``, optionally ``:ss`` and a
#: fraction of any length after ``.`` or ``,`` (truncated to the microsecond), and
#: optionally (after spaces) ``Z``, ``z`` or an offset ``+hh``, ``+hh:mm``, ``+hhmm``
#: (or ``-``). Years 0001-9999, hours 00-23, minutes and seconds 00-59, offsets up to
#: 23:59; a date that does not exist (``2024-02-30``) is unparseable. Refused (read as
#: unparseable timestamps, counted or raised with ``invalid="raise"``): the basic format
#: (``20240101T100000``), an hour alone (``2024-01-01T10``), ``24:00``, leap seconds,
#: zone names (``UTC``), one-digit fields, years 0000 and beyond 9999, week and ordinal
#: dates. Written for RE2 (DuckDB), Java (Spark) and Python's ``re`` alike.
ISO_TIME = (
    r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9][0-9]|[1-9][0-9][0-9][0-9])-[0-9][0-9]-[0-9][0-9]"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]+)?)?"
    r"([ ]*(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?))?)?$"
)

#: An :data:`ISO_TIME` string with ``Z`` or a UTC offset (``+02:00``, ``-0130``, ``+02``):
#: group 1 is the local date-time, group 4 the offset.
ISO_OFFSET = (
    r"^(.*[T ][0-9][0-9]:[0-9][0-9](:[0-9][0-9]([.,][0-9]+)?)?)[ ]*"
    r"(Z|z|[+-][0-9][0-9](:?[0-9][0-9])?)$"
)

#: A fraction of a second finer than the microsecond (cut to six digits before the cast).
_LONG_FRACTION = r"[.][0-9]{7}"

#: Epoch of integer times.
_EPOCH = "1970-01-01 00:00:00"


#: Prefix of the working columns :func:`parse_iso` and :func:`normalize` add (dropped again).
_WORK = "__pathcredit_"


def parse_iso(table, column: str):
    """``table`` with ``ts`` (timestamp) and ``has_offset`` (boolean) parsed from the time
    strings of ``column``, the same on every engine.

    A string is read only when it matches :data:`ISO_TIME` (else the timestamp is
    NULL: unparseable), so no engine's own extensions (DuckDB reads ``24:00`` and
    zone names, pandas the basic format) change which events are kept. A string with
    ``Z`` or an offset is read as the instant it names (its local part minus the
    offset, as a UTC time); one without is read as it is. The offset is taken apart
    with a regular expression and subtracted as an interval, so no engine's own
    time-zone rules (DuckDB drops offsets in a cast to TIMESTAMP, Spark applies them)
    are involved. A decimal comma becomes a point and a fraction is cut to six
    digits (truncated, as DuckDB and Spark cast) before the cast. Matching the grammar
    costs one regular expression per value; the offset is looked for only in strings
    longer than a date whose tail has a ``Z``, ``+`` or ``-``, and plain local times
    (no offset, no decimal comma, at most six fraction digits) take one cast.

    Each step is its own projection that reads the previous step's columns. Ibis
    writes an expression into SQL once per use, so the same steps as one nested
    expression (the string, then the string with a point for the comma, then with
    the fraction cut...) were written hundreds of times over into every use of the
    time: 186 kB of SQL for one normalisation, a CSV build three times slower than
    the parse needs, and a plan Spark's planner could not hold in a 1 GB heap. Ibis
    keeps a projection as a subquery when merging it into the next would repeat its
    expressions, so the steps stay apart and every string is parsed once per query.
    """
    import ibis

    w = _WORK
    text = table[column]
    names = set(table.columns)
    tail = text.substr(10)
    t = table.mutate(
        **{
            w + "ok": text.re_search(ISO_TIME).fill_null(False),
            w + "end": (text.right(1) == "Z")
            | (text.right(1) == "z")
            | tail.contains("+")
            | tail.contains("-"),
            w + "comma": text.contains(","),
        }
    )
    t = t.mutate(
        **{
            w + "maybe": t[w + "ok"] & t[w + "end"],
            w + "t": t[w + "comma"].ifelse(text.replace(",", "."), text),
        }
    )
    t = t.mutate(**{w + "long": t[w + "t"].re_search(_LONG_FRACTION)})
    s = t[w + "t"]
    # a fraction beyond the microsecond: keep six digits and what follows the fraction
    t = t.mutate(
        **{
            w + "t": t[w + "long"].ifelse(
                s.re_extract(r"^([^.]*[.][0-9]{6})", 1).concat(s.re_extract(r"[.][0-9]+(.*)$", 1)),
                s,
            ),
            w + "plain": ~t[w + "maybe"] & ~t[w + "comma"] & ~t[w + "long"],
        }
    )
    s = t[w + "t"]
    t = t.mutate(
        **{w + "off": t[w + "maybe"].ifelse(s.re_extract(ISO_OFFSET, 4), ibis.literal(""))}
    )
    off = t[w + "off"]
    local = (off != "").ifelse(s.re_extract(ISO_OFFSET, 1), s)
    t = t.mutate(**{w + "digits": off.re_replace("[^0-9]", ""), w + "local": local})
    digits, off = t[w + "digits"], t[w + "off"]
    hh = digits.left(2).nullif("").try_cast("int64").fill_null(0)
    mm = digits.substr(2, 2).nullif("").try_cast("int64").fill_null(0)
    sign = ibis.cases((off.left(1) == "-", -1), else_=1)
    shifted = t[w + "local"].try_cast("timestamp") - (
        (sign * (hh * 60 + mm)) * 60_000_000
    ).as_interval("us")
    ts = t[w + "ok"].ifelse(
        t[w + "plain"].ifelse(t[column].try_cast("timestamp"), shifted), ibis.null("timestamp")
    )
    t = t.mutate(ts=ts, has_offset=(off != "").fill_null(False))
    return t.select(*[c for c in t.columns if c in names or c in ("ts", "has_offset")])


def integer_time(col, time_unit: str):
    """Integer times since the epoch in ``time_unit`` as timestamps (microsecond resolution)."""
    import ibis

    mult = TIME_UNITS[time_unit]
    us = col.cast("int64") // 1000 if mult is None else col.cast("int64") * mult
    return ibis.timestamp(_EPOCH) + us.as_interval("us")


def normalize(
    table,
    *,
    user_col,
    time_col,
    channel_col,
    conversion_col,
    value_col,
    source,
    carry=(),
    time_unit=None,
    event_col=None,
    conversion_events=None,
    touch_events=None,
    type_col=None,
    include_views=True,
    offline=False,
):
    """Project the input onto ``person, raw_ts, ts, tz, channel, cv, val, ttype`` with a ``reason``.

    ``reason`` is NULL for a valid event, else one of :data:`ALL_REASONS`
    (:data:`OTHER_EVENT` and :data:`VIEW_IGNORED` are left out without being
    errors). ``tz`` is 1 for a time string with an offset, 0 for one without,
    NULL otherwise. ``ttype`` is the touch type (NULL on conversions). With
    ``event_col``, a row is a conversion when its event name is in
    ``conversion_events``; a row that is not a conversion is a touch when it has a
    channel (and, with ``touch_events``, its name is one of them), else an
    "other event". ``offline=True``: every row is a touch (type ``offline``
    unless ``type_col`` is a column of the table). Columns named in ``carry`` are
    passed through unchanged (a row number, to locate a bad value in an error message).
    """
    import ibis
    import ibis.expr.datatypes as dt

    # Three projections, each reading the previous one's columns (see parse_iso for
    # why): the cleaned input columns, the parsed time and the event's kind, then
    # the reason. One projection would write every cleaning expression into SQL
    # once per use.
    w = _WORK
    schema = table.schema()
    tdt = schema[time_col]
    base = {w + "user": _clean_string(table[user_col])}
    if time_unit is not None:
        if time_unit not in TIME_UNITS:
            raise InputError(
                f"time_unit must be one of {list(TIME_UNITS)}", value=time_unit, source=source
            )
        if not tdt.is_integer():
            raise InputError(
                f"time_unit={time_unit!r} is for integer times since the epoch; this column "
                f"holds {tdt}",
                source=source,
                column=time_col,
            )
        base[w + "raw"] = table[time_col]
    elif tdt.is_string():
        base[w + "raw"] = _clean_string(table[time_col])
    elif tdt.is_timestamp() or tdt.is_date():
        base[w + "raw"] = table[time_col]
    elif tdt.is_integer():
        raise InputError(
            f"the time column holds integers ({tdt}): say their unit with time_unit= "
            "'s', 'ms', 'us' or 'ns' (CLI --time-unit; GA4's event_timestamp is 'us')",
            source=source,
            column=time_col,
        )
    else:
        raise InputError(
            f"the time column must hold timestamps, dates, ISO date-time strings or "
            f"integers with time_unit=, not {tdt}",
            source=source,
            column=time_col,
        )
    if offline:
        cv = ibis.literal(0, type="int64")
    elif event_col is not None:
        base[w + "name"] = _clean_string(table[event_col])
    else:
        cdt = schema[conversion_col]
        conv = table[conversion_col]
        if cdt.is_string():  # numbers as text (a CSV column DuckDB read as text)
            conv, cdt = text_number(conv), dt.float64
        if cdt.is_boolean():
            cv = conv.fill_null(False).cast("int64")
        elif cdt.is_floating():
            # NaN (a CSV "nan") is a missing flag, as in pandas: not a conversion
            cv = ((conv.fill_null(0) != 0) & ~conv.isnan().fill_null(False)).cast("int64")
        elif cdt.is_numeric():
            cv = (conv.fill_null(0) != 0).cast("int64")
        else:
            raise InputError(
                "the conversion column must be boolean or numeric (non-zero = conversion), "
                f"not {cdt}; or name the conversion events with event_col= and "
                "conversion_events= (CLI --event-col, --conversion-event)",
                source=source,
                column=conversion_col,
            )
        base[w + "cv"] = cv
    base[w + "channel"] = clean_name(table[channel_col])
    if offline and (type_col is None or type_col not in schema.names):
        base[w + "ttype"] = ibis.literal(OFFLINE_TOUCH_TYPE)
    elif type_col is None:
        base[w + "ttype"] = ibis.literal(DEFAULT_TOUCH_TYPE)
    else:
        base[w + "ttype"] = touch_type_expr(table[type_col])
    if value_col is None or offline:
        base[w + "value"] = ibis.literal(0.0, type="float64")
    else:
        value = table[value_col]
        if schema[value_col].is_string():  # numbers as text: see text_number
            value = text_number(value)
        elif not schema[value_col].is_numeric():
            raise InputError(
                f"the value column must be numeric, not {schema[value_col]}",
                source=source,
                column=value_col,
            )
        base[w + "value"] = value.cast("float64")
    t = table.select(**base, **{c: table[c] for c in carry})

    # the time and the event's kind
    raw_ts = t[w + "raw"]
    tz = ibis.null("int64")
    # the raw text is kept only to quote an unparseable timestamp in messages
    text = ibis.null("string")
    if time_unit is not None:
        bounds = integer_time_bounds(time_unit)
        if bounds is None:
            ts = integer_time(raw_ts, time_unit)
        else:
            # outside the range: no time (and the value kept as text), refused by the
            # caller (check_integer_times) before anything is counted
            outside = (raw_ts < bounds[0]) | (raw_ts > bounds[1])
            safe = outside.ifelse(ibis.literal(0, type="int64"), raw_ts.cast("int64"))
            ts = outside.ifelse(ibis.null("timestamp"), integer_time(safe, time_unit))
            text = outside.ifelse(raw_ts.cast("string"), ibis.null("string"))
        t = t.mutate(ts=ts, **{w + "tz": tz, w + "text": text})
    elif tdt.is_string():
        t = parse_iso(t, w + "raw")
        has = t.ts.notnull().ifelse(t.has_offset.cast("int64"), ibis.null("int64"))
        t = t.mutate(**{w + "tz": has, w + "text": t[w + "raw"]})
    else:
        t = t.mutate(
            ts=raw_ts if tdt.is_timestamp() else raw_ts.cast("timestamp"),
            **{w + "tz": tz, w + "text": text},
        )
    if offline:
        is_touch = ibis.literal(True)
    elif event_col is not None:
        name = t[w + "name"]
        cv = name.isin(list(conversion_events)).fill_null(False).cast("int64")
        is_touch = (
            ibis.literal(True)
            if touch_events is None
            else name.isin(list(touch_events)).fill_null(False)
        )
    else:
        cv = t[w + "cv"]
        is_touch = ibis.literal(True)
    t = t.mutate(**{w + "cv": cv, w + "touch": is_touch})

    # what the event is: a touch, a conversion, left out, or invalid (and why)
    cv, ttype, raw_channel = t[w + "cv"], t[w + "ttype"], t[w + "channel"]
    if event_col is None or offline:
        other = ibis.literal(False)
    elif touch_events is None:  # a row with no channel is not a touch
        other = (cv == 0) & raw_channel.isnull()
    else:  # a touch event with no channel is a touch with a missing channel
        other = (cv == 0) & ~t[w + "touch"]
    view_out = (cv == 0) & ~other & (ttype == "view") if not include_views else ibis.literal(False)
    t = t.mutate(**{w + "other": other, w + "view_out": view_out})
    other, view_out = t[w + "other"], t[w + "view_out"]
    # conversion rows carry no touch: their channel is ignored; so do rows left out
    t = t.mutate(
        **{w + "chan": ((cv == 1) | other | view_out).ifelse(ibis.null("string"), raw_channel)}
    )
    channel = t[w + "chan"]
    if value_col is None or offline:
        val = ibis.literal(0.0, type="float64")
    else:
        v = t[w + "value"]
        # a missing value (NULL or NaN) counts as 0
        v = (v.isnull() | v.isnan().fill_null(False)).ifelse(0.0, v)
        val = (cv == 1).ifelse(v, 0.0)
    reason = ibis.cases(
        (other, OTHER_EVENT),
        (view_out, VIEW_IGNORED),
        (t[w + "user"].isnull(), INVALID_REASONS[0]),
        (t[w + "raw"].isnull(), INVALID_REASONS[1]),
        (t.ts.isnull(), INVALID_REASONS[2]),
        ((cv == 0) & channel.isnull(), INVALID_REASONS[3]),
        else_=ibis.null("string"),
    )
    return t.select(
        person=t[w + "user"],
        raw_ts=t[w + "text"],
        ts=t.ts,
        tz=t[w + "tz"],
        channel=channel,
        cv=cv.cast("int64"),
        val=val.cast("float64"),
        ttype=(cv == 1).ifelse(ibis.null("string"), ttype),
        reason=reason,
        **{c: t[c] for c in carry},
    )


def check_integer_times(groups, table, normalize_options, time_unit, time_col, source):
    """Refuse integer times outside :data:`~._event_journeys.INTEGER_TIME_RANGE_US`, naming
    the first such row. ``groups`` are the per-reason counts of the normalized events:
    with ``time_unit`` an integer time is "unparseable" only when it is out of range."""

    if time_unit is None or not any(
        r["reason"] == INVALID_REASONS[2] and (int(r["touches"]) + int(r["conversions"]))
        for r in groups
    ):
        return
    row, ev = first_bad_row(table, lambda n: n.raw_ts.notnull(), normalize_options)
    value = None if ev is None else int(ev["raw_ts"])
    raise integer_time_error(time_unit, value, source=source, column=time_col, row=row)


def text_number(col):
    """A text column of numbers as float64: trimmed, a :data:`NA_TEXT` spelling (or an
    empty string) missing. A text that is not a number is NULL here too: callers refuse
    such a column first with :func:`check_number_text`."""
    import ibis

    t = _clean_string(col)
    t = t.isin(list(NA_TEXT)).fill_null(False).ifelse(ibis.null("string"), t)
    return t.try_cast("float64")


#: How a conversion flag or a value that is neither a number nor missing is refused.
NOT_A_NUMBER = {
    "conversion": "the conversion column must be boolean or numeric (non-zero = conversion), "
    "and this value is neither a number nor a missing value (NA, n/a, null, ...); or name the "
    "conversion events with event_col= and conversion_events= (CLI --event-col, "
    "--conversion-event)",
    "value": "the value column must be numeric, and this value is neither a number nor a "
    "missing value (NA, n/a, null, ...)",
}


def check_number_text(engine: Engine, table, column: str, role: str, source: str) -> None:
    """Refuse a text column meant to hold numbers (``role``: ``conversion`` or ``value``)
    when a value is neither a number nor a missing-value spelling, naming the first row.

    Only run when the column is text (a CSV column holding such a value is read as
    text; see :func:`csv_error`), so well-typed inputs pay nothing.
    """
    import ibis

    t = _clean_string(table[column])
    t = t.isin(list(NA_TEXT)).fill_null(False).ifelse(ibis.null("string"), t)
    bad = t.notnull() & t.try_cast("float64").isnull()
    try:
        numbered = table.mutate(_row=ibis.row_number().over(), _bad=bad)
        hit = numbered.filter(numbered._bad).order_by("_row").limit(1).select("_row", column)
        rows = engine.to_arrow(hit).to_pylist()
        row = int(rows[0]["_row"]) if rows else None
    except Exception:  # noqa: BLE001 - engines that need an order to number rows
        rows = engine.to_arrow(table.filter(bad).limit(1).select(column)).to_pylist()
        row = None
    if rows:
        raise InputError(
            NOT_A_NUMBER[role], source=source, column=column, row=row, value=rows[0][column]
        )


def touch_type_expr(col):
    """A touch-type column as compared: trimmed, lower-case, aliases resolved, missing = click."""
    import ibis

    t = _clean_string(col).lower()
    cases = [(t == k, v) for k, v in TOUCH_TYPE_ALIASES.items()]
    t = ibis.cases(*cases, else_=t)
    return t.fill_null(DEFAULT_TOUCH_TYPE)


#: The columns of a cleaned event: what the journey expressions read.
EVENT_COLUMNS = ("person", "ts", "channel", "cv", "val", "ttype")

#: The path separator of path tables: a channel may not contain it.
PATH_SEP = ">"


def first_bad_row(table, predicate, normalize_options):
    """``(row, normalized event)`` of the first input row where ``predicate(norm)`` holds.

    Run only to word an error message. ``row`` is the 0-based position in the
    input as the engine scans it (file order for a CSV or Parquet file on
    DuckDB); ``None`` when the engine cannot number rows without an order (Spark).
    """
    import ibis

    engine = engine_of(table)  # Spark's own Arrow path, not Ibis's through pandas
    try:
        numbered = table.mutate(_row=ibis.row_number().over())
        norm = normalize(numbered, **normalize_options, carry=("_row",))
        hit = norm.filter(predicate(norm)).order_by("_row").limit(1)
        rows = engine.to_arrow(hit).to_pylist()
    except Exception:  # noqa: BLE001 - engines that need an order to number rows
        norm = normalize(table, **normalize_options)
        rows = engine.to_arrow(norm.filter(predicate(norm)).limit(1)).to_pylist()
        return (None, rows[0]) if rows else (None, None)
    return (int(rows[0]["_row"]), rows[0]) if rows else (None, None)


def csv_header_duplicates(paths, ncols: int) -> tuple[str, str] | None:
    """``(file, name)`` of the first CSV file whose header repeats a column name.

    DuckDB and pandas both rename a repeated header (``channel_1``,
    ``channel.1``), so the second column would be silently ignored. The header
    line is split with the delimiter that gives the engine's number of columns.
    """

    files = []
    for p in paths:
        files.extend(sorted(glob.glob(p)) if any(ch in p for ch in "*?[") else [p])
    for f in files:
        if os.path.isdir(f):
            continue
        try:
            with open(f, newline="", encoding="utf-8", errors="replace") as fh:
                line = fh.readline()
        except OSError:
            continue
        for delim in (",", ";", "\t", "|"):
            names = next(csv.reader([line], delimiter=delim), [])
            names = [n.strip() for n in names]
            if len(names) == ncols or (ncols is None and len(names) > 1):
                seen = set()
                for n in names:
                    if n in seen:
                        return f, n
                    seen.add(n)
                break
    return None


#: Python types of a nested value in a pandas object column (a list, a record...).
_NESTED: tuple[type, ...] = (list, tuple, dict, set, frozenset)


def nested_error(kind: str, source, column, row, value) -> InputError:
    """The error for a column holding lists, records or maps instead of one value per row."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    return InputError(
        f"the column holds nested values ({kind}), not one id, name, time or number per "
        "row; flatten it first (one event per row)",
        source=source,
        column=column,
        row=row,
        value=value,
    )


def check_nested(engine: Engine, table, columns, source: str) -> None:
    """Refuse an engine table whose named column has a nested type (list, struct, map),
    naming its first non-missing row."""
    import ibis

    schema = table.schema()
    for col in columns:
        if col is None or col not in schema.names:
            continue
        t = schema[col]
        if not (t.is_array() or t.is_struct() or t.is_map()):
            continue
        kind = "lists" if t.is_array() else "records" if t.is_struct() else "maps"
        try:
            numbered = table.mutate(_row=ibis.row_number().over())
            hit = numbered.filter(numbered[col].notnull()).order_by("_row").limit(1)
            rows = engine.to_arrow(hit.select("_row", col)).to_pylist()
            row = int(rows[0]["_row"]) if rows else None
        except Exception:  # noqa: BLE001 - engines that need an order to number rows
            rows = engine.to_arrow(table.filter(table[col].notnull()).select(col).limit(1))
            rows, row = rows.to_pylist(), None
        raise nested_error(kind, source, col, row, rows[0][col] if rows else None)


def check_frame(frame, source: str, columns) -> None:
    """Refuse a pandas frame with repeated column names or an object column of mixed types.

    A column holding, say, text and timestamps, or integers and text, has no one
    meaning (is ``1`` the same user as ``"1"``?): the error names the column,
    the first row whose type differs from the first value's, and that value.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        return
    nested_types = (*_NESTED, np.ndarray)
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise InputError("the column name is repeated", source=source, column=str(dup[0]))
    for col in columns:
        if col is None or col not in frame.columns:
            continue
        s = frame[col]
        if s.dtype != object:
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if not kind.startswith("mixed") or kind == "mixed-integer-float":
            continue
        present = s.notna().to_numpy().nonzero()[0]
        values = s.iloc[present]
        nested = values.map(lambda v: isinstance(v, nested_types)).to_numpy(dtype=bool)
        if nested.any():
            first = int(nested.nonzero()[0][0])
            kind = "records" if isinstance(values.iloc[first], dict) else "lists"
            raise nested_error(kind, source, col, int(present[first]), values.iloc[first])
        # error path only: the type of each value, to find the first odd one
        types = values.map(lambda v: "text" if isinstance(v, str) else type(v).__name__)
        odds = types.ne(types.iloc[0]).to_numpy().nonzero()[0]
        if not len(odds):  # one type that pandas calls mixed (e.g. bytes): left to the reader
            continue
        odd = odds[0]
        raise InputError(
            f"the column mixes {types.iloc[0]} and {types.iloc[odd]} values; give it one type",
            source=source,
            column=col,
            row=int(present[odd]),
            value=values.iloc[odd],
        )


#: Leading or trailing ASCII whitespace, as escapes that RE2 (DuckDB) and Java (Spark) both read.
_EDGE_SPACE = r"^[ \t\n\r\x0B\x0C]+|[ \t\n\r\x0B\x0C]+$"


def strip_space(col):
    """``col`` without leading and trailing ASCII whitespace, the same on every engine.

    Not ``StringValue.strip``: Ibis 12 writes its character set into Spark SQL
    as ``'\\v\\f'``, which Spark reads as the letters ``v`` and ``f``, so
    ``" abcv"`` became ``"abc"`` on Spark.
    """
    return col.re_replace(_EDGE_SPACE, "")


def _clean_string(col):
    """``col`` as a string, stripped of surrounding whitespace, ``""`` as NULL.

    Stripping with a character set is slow (DuckDB: about 4x a plain scan of the
    column), and almost no value needs it: strip only values whose first or last
    character sorts at or below the space (every ASCII whitespace character does;
    so do ``""`` and control characters, which ``strip`` leaves as they are).
    Same result as :func:`strip_space` for every value; 12% faster end to end than
    testing the six whitespace characters one by one (benchmarks/events).
    """
    col = col.cast("string")
    edge = (col.left(1) <= " ") | (col.right(1) <= " ")
    return edge.ifelse(strip_space(col), col).nullif("")


#: The characters trimmed from channel names: those Python's ``str.strip()`` removes
#: (``str.isspace``: Unicode White_Space, e.g. the no-break space U+00A0, and the ASCII
#: information separators U+001C-U+001F).
NAME_SPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())

#: :data:`NAME_SPACE` as a regular-expression class RE2 (DuckDB) and Java (Spark) both read.
_NAME_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in NAME_SPACE) + "]"
_EDGE_NAME_SPACE = f"^{_NAME_CLASS}+|{_NAME_CLASS}+$"


def clean_name(col):
    """A channel name as compared on every backend: text, trimmed of :data:`NAME_SPACE`
    (Unicode whitespace), ``""`` as NULL, so a name made only of whitespace (a no-break
    space, a U+001F) is a missing channel everywhere, as the path table (which trims
    names the same way) would otherwise refuse or keep it.

    Only values whose first or last character is at or below the space, or outside
    ASCII, go through the regular expression (a plain comparison for the others).
    """
    col = col.cast("string")
    first, last = col.left(1), col.right(1)
    edge = (first <= " ") | (last <= " ") | (first >= "\x85") | (last >= "\x85")
    return edge.ifelse(col.re_replace(_EDGE_NAME_SPACE, ""), col).nullif("")


def is_valid(norm):
    """The events of a :func:`normalize` table that have no invalid ``reason``.

    Equivalent to ``norm.reason.isnull()`` (a NULL raw timestamp is a NULL
    timestamp), without re-evaluating the cleaning expressions behind ``reason``.
    """
    return norm.person.notnull() & norm.ts.notnull() & ((norm.cv == 1) | norm.channel.notnull())


def stitch(events, identity, engine: Engine, source: str):
    """Replace device ids by person ids from an identity map (table ``device, person_id``)."""
    clash = (
        identity.group_by("device")
        .agg(k=identity.person_id.nunique())
        .filter(lambda t: t.k > 1)
        .limit(1)
    )
    bad = engine.to_arrow(clash)
    if bad.num_rows:
        dev = bad.column("device")[0].as_py()
        raise InputError(
            "the identity map sends one device id to several person ids", source=source, value=dev
        )
    ident = identity.select(_dev="device", _pid="person_id").distinct()
    joined = events.left_join(ident, events.person == ident._dev)
    return joined.select(
        person=joined._pid.fill_null(joined.person),
        ts=joined.ts,
        channel=joined.channel,
        cv=joined.cv,
        val=joined.val,
        ttype=joined.ttype,
    )


def _journey_rows(events, *, lookback_days, inactivity_days, mark_duplicates=False, segments=False):
    """Events with ``journey`` (0-based per person), ``days`` and ``in_window``.

    With ``segments``, also ``seg``: the number of the person's run of events
    between inactivity gaps (0 without ``inactivity_days``), the unit inside which
    ``reset_at_conversion=False`` carries touches over to later conversions.

    Without ``inactivity_days`` everything comes from ONE sort of each person's
    events (one window specification with three frames): the journey number is
    the count of the person's conversions before the event, and the end of its
    journey is the first conversion at or after it (the journey's conversion),
    else the person's last event (the end of the data).

    With ``mark_duplicates``, ``_dup`` is 1 on an event identical to the one
    before it (the sort order covers every column, so copies are adjacent): a
    copy of a touch sits in its original's journey; a copy of a conversion forms
    a journey of copies only without ``inactivity_days`` (same sort, so the same
    tie order) and sits in its original's journey with it (see below). Callers
    leave ``_dup`` rows out and count them.
    """
    import ibis

    order = [events.ts, events.cv, events.channel, events.ttype, events.val]
    null_ts = ibis.null(events.ts.type())
    w = ibis.window(group_by=events.person, order_by=order)
    marks = {}
    if mark_duplicates:  # in the same projection as the frames below: still one sort
        same = [events[c].lag().over(w).identical_to(events[c]) for c in ("ts", "cv", "val")]
        same.append(events.channel.lag().over(w).identical_to(events.channel))
        same.append(events.ttype.lag().over(w).identical_to(events.ttype))
        marks["_dup"] = ibis.and_(*same).cast("int64")
    if inactivity_days is None:
        upto = ibis.window(group_by=events.person, order_by=order, rows=(None, 0))
        after = ibis.window(group_by=events.person, order_by=order, rows=(0, None))
        every = ibis.window(group_by=events.person, order_by=order, rows=(None, None))
        if segments:
            marks["seg"] = ibis.literal(0, type="int64")
        e = events.mutate(
            **marks,
            journey=events.cv.sum().over(upto) - events.cv,
            _end=ibis.coalesce(
                (events.cv == 1).ifelse(events.ts, null_ts).min().over(after),
                events.ts.max().over(every),
            ),
        )
    else:
        e = events.mutate(**marks, _pcv=events.cv.lag().over(w), _pts=events.ts.lag().over(w))
        gap = e.ts.delta(e._pts, unit="microsecond").cast("float64")
        gap_start = e._pcv.isnull() | (gap > float(inactivity_days) * US_PER_DAY)
        start = gap_start | (e._pcv == 1)
        if mark_duplicates:  # a copy never starts a journey: it joins its original's
            start = start & (e._dup == 0)
            gap_start = gap_start & (e._dup == 0)
        e = e.mutate(_start=start.cast("int64"), _gstart=gap_start.cast("int64"))
        # The journey number is a running count of starts in a SECOND sort. Exact
        # copies tie on every key, so the two sorts may order them differently: a
        # RANGE frame counts all peers (copies) alike, and only the first copy of
        # the first sort can carry a start, so every copy gets its original's
        # journey whatever the engine's tie order.
        cw = ibis.range_window(
            group_by=e.person,
            order_by=[e.ts, e.cv, e.channel, e.ttype, e.val],
            preceding=None,
            following=0,
        )
        e = e.mutate(journey=e._start.sum().over(cw) - 1)
        if segments:
            e = e.mutate(seg=e._gstart.sum().over(cw) - 1)
        e = e.drop("_pcv", "_pts", "_start", "_gstart")
        jw = ibis.window(group_by=[e.person, e.journey])
        e = e.mutate(
            _end=ibis.coalesce(
                (e.cv == 1).ifelse(e.ts, null_ts).max().over(jw), e.ts.max().over(jw)
            )
        )
    e = e.mutate(days=e._end.delta(e.ts, unit="microsecond").cast("float64") / US_PER_DAY)
    return e.mutate(in_window=in_lookback(e, lookback_days)).drop("_end")


def in_lookback(e, lookback_days):
    """Whether each touch of ``e`` (with ``days`` and ``ttype``) is inside its lookback window.

    ``lookback_days`` is a number, ``None`` or a :class:`~._event_journeys.Lookback`
    (one window per touch type).
    """
    import ibis

    lb = lookback_days if isinstance(lookback_days, Lookback) else Lookback(lookback_days)
    touch = e.cv == 0
    if not lb.by_type:
        return touch if lb.default is None else touch & (e.days <= lb.default)
    cases = [
        (e.ttype == t, ibis.literal(True) if d is None else e.days <= d)
        for t, d in sorted(lb.per_type.items())
    ]
    other = ibis.literal(True) if lb.default is None else e.days <= lb.default
    return touch & ibis.cases(*cases, else_=other)


def _carried(e, lookback_days):
    """With ``reset_at_conversion=False``: the touches a conversion's path takes over from
    the person's earlier journeys of the same inactivity segment, inside its lookback window.

    ``e`` is a :func:`_journey_rows` table with ``seg`` (and ``_dup`` when duplicates are
    marked). Returns rows with ``e``'s columns: each (earlier touch, later conversion)
    pair inside that conversion's window, as a touch of the conversion's journey with
    ``days`` measured to that conversion and ``_carried = 1`` (the journey's own rows have
    0). A touch outside the window of the first conversion after it is outside every
    later one too, so carried rows never bring back a touch the lookback window removed.
    One join of touches with conversions on the person and segment: its cost is the
    number of (touch, later conversion) pairs of each person.
    """
    import ibis

    real = (e._dup == 0) if "_dup" in e.columns else ibis.literal(True)
    conv = e.filter((e.cv == 1) & real)
    conv = conv.select(_cp=conv.person, _cs=conv.seg, _cj=conv.journey, _cts=conv.ts)
    touch = e.filter((e.cv == 0) & real)
    pairs = touch.join(
        conv,
        [touch.person == conv._cp, touch.seg == conv._cs, touch.journey < conv._cj],
    )
    pairs = pairs.mutate(
        journey=pairs._cj,
        days=pairs._cts.delta(pairs.ts, unit="microsecond").cast("float64") / US_PER_DAY,
    )
    pairs = pairs.mutate(in_window=in_lookback(pairs, lookback_days))
    pairs = pairs.filter(pairs.in_window).mutate(_carried=ibis.literal(1, type="int64"))
    return pairs.select(*e.columns, "_carried")


def _with_carried(e, lookback_days):
    """``e`` with ``_carried = 0`` and the :func:`_carried` rows appended."""
    import ibis

    own = e.mutate(_carried=ibis.literal(0, type="int64"))
    return own.union(_carried(e, lookback_days))


def assign_journeys(
    events, *, lookback_days, max_touches, inactivity_days, reset_at_conversion=True
):
    """Split each person's events into journeys and mark the touches that are kept.

    Returns the events with ``journey`` (0-based per person), ``converted``,
    ``jvalue`` (the journey's conversion value), ``days`` (from the event to the
    end of its journey), ``n_touch`` (touches in the journey), ``n_kept``
    (touches inside the lookback window), ``keep`` (touch kept after lookback and
    max touches), ``position`` and ``length`` (among the kept touches).

    This is the touch-level table; the path table does not need it (see
    :func:`journey_summary`), so it is only computed when asked for. With
    ``reset_at_conversion=False`` a converting journey also holds the touches
    :func:`_carried` takes over from the person's earlier journeys.
    """
    import ibis

    e = _journey_rows(
        events,
        lookback_days=lookback_days,
        inactivity_days=inactivity_days,
        segments=not reset_at_conversion,
    )
    if not reset_at_conversion:
        e = _with_carried(e, lookback_days).drop("seg", "_carried")
    jw = ibis.window(group_by=[e.person, e.journey])
    e = e.mutate(
        converted=e.cv.max().over(jw),
        jvalue=e.val.sum().over(jw),
        n_touch=(1 - e.cv).sum().over(jw),
        n_kept=e.in_window.cast("int64").sum().over(jw),
    )
    pw = ibis.window(
        group_by=[e.person, e.journey, e.in_window], order_by=[e.ts, e.channel, e.ttype]
    )
    e = e.mutate(_pos=ibis.row_number().over(pw))
    if max_touches is None:
        return e.mutate(keep=e.in_window, position=e._pos, length=e.n_kept).drop("_pos")
    m = int(max_touches)
    cut = ibis.greatest(e.n_kept - m, 0)
    return e.mutate(
        keep=e.in_window & (e._pos >= cut),
        position=e._pos - cut,
        length=ibis.least(e.n_kept, m),
    ).drop("_pos")


def journey_summary(
    events, *, lookback_days, max_touches, inactivity_days, reset_at_conversion=True
):
    """One row per journey: ``person, journey, n_touch, n_kept, converted, value, path``,
    ``dup_touches, dup_conv, dup_value`` (what copies of events held), and ``n_home,
    n_kept_home``: the touches of the journey itself, and those inside its window.

    ``events`` may hold duplicates (events identical in every column): they are
    recognised in the same sort (see :func:`_journey_rows`), left out and
    counted, so no deduplicating group-by is needed. A journey made only of
    copies of a conversion has every count 0 except ``dup_*``.

    ``path`` is the array of the kept touches' channels in journey order (after
    the lookback window and ``max_touches``); ``n_kept`` counts the touches in the
    lookback window (before ``max_touches``). One sort of the events and one hash
    aggregation: no per-journey sort.

    With ``reset_at_conversion=True`` (journeys end at each conversion) ``n_home``
    and ``n_kept_home`` equal ``n_touch`` and ``n_kept``. With ``False``, ``path``
    and ``n_kept`` also count the touches :func:`_carried` takes over from earlier
    journeys, and ``n_touch`` of a converting journey adds every touch of the
    person's earlier journeys in its inactivity segment (so a conversion is "with
    no touch" only when no touch at all comes before it in the segment).
    """
    import ibis

    e = _journey_rows(
        events,
        lookback_days=lookback_days,
        inactivity_days=inactivity_days,
        mark_duplicates=True,
        segments=not reset_at_conversion,
    )
    own = ibis.literal(1, type="int64")
    if not reset_at_conversion:
        e = _with_carried(e, lookback_days)
        own = 1 - e._carried
    real = 1 - e._dup
    kept = e.in_window & (e._dup == 0)
    aggs = dict(
        dup_touches=(e._dup * (1 - e.cv)).sum(),
        dup_conv=(e._dup * e.cv).sum(),
        dup_value=(e._dup * e.val).sum(),
        n_touch=(real * (1 - e.cv) * own).sum(),
        n_kept=kept.cast("int64").sum(),
        converted=(real * e.cv).max(),
        value=(real * e.val).sum(),
        # (time, channel) structs sort in journey order: kept touches are unique in both
        _steps=ibis.struct({"t": e.ts, "c": e.channel}).collect(where=kept),
    )
    if not reset_at_conversion:
        aggs["n_kept_home"] = (kept.cast("int64") * own).sum()
        aggs["seg"] = e.seg.max()
    s = e.group_by(["person", "journey"]).agg(**aggs)
    if reset_at_conversion:
        s = s.mutate(n_home=s.n_touch, n_kept_home=s.n_kept)
    else:
        # touches of the earlier journeys of the segment (any age): a conversion after
        # them is not "with no touch" even when its window leaves none of them
        upto = ibis.window(group_by=[s.person, s.seg], order_by=s.journey, rows=(None, 0))
        prior = s.n_touch.sum().over(upto) - s.n_touch
        s = s.mutate(
            n_home=s.n_touch,
            n_touch=s.n_touch + (s.converted == 1).ifelse(prior, 0),
        ).drop("seg")
    path = s._steps.sort().map(lambda x: x.c)
    if max_touches is not None:
        path = path[ibis.greatest(s.n_kept - int(max_touches), 0) :]
    return s.mutate(path=path).drop("_steps")


def in_partition(events, i: int, partitions: int):
    """The events of the people in hash partition ``i`` of ``partitions``.

    Every person falls in exactly one partition (a hash of the id, made
    non-negative whatever the engine's hash type), so journeys never straddle two.
    """
    k = int(partitions)
    return events.filter(((events.person.hash() % k) + k) % k == i)


@contextmanager
def partition_files(engine: Engine, events, partitions: int):
    """Write ``events`` once to Parquet files split by hash partition of the people (DuckDB).

    Yields the partitions as Ibis tables reading their own files (empty ones
    are left out); the files are deleted afterwards. They go to DuckDB's
    ``temp_directory`` when it is set, else to the system's temporary folder.
    """
    k = int(partitions)
    spill = engine.con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    parent = spill if spill and os.path.isdir(spill) else None
    folder = tempfile.mkdtemp(prefix="pathcredit-partitions-", dir=parent)
    try:
        part = events.mutate(_part=((events.person.hash() % k) + k) % k)
        target = folder.replace("'", "''")
        engine.con.raw_sql(
            f"COPY ({engine.con.compile(part)}) TO '{target}' "
            "(FORMAT parquet, PARTITION_BY (_part), OVERWRITE_OR_IGNORE)"
        )
        tables = (
            engine.con.read_parquet(os.path.join(folder, f"_part={i}", "*.parquet"))
            for i in range(k)
            if os.path.isdir(os.path.join(folder, f"_part={i}"))
        )
        yield (t.select(*EVENT_COLUMNS) for t in tables)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def merge_path_tables(parts):
    """Merge :func:`path_table` parts (over disjoint sets of people) path by path."""
    out = parts.group_by("path").agg(
        conversions=parts.conversions.sum(),
        journeys=parts.journeys.sum(),
        values=parts["values"].collect().flatten(),
    )
    return final_paths(out)


def path_table(summary):
    """Distinct paths (arrays of channel names) with ``conversions``, ``journeys`` and
    ``values``, the array of the non-zero conversion values of their journeys.

    ``summary`` is a :func:`journey_summary` table. The values are not summed
    here: a float sum inside the engine follows its thread schedule and changes
    in the last bits from run to run (see :func:`final_paths`).
    """
    per = summary.filter(summary.n_kept > 0)
    return per.group_by("path").agg(
        conversions=per.converted.sum(),
        journeys=per.count(),
        values=per.value.collect(where=per.value != 0),
    )


def final_paths(table):
    """The path table in path order with each path's ``values`` sorted, so that
    :func:`path_values` adds them up in the same order on every engine, run and
    number of partitions (byte-identical output)."""
    return table.mutate(values=table["values"].sort()).order_by("path")


def path_values(table):
    """Per row of a :func:`final_paths` Arrow table, the sum of ``values`` in array order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.column("values")
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    lengths = pc.fill_null(pc.list_value_length(col), 0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(col).to_numpy(zero_copy_only=False).astype(np.float64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    # bincount adds each row's values one after the other, in array (sorted) order
    return np.bincount(rows, weights=flat, minlength=len(lengths))
