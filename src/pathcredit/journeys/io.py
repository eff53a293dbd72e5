"""Reading aggregated paths (ChannelAttribution's format) from frames and files.

Two readers give the same answer. The fast one (:func:`_read_fast`) parses a CSV file in
blocks with ``pyarrow.csv.open_csv`` (or takes a Parquet file's record batches, or slices
a DataFrame) while a worker thread splits the previous block with Arrow's compiled
kernels (``split_pattern``, ``dictionary_encode``); it checks the counts in bulk and,
on anything unusual, gives up without a word. The batch-by-batch reader then reads the
input from the top (pieces of half a megabyte cut at line ends, numpy splitting) and
finds, names and refuses the first bad row, so every error message comes from it. Both
drop each batch's path strings once they are channel codes, so peak memory stays close
to the size of the :class:`Journeys` returned (see ``benchmarks/read_paths``).
"""

from __future__ import annotations

import csv
import ctypes
import decimal
import errno
import numbers
import os
import re
import stat
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ._core import Journeys, _path_hashes
from ._engine import file_kind

__all__ = ["read_paths"]

#: Separators we look for when the requested one never occurs.
_LIKELY_SEPARATORS = (">", "|", ",", ";", "->", "/", "~", "\t")
#: Rows per batch for frames and Parquet files (about 70,000 touches of typical paths).
_BATCH_ROWS = 1 << 13
#: Bytes per CSV piece (cut at a line end).
_CSV_PIECE = 1 << 19


def read_paths(
    source,
    *,
    sep: str = ">",
    path_col: str = "path",
    conversions_col: str = "total_conversions",
    value_col: str | None = "total_conversion_value",
    nulls_col: str | None = "total_null",
    file_sep: str | None = None,
) -> Journeys:
    """Read aggregated conversion paths: one row per distinct path with its counts.

    The default column names are those of ChannelAttribution and its example data.
    Channel names are trimmed of surrounding whitespace; duplicate path rows are
    merged (counts summed); fractional counts are kept exactly.

    Parameters
    ----------
    source : pandas.DataFrame, polars.DataFrame, str or path-like
        A frame, or a ``.csv`` / ``.tsv`` / ``.parquet`` file (UTF-8 text; a path
        such as ``NA`` or ``null`` is a channel name). Files are recognised by
        their leading bytes: Parquet, and CSV compressed with gzip, bzip2 or zstd,
        are read whatever their name; Excel workbooks and zip archives are refused
        with a message saying what to do.
    sep : str, default ``">"``
        Separator between channels in a path; may be several characters.
    path_col, conversions_col : str
        Names of the path and conversions columns (required).
    value_col : str or None, default ``"total_conversion_value"``
        Conversion value column. Used when present; when this is the default name
        and the column is absent the journeys simply carry no value. An explicitly
        named column that is missing is an error.
    nulls_col : str or None, default ``"total_null"``
        Non-converting journeys per path, handled like ``value_col``. Without it
        every recorded journey converted, which data-driven models must be told.
    file_sep : str, optional
        Field delimiter of a CSV file, one character; sniffed from the header when
        omitted (ChannelAttribution's own example file uses ``;``).

    Returns
    -------
    Journeys

    Raises
    ------
    InputError
        No data rows; missing or duplicated columns; negative, infinite, NaN or
        non-numeric counts, or counts whose sum overflows; an empty path or channel
        name; counts on a row without a path; value on a row without conversions; a
        separator that never occurs while another one does; a file that is not
        UTF-8 CSV or Parquet (a directory, an empty or binary file).
        The message names the source, column, row (0-based data row) and value.

    Notes
    -----
    Time and memory are linear in the input. Peak memory above the caller's is
    below twice the size of the returned arrays for CSV files; for Parquet files it is
    higher (pyarrow decodes a whole row group at a time): see ``benchmarks/read_paths``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"path": ["A > B", "B", "A>B"], "total_conversions": [1, 2, 0.5]})
    >>> j = read_paths(df)
    >>> j.path_strings(), j.conversions.tolist()
    (['A > B', 'B'], [1.5, 2.0])
    """
    if not isinstance(sep, str) or sep == "":
        raise InputError("the path separator must be a non-empty string", value=sep)
    src = _open(source, file_sep)
    name = src.name
    default_value = value_col == "total_conversion_value"
    default_nulls = nulls_col == "total_null"
    required = [path_col, conversions_col]
    if value_col is not None and not (default_value and value_col not in src.columns):
        required.append(value_col)
    else:
        value_col = None
    if nulls_col is not None and not (default_nulls and nulls_col not in src.columns):
        required.append(nulls_col)
    else:
        nulls_col = None
    missing = [c for c in required if c not in src.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the columns are {_show_columns(src.columns)}",
            source=name,
            column=missing[0],
        )
    for col in required:
        k = sum(1 for c in src.columns if c == col)
        if k > 1:
            raise InputError(
                f"{k} columns have this name; rename or drop all but one",
                source=name,
                column=col,
            )
    count_cols = [c for c in (conversions_col, value_col, nulls_col) if c is not None]
    fast = _read_fast(src, required, sep, path_col, conversions_col, value_col, nulls_col)
    if fast is not None:
        return fast
    # something is unusual (or wrong) in the data: the batch-by-batch reader below finds
    # and names it, or reads what the fast reader does not take on
    builder = _PathBuilder(sep, name, path_col)
    numbers: dict[str, list[np.ndarray]] = {c: [] for c in count_cols}
    running = dict.fromkeys(count_cols, 0.0)
    row0 = 0
    for batch in src.batches(required):
        paths, counts = batch[0], dict(zip(required[1:], batch[1:], strict=True))
        n = len(paths)
        for col in count_cols:
            x = _numeric(counts[col], name, col, row0)
            running[col] = _check_total(x, running[col], name, col, row0)
            numbers[col].append(x)
        conv = numbers[conversions_col][-1]
        if value_col is not None:
            value = numbers[value_col][-1]
            bad = np.flatnonzero((value != 0) & (conv == 0))
            if len(bad):
                raise InputError(
                    "conversion value on a row with no conversions",
                    source=name,
                    column=value_col,
                    row=row0 + int(bad[0]),
                    value=float(value[bad[0]]),
                )
        nulls = None if nulls_col is None else numbers[nulls_col][-1]
        builder.add(paths, conv, nulls, row0)
        row0 += n
    del src
    if row0 == 0:
        raise InputError("no paths: the input has no data rows", source=name)
    _release_freed_memory()
    touches, offsets, channels = builder.finish()
    columns = {c: _concat(numbers.pop(c)) for c in count_cols}
    _release_freed_memory()
    return Journeys(
        channels,
        touches,
        offsets,
        columns[conversions_col],
        None if value_col is None else columns[value_col],
        None if nulls_col is None else columns[nulls_col],
        source=name,
    )


# ---------------------------------------------------------------------- fast reader
class _Unusual(Exception):
    """Raised inside the fast reader: leave this input to the batch-by-batch reader."""


def _read_fast(src, cols, sep, path_col, conversions_col, value_col, nulls_col):
    """The whole read in compiled Arrow kernels, or ``None`` when anything is unusual.

    One pass per batch of about a megabyte: ``split_pattern`` cuts the paths,
    ``dictionary_encode`` numbers the raw channel names, and only the dictionary (a few
    dozen names) is trimmed and merged in Python. Counts must already be numbers (the
    CSV parser types them as float64) that are finite and >= 0. Nothing is raised here:
    on an empty or whitespace-padded name, a missing path, a count that is not a plain
    finite number, an overflowing sum, a value without conversions, a file that does
    not parse, or a separator that begins or ends in whitespace (then each whole path
    is trimmed before splitting), the caller runs the batch-by-batch reader, which
    finds the first such row and names it. The answer is the same either way: the
    tests compare both readers.
    """
    import pyarrow as pa

    if sep != sep.strip() or not _FAST_READER:
        return None
    # everything Arrow allocates meanwhile (also the input stream's and the CSV reader's
    # own buffers, which take no pool argument) comes from the system allocator, which
    # gives freed memory back; the default pool keeps it (about 11 MiB on a 10 MB file)
    _system_pool_enter()
    try:
        batches = _fast_batches(src, cols)
        if batches is None:
            return None
        return _fast_journeys(
            batches, src.name, cols, sep, path_col, conversions_col, value_col, nulls_col
        )
    except (_Unusual, InputError, pa.ArrowException, OSError, ValueError, TypeError):
        return None
    finally:
        _system_pool_exit()


_POOL_LOCK = threading.Lock()
_POOL_STATE: dict[str, Any] = {"depth": 0, "saved": None}


def _system_pool_enter() -> None:
    """Make the system allocator Arrow's default pool until the matching exit (reads in
    several threads at once restore the caller's pool when the last one ends)."""
    import pyarrow as pa

    with _POOL_LOCK:
        if _POOL_STATE["depth"] == 0:
            _POOL_STATE["saved"] = pa.default_memory_pool()
            pa.set_memory_pool(_pool())
        _POOL_STATE["depth"] += 1


def _system_pool_exit() -> None:
    import pyarrow as pa

    with _POOL_LOCK:
        _POOL_STATE["depth"] -= 1
        if _POOL_STATE["depth"] == 0:
            pa.set_memory_pool(_POOL_STATE["saved"])
            _POOL_STATE["saved"] = None


#: tests switch the fast reader off to compare it with the batch-by-batch one
_FAST_READER = True


def _fast_batches(src, cols):
    """An iterator of (paths, counts...) Arrow arrays, or None for sources it does not read."""
    import pyarrow as pa

    if isinstance(src, _CsvSource):
        if src.header_quoted:
            return None
        import pyarrow.csv as pcsv

        types = {c: (pa.string() if i == 0 else pa.float64()) for i, c in enumerate(cols)}
        stream = pa.input_stream(str(src.path), compression=src.compression)
        # Arrow parses the next blocks on its threads while this thread splits the last one
        reader = pcsv.open_csv(
            stream,
            memory_pool=_pool(),
            read_options=pcsv.ReadOptions(
                column_names=src.columns,
                skip_rows=1,
                block_size=_FAST_BLOCK,
                # parsed on this thread while the worker splits the last block: Arrow's
                # own threads would read blocks ahead and raise peak memory (see the
                # benchmark README), and the split is the slower half anyway
                use_threads=False,
            ),
            parse_options=pcsv.ParseOptions(delimiter=src.delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=cols,
                column_types=types,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

        def csv_batches():
            with stream:
                for rb in reader:
                    yield [rb.column(i) for i in range(len(cols))]

        return csv_batches()
    if isinstance(src, _ArrowSource):
        return src.batches(cols)
    if isinstance(src, _FrameSource):
        frame = src.frame
        series = [frame.iloc[:, src.columns.index(c)] for c in cols]
        counts = []
        for s in series[1:]:
            kind = getattr(s.dtype, "kind", "O")
            if kind not in "iufb":  # text, dates, complex...: the slow reader decides
                return None
            counts.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
        paths = pa.Array.from_pandas(series[0])
        if isinstance(paths, pa.ChunkedArray):
            paths = _one_chunk(paths)
        rows = _FAST_ROWS
        return (
            [paths.slice(a, rows)] + [c[a : a + rows] for c in counts]
            for a in range(0, len(paths), rows)
        )
    return None


#: bytes per block of CSV in the fast reader (larger blocks: higher peak memory)
_FAST_BLOCK = 1 << 18
#: rows per batch of a DataFrame in the fast reader
_FAST_ROWS = 1 << 16


def _fast_numbers(raw) -> np.ndarray:
    """Counts as float64 from a numeric Arrow or numpy array; _Unusual for anything else."""
    import pyarrow as pa

    if isinstance(raw, np.ndarray):
        return raw
    if isinstance(raw, pa.ChunkedArray):
        raw = _one_chunk(raw)
    t = raw.type
    if not (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
    ):
        raise _Unusual
    if raw.null_count:
        raise _Unusual
    return raw.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)


def _fast_journeys(batches, name, cols, sep, path_col, conversions_col, value_col, nulls_col):
    import pyarrow as pa

    count_cols = cols[1:]
    index: dict[str, int] = {}
    codes: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    numbers: dict[str, list[np.ndarray]] = {c: [] for c in count_cols}
    totals = dict.fromkeys(count_cols, 0.0)
    hashes: list[np.ndarray] = []
    n_rows = n_touches = 0

    def add(per_path, local, raw_names):
        nonlocal n_rows, n_touches
        if "" in raw_names:
            raise _Unusual  # an empty channel name or path: the slow reader says where
        to_global = np.fromiter(
            (index.setdefault(c, len(index)) for c in raw_names),
            dtype=np.int32,
            count=len(raw_names),
        )
        k = len(index)
        small = np.uint8 if k <= 1 << 8 else np.uint16 if k <= 1 << 16 else np.int32
        mine = to_global.astype(small)[local]
        codes.append(mine)
        lengths.append(per_path)
        # codes by first appearance are the same in every batch: equal paths, equal hashes
        starts = np.zeros(len(per_path) + 1, dtype=np.int64)
        np.cumsum(per_path, out=starts[1:])
        hashes.append(_path_hashes(mine, starts, per_path))
        n_rows += len(per_path)
        n_touches += len(local)

    # one worker thread splits a batch while this thread checks the counts of the next
    # and Arrow's threads parse the one after (the kernels release the GIL)
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=1) as worker:
        for batch in batches:
            paths = batch[0]
            if isinstance(paths, pa.ChunkedArray):
                paths = _one_chunk(paths)
            if not (pa.types.is_string(paths.type) or pa.types.is_large_string(paths.type)):
                raise _Unusual
            if paths.null_count or len(paths) == 0:
                raise _Unusual
            pending.append(worker.submit(_split_kernels, paths, sep))
            with np.errstate(all="ignore"):
                for col, raw in zip(count_cols, batch[1:], strict=True):
                    x = _fast_numbers(raw)
                    total = totals[col] + float(x.sum())
                    if not (np.isfinite(total) and x.min() >= 0):  # NaN or inf: so is the sum
                        raise _Unusual
                    totals[col] = total
                    numbers[col].append(x)
            if value_col is not None:
                if (numbers[value_col][-1] != 0)[numbers[conversions_col][-1] == 0].any():
                    raise _Unusual
            del paths, batch
            if len(pending) > 1:
                add(*pending.popleft().result())
        while pending:
            add(*pending.popleft().result())
    if n_rows == 0:
        raise _Unusual
    _release_freed_memory()
    # the result's arrays one at a time, each part freed as soon as it is copied
    columns = {c: _concat(numbers.pop(c)) for c in count_cols}
    _release_freed_memory()  # the batches' count buffers, before the touches are allocated
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(_concat(lengths), out=offsets[1:])
    lengths.clear()
    every = _concat(hashes)
    hashes.clear()
    every.sort()
    distinct = not (every[1:] == every[:-1]).any()  # else Journeys merges (and checks)
    del every
    names = np.asarray(list(index), dtype=object)
    order = np.argsort(names, kind="stable")  # channel codes in sorted name order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    channels = names[order]
    flat = codes[0] if len(codes) == 1 else np.empty(n_touches, dtype=codes[-1].dtype)
    at = 0
    while len(codes) > 1 or (codes and codes[0] is not flat):
        c = codes.pop(0)
        flat[at : at + len(c)] = c
        at += len(c)
    codes.clear()
    if n_touches == n_rows:  # the separator never occurs: each path is one channel
        _check_separator(channels, rank[flat], sep, name, path_col)
    touches = rank[flat]
    del flat
    return Journeys(
        list(channels),
        touches,
        offsets,
        columns[conversions_col],
        None if value_col is None else columns[value_col],
        None if nulls_col is None else columns[nulls_col],
        source=name,
        merge=not distinct,
    )


def _split_kernels(paths, sep):
    """(touches per path, codes, trimmed names by code) of a batch, in Arrow kernels: the
    names are trimmed after numbering, on the dictionary of a few dozen raw names."""
    import pyarrow.compute as pc

    pool = _pool()
    lists = pc.split_pattern(paths, pattern=sep, memory_pool=pool)
    encoded = pc.dictionary_encode(pc.list_flatten(lists), memory_pool=pool)
    raw = pc.utf8_trim_whitespace(encoded.dictionary, memory_pool=pool).to_pylist()
    return np.diff(np.asarray(lists.offsets)), np.asarray(encoded.indices), raw


# ---------------------------------------------------------------------- sources
class _FrameSource:
    """A pandas DataFrame, sliced into batches (paths as Arrow text, counts as Series)."""

    def __init__(self, frame, name):
        self.frame = frame
        self.name = name
        self.columns = list(frame.columns)

    def batches(self, cols):
        frame = self.frame
        n = len(frame)
        # positions, not labels: the labels were checked to be unique
        series = [frame.iloc[:, self.columns.index(c)] for c in cols]
        paths = _pandas_text(series[0], self.name, cols[0])
        for a in range(0, n, _BATCH_ROWS):
            b = min(n, a + _BATCH_ROWS)
            yield [paths.slice(a, b - a)] + [s.iloc[a:b] for s in series[1:]]


class _ArrowSource:
    """An Arrow table (from polars) or a Parquet file, read in record batches."""

    def __init__(self, name, columns, batches):
        self.name = name
        self.columns = columns
        self._batches = batches

    def batches(self, cols):
        for rb in self._batches(cols):
            yield [rb.column(i) for i in range(len(cols))]


class _CsvSource:
    """A CSV file: header sniffed and parsed here, data cut into pieces at line ends."""

    def __init__(self, path: Path, name: str, compression, file_sep):
        import pyarrow as pa

        self.path = path
        self.name = name
        self.compression = compression
        try:
            self.stream = pa.input_stream(str(path), compression=compression)
            first = self._first_line()
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"cannot read file: {_first_line(exc)}", source=name) from exc
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        if first.strip() == b"":
            raise InputError("empty file: expected a CSV header line", source=name)
        if b"\x00" in first:
            raise InputError("not a text file (NUL bytes); expected CSV or Parquet", source=name)
        try:
            header = first.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the header is not UTF-8 text (byte {exc.start})", source=name, value=first[:60]
            ) from None
        if file_sep is None:
            file_sep = "\t" if ".tsv" in "".join(path.suffixes).lower() else _sniff(header)
        if not isinstance(file_sep, str) or len(file_sep) != 1 or file_sep in '\r\n"':
            raise InputError(
                "file_sep must be one character (not a quote or newline)", value=file_sep
            )
        self.delimiter = file_sep
        self.header_quoted = b'"' in first
        try:
            self.columns = next(csv.reader([header], delimiter=file_sep, quotechar='"'), [])
        except csv.Error as exc:
            raise InputError(f"cannot read the header: {exc}", source=name) from None

    def _first_line(self) -> bytes:
        """The header line (ended by \\n, \\r\\n or a lone \\r, as Arrow ends lines)."""
        buf = b""
        while True:
            chunk = self.stream.read(1 << 16)
            buf += chunk
            cut = buf.find(b"\n")
            if cut >= 0 or not chunk:
                break
        cut = len(buf) if cut < 0 else cut
        cr = buf.find(b"\r", 0, cut)
        if cr >= 0:
            cut = cr + 1 if buf[cr + 1 : cr + 2] == b"\n" else cr
        self.rest = buf[cut + 1 :]
        return buf[:cut]

    def batches(self, cols):
        import pyarrow as pa

        rest = self.rest
        self.rest = b""
        row0 = 0
        with self.stream:
            eof = False
            while not eof:
                try:
                    chunk = self.stream.read(_CSV_PIECE)
                except (OSError, pa.ArrowException) as exc:
                    raise InputError(
                        f"cannot read file: {_first_line(exc)}", source=self.name
                    ) from exc
                eof = not chunk
                data = rest + chunk
                quoted = b'"' in data
                if quoted:  # a quoted value may hold a line end: parse all the rest at once
                    data += self.stream.read()
                    eof = True
                cut = len(data) if eof else data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a piece
                    rest = data
                    continue
                piece, rest = data[:cut], data[cut:]
                del data
                if piece.strip():
                    table = self._parse(piece, cols, row0, quoted)
                    del piece
                    row0 += table.num_rows
                    for rb in table.to_batches(max_chunksize=_BATCH_ROWS):
                        yield [rb.column(i) for i in range(len(cols))]
                    del table

    def _parse(self, piece: bytes, cols, row0: int, quoted: bool):
        import pyarrow as pa
        import pyarrow.csv as pcsv

        def parse(types):
            return pcsv.read_csv(
                pa.py_buffer(piece),
                memory_pool=_pool(),
                read_options=pcsv.ReadOptions(column_names=self.columns, use_threads=False),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=quoted,
                ),
                convert_options=pcsv.ConvertOptions(
                    include_columns=cols,
                    column_types=types,
                    null_values=[""],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )

        typed = {c: (pa.string() if i == 0 else pa.float64()) for i, c in enumerate(cols)}
        try:
            return parse(typed)
        except pa.ArrowInvalid as exc:
            ragged = re.search(r"Row #(\d+): Expected (\d+) columns, got (\d+): (.*)", str(exc))
            if ragged:
                number, expected, found, text = ragged.groups()
                raise InputError(
                    f"expected {expected} fields, found {found}",
                    source=self.name,
                    row=row0 + int(number) - 1,
                    value=text[:80],
                ) from None
            if "conversion error" not in str(exc):
                raise InputError(
                    f"cannot read file: {_first_line(exc)}", source=self.name
                ) from None
        # a value that is not a plain number or not UTF-8: read the piece as bytes, so that
        # the batch checks find and name it (counts go through pandas.to_numeric)
        try:
            return parse(dict.fromkeys(cols, pa.binary()))
        except pa.ArrowInvalid as exc:
            raise InputError(f"cannot read file: {_first_line(exc)}", source=self.name) from None


def _open(source, file_sep):
    """The source as an object with ``name``, ``columns`` and ``batches(columns)``."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return _FrameSource(source, "DataFrame")
    if type(source).__module__.split(".")[0] == "polars":
        table = source.to_arrow()
        return _ArrowSource(
            "polars DataFrame",
            list(table.column_names),
            lambda cols: table.select(cols).to_batches(max_chunksize=_BATCH_ROWS),
        )
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = str(source)
        mode = _file_mode(path, name)
        suffixes = "".join(path.suffixes).lower()
        parquet = suffixes.endswith((".parquet", ".pq"))
        if stat.S_ISDIR(mode):
            if not parquet:
                raise InputError("is a directory; expected a CSV or Parquet file", source=name)
        elif not stat.S_ISREG(mode):
            # opening a named pipe waits for a writer, a device may never end: refuse both
            raise InputError(
                f"not a regular file ({_special_kind(mode)}); expected a CSV or Parquet file",
                source=name,
            )
        compression = None
        if not parquet and path.is_file():
            kind = file_kind(path)
            if kind in _REFUSED_PATH_FILES:
                raise InputError(_REFUSED_PATH_FILES[kind], source=name)
            parquet = kind == "parquet"
            compression = kind if kind in ("gzip", "bz2", "zstd") else None
        if parquet:
            return _parquet_source(path, name)
        return _CsvSource(path, name, compression, file_sep)
    raise InputError(
        f"cannot read paths from a {type(source).__name__}; "
        "pass a pandas or polars DataFrame or a CSV/Parquet file"
    )


def _file_mode(path: Path, name: str) -> int:
    """``st_mode`` of the file (following links), or an InputError saying why there is none."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("file not found", source=name) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            longest = max((len(os.fsencode(p)) for p in path.parts), default=0)
            raise InputError(
                f"the file name is longer than the system allows ({len(os.fsencode(name))} "
                f"bytes, longest part {longest} bytes)",
                source=name[:80] + "..." if len(name) > 80 else name,
            ) from None
        if exc.errno == errno.ENOTDIR:
            raise InputError(
                "file not found (a part of the path is not a folder)", source=name
            ) from None
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=name) from None


def _special_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return "not a file or folder"


#: Files told apart by their leading bytes that are not read, and what to do instead
#: (gzip, bzip2 and zstd CSV files are read as they are).
_REFUSED_PATH_FILES = {
    "xlsx": "an Excel workbook (.xlsx), not CSV or Parquet: save the sheet as CSV (UTF-8) "
    "or export it to Parquet",
    "xls": "an Excel 97-2003 workbook (.xls), not CSV or Parquet: save the sheet as CSV "
    "(UTF-8) or export it to Parquet",
    "zip": "a zip archive, not CSV or Parquet: unzip it and pass the file inside (gzip-, "
    "bzip2- and zstd-compressed CSV files are read as they are)",
}


def _parquet_source(path: Path, name: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.is_dir():
            dataset = pq.ParquetDataset(str(path))
            schema = dataset.schema

            def batches(cols):
                return dataset.read(columns=cols).to_batches(max_chunksize=_BATCH_ROWS)
        else:
            # no pre-buffering, 1 MiB reads, small batches (the Parquet reader allocates from
            # Arrow's default pool, which keeps freed memory: see the benchmark README)
            pfile = pq.ParquetFile(str(path), pre_buffer=False, buffer_size=1 << 20)
            schema = pfile.schema_arrow

            def batches(cols):
                try:
                    yield from pfile.iter_batches(
                        batch_size=_BATCH_ROWS, columns=cols, use_threads=False
                    )
                except (OSError, pa.ArrowException) as exc:
                    raise InputError(f"cannot read file: {_first_line(exc)}", source=name) from exc
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read file: {_first_line(exc)}", source=name) from exc
    return _ArrowSource(name, list(schema.names), batches)


def _release_freed_memory() -> None:
    """Give the heap memory freed by the batches back to the OS before the result is built.

    glibc keeps freed mid-size blocks (the batches' temporaries) resident; without this
    the result is allocated on top of them and peak memory is about 10 MiB higher on a
    10 MB file. A no-op where ``malloc_trim`` does not exist."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:  # the process's own symbols (not ctypes.util.find_library: 40 ms, runs ldconfig)
            _MALLOC_TRIM = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError, TypeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None  # libc's malloc_trim, False where there is none


def _pool():
    """Arrow memory for the reader's short-lived buffers: the system allocator, which gives
    freed pieces back; the default mimalloc pool keeps them resident (about 8 MiB more
    peak memory on a 10 MB file)."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _show_columns(columns) -> str:
    shown = [str(c)[:40] for c in columns[:12]]
    more = f" and {len(columns) - 12} more" if len(columns) > 12 else ""
    return f"{shown}{more}"


def _sniff(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


# ---------------------------------------------------------------------- counts
def _numeric(raw, name, col, row0) -> np.ndarray:
    """Counts as float64 (Arrow array or pandas Series), refusing bad values by row."""
    import pyarrow as pa

    if isinstance(raw, pa.ChunkedArray):
        raw = _one_chunk(raw)
    if isinstance(raw, pa.Array):
        t = raw.type
        if pa.types.is_dictionary(t):
            raw = raw.dictionary_decode()
            t = raw.type
        if pa.types.is_null(t):
            values = np.full(len(raw), np.nan)
        elif (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_boolean(t)
            or pa.types.is_decimal(t)
        ):
            values = raw.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        elif _is_text(t):
            if pa.types.is_binary(t) or pa.types.is_large_binary(t):
                raw = _utf8(raw, name, col, row0)
            values = _to_numeric(raw.to_pandas())
        else:  # timestamps, durations, dates, lists...: pandas would read a time as a number
            _not_a_number(raw, str(t), name, col, row0)
            raise AssertionError("unreachable")  # pragma: no cover

        def at(i):
            return raw[i].as_py()
    else:
        _check_count_dtype(raw, name, col, row0)
        values = _to_numeric(raw)

        def at(i):
            v = raw.iloc[i]
            return v.item() if hasattr(v, "item") else v

    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        i = int(bad[0])
        x = values[i]
        what = (
            "negative"
            if np.isfinite(x)
            else "infinite"
            if np.isinf(x)
            else "missing, NaN or non-numeric"
        )
        v = at(i)
        raise InputError(
            f"{what} count; counts must be finite and >= 0",
            source=name,
            column=col,
            row=row0 + i,
            value=None if v is None or (isinstance(v, float) and np.isnan(v)) else v,
        )
    return values


def _is_text(t) -> bool:
    import pyarrow as pa

    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
    )


def _not_a_number(raw, kind: str, name, col, row0) -> None:
    """Refuse a count column of a type that is not a number (or text holding numbers)."""
    valid = np.flatnonzero(np.asarray(raw.is_valid()))
    i = int(valid[0]) if len(valid) else 0
    v = raw[i].as_py() if len(raw) else None
    raise InputError(
        f"counts must be numbers, not {kind}",
        source=name,
        column=col,
        row=row0 + i,
        value=v,
    )


#: Python types an object count column may hold: real numbers, and text that pandas parses
_PLAIN_COUNT_TYPES = (str, bytes, numbers.Real, decimal.Decimal)


def _check_count_dtype(series, name, col, row0) -> None:
    """Refuse pandas count columns that pandas.to_numeric would read as numbers though they
    are not counts: complex numbers (their imaginary part would be dropped), datetimes and
    timedeltas (read as nanoseconds), periods (read as their ordinal), and object columns
    holding such values."""
    import pandas as pd

    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    refused = kind in "cMm" or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype)
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories.dtype
        refused = getattr(cats, "kind", "O") in "cMm" or isinstance(
            cats, pd.PeriodDtype | pd.IntervalDtype
        )
    if refused:
        notna = np.flatnonzero(series.notna().to_numpy())
        i = int(notna[0]) if len(notna) else 0
        v: Any = series.iloc[i] if len(series) else None
        if isinstance(v, np.generic):  # a numpy complex or datetime64 scalar: a Python value
            v = v.item()
        raise InputError(
            f"counts must be numbers, not {dtype}",
            source=name,
            column=col,
            row=row0 + i,
            value=v,
        )
    if kind == "O" and not isinstance(dtype, pd.CategoricalDtype):
        for i, v in enumerate(series.array):
            if v is None or isinstance(v, _PLAIN_COUNT_TYPES) or _isna(v):
                continue  # a missing value is refused later, as missing
            raise InputError(
                f"counts must be numbers, not {type(v).__name__}",
                source=name,
                column=col,
                row=row0 + i,
                value=v,
            )


def _to_numeric(series) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _check_total(x, before: float, name, col, row0) -> float:
    """Running total of a count column; refuse the row where it overflows to infinity.

    Merging duplicate paths adds counts in row order, so a finite running total
    guarantees finite merged counts too."""
    if len(x) == 0:
        return before
    with np.errstate(over="ignore"):
        total = before + float(np.sum(x))
        if np.isfinite(total):
            return total
        running = before + np.cumsum(x)
    i = int(np.flatnonzero(~np.isfinite(running))[0])
    raise InputError(
        "counts sum past the largest float (about 1.8e308); rescale the column",
        source=name,
        column=col,
        row=row0 + i,
        value=float(x[i]),
    )


def _concat(parts):
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# ---------------------------------------------------------------------- paths
def _pandas_text(paths, name, path_col):
    """A pandas path column as one Arrow text array (no Python str objects when avoidable)."""
    import pyarrow as pa

    try:
        strings = pa.Array.from_pandas(paths)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        values = paths.astype(object)
        not_text = np.array(
            [v is not None and not _isna(v) and not isinstance(v, str) for v in values]
        )
        row = int(np.flatnonzero(not_text)[0])
        found = values.iloc[row]
        found = found.item() if isinstance(found, np.generic) else found
        raise InputError(
            f"paths must be text such as 'display > email', not {type(found).__name__}",
            source=name,
            column=path_col,
            row=row,
            value=found,
        ) from None
    return _text(strings, name, path_col, 0)


def _isna(v) -> bool:
    try:
        return bool(v != v)
    except Exception:  # noqa: BLE001 - objects without comparison are not NA
        return False


def _text(strings, name, path_col, row0):
    """An Arrow string or large_string array, or an InputError naming the first non-text row."""
    import pyarrow as pa

    if isinstance(strings, pa.ChunkedArray):
        # large columns (Arrow-backed pandas strings, or a > 2 GiB conversion) come in chunks
        strings = _one_chunk(strings)
    t = strings.type
    if pa.types.is_dictionary(t):
        strings = strings.dictionary_decode()
        t = strings.type
    if pa.types.is_string_view(t):
        strings = strings.cast(pa.large_string())
    elif pa.types.is_null(t):
        strings = pa.nulls(len(strings), pa.string())
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        strings = _utf8(strings, name, path_col, row0)
    t = strings.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        valid = np.flatnonzero(np.asarray(strings.is_valid()))
        if len(valid) == 0:  # no rows, or only missing paths (a frame gives them any type)
            return pa.nulls(len(strings), pa.string())
        row = int(valid[0])
        found = strings[row].as_py()
        raise InputError(
            f"paths must be text such as 'display > email', not {type(found).__name__}",
            source=name,
            column=path_col,
            row=row0 + row,
            value=found,
        )
    return strings


def _utf8(binary, name, col, row0):
    """Binary values as UTF-8 text, or an InputError naming the first row that is not."""
    import pyarrow as pa

    target = pa.large_string() if pa.types.is_large_binary(binary.type) else pa.string()
    try:
        return binary.cast(target)
    except pa.ArrowInvalid:
        pass
    for i, v in enumerate(binary.to_pylist()):
        try:
            if v is not None:
                v.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                source=name,
                column=col,
                row=row0 + i,
                value=v[:60],
            ) from None
    raise AssertionError("unreachable: Arrow refused UTF-8 that Python accepts")  # pragma: no cover


def _one_chunk(chunked):
    """One contiguous Arrow array from a chunked one (large_string when it must exceed 2 GiB)."""
    import pyarrow as pa

    if chunked.num_chunks == 1:
        return chunked.chunk(0)
    if chunked.num_chunks == 0:
        return pa.array([], type=chunked.type)
    if pa.types.is_string(chunked.type):
        chunked = chunked.cast(pa.large_string())
    return chunked.combine_chunks()


class _PathBuilder:
    """Splits batches of path strings into channel codes, numbered by first appearance."""

    def __init__(self, sep, name, path_col):
        self.sep = sep
        self.name = name
        self.path_col = path_col
        self.index: dict[str, int] = {}
        self.codes: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.sep_seen = False
        self.fast = _fast_separator(sep)

    def add(self, paths, conversions, nulls, row0) -> None:
        strings = _text(paths, self.name, self.path_col, row0)
        args = (strings, self.sep, conversions, nulls, self.name, self.path_col, row0)
        split = _split_numpy(*args) if self.fast else None
        if split is None:  # not handled by the fast splitter: the Arrow reference
            split = _split_arrow(*args)
        lengths, local, dictionary, sep_seen = split
        self.sep_seen |= sep_seen
        index = self.index
        to_global = np.fromiter(
            (index.setdefault(c, len(index)) for c in dictionary),
            dtype=np.int32,
            count=len(dictionary),
        )
        small = np.uint8 if len(index) <= 1 << 8 else np.uint16 if len(index) <= 1 << 16 else None
        self.codes.append(to_global[local] if small is None else to_global.astype(small)[local])
        self.lengths.append(lengths)

    def finish(self):
        names = np.asarray(list(self.index), dtype=object)
        order = np.argsort(names, kind="stable")  # channel codes in sorted name order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        n_touches = sum(len(c) for c in self.codes)
        touches = np.empty(n_touches, dtype=np.int64)
        at = 0
        while self.codes:
            c = self.codes.pop(0)
            touches[at : at + len(c)] = rank[c]
            at += len(c)
        offsets = np.zeros(sum(len(x) for x in self.lengths) + 1, dtype=np.int64)
        np.cumsum(_concat(self.lengths), out=offsets[1:])
        self.lengths = []
        channels = names[order]
        if not self.sep_seen:
            _check_separator(channels, touches, self.sep, self.name, self.path_col)
        return touches, offsets, list(channels)


def _split_arrow(strings, sep, conversions, nulls, name, path_col, row0):
    """Reference splitter in Arrow compute: (touches per path, codes, dictionary, sep seen)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pool = _pool()
    trimmed = pc.utf8_trim_whitespace(strings, memory_pool=pool)
    empty = np.asarray(pc.fill_null(pc.equal(pc.binary_length(trimmed), 0), True))
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        has_counts = conversions[i] > 0 or (nulls is not None and nulls[i] > 0)
        reason = "conversions on a row with no path" if has_counts else "empty path"
        raise InputError(
            reason, source=name, column=path_col, row=row0 + i, value=strings[i].as_py()
        )
    sep_seen = bool(pc.any(pc.match_substring(trimmed, sep)).as_py())
    lists = pc.split_pattern(trimmed, pattern=sep, memory_pool=pool)
    flat = pc.utf8_trim_whitespace(lists.flatten(), memory_pool=pool)
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    blank = np.flatnonzero(np.asarray(pc.equal(pc.binary_length(flat), 0)))
    if len(blank):
        row = int(np.searchsorted(offsets - offsets[0], blank[0], side="right") - 1)
        raise InputError(
            f"empty channel name (separator {sep!r} at an end or doubled)",
            source=name,
            column=path_col,
            row=row0 + row,
            value=strings[row].as_py(),
        )
    encoded = pc.dictionary_encode(flat, memory_pool=pool)
    dictionary = encoded.dictionary.to_pylist()
    codes = np.asarray(encoded.indices, dtype=np.int32)
    del encoded, flat, trimmed
    assert isinstance(lists, pa.Array)
    return np.diff(offsets), codes, dictionary, sep_seen


#: ASCII whitespace as Arrow's utf8_trim_whitespace sees it (also 0x1c-0x1f, like str.isspace)
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 0x1C, 0x1D, 0x1E, 0x1F, 32]] = True
#: most trimming steps and bytes per channel name the numpy splitter takes on
_MAX_TRIM = 16
_MAX_NAME = 64
#: _MASKS[k] keeps the first k bytes of a little-endian 64-bit word
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _fast_separator(sep: str) -> bool:
    """The numpy splitter handles ASCII separators without whitespace at either end whose
    occurrences cannot overlap (no proper prefix is also a suffix: '->' yes, '--' no)."""
    return (
        sep.isascii()
        and sep == sep.strip()
        and not any(_SPACE[ord(c)] for c in sep)
        and all(sep[:k] != sep[-k:] for k in range(1, len(sep)))
    )


def _split_numpy(strings, sep, conversions, nulls, name, path_col, row0):
    """Fast splitter in numpy on the bytes of an Arrow string array; same results and errors
    as :func:`_split_arrow`, or ``None`` for what it does not handle (nulls, a channel name
    with non-ASCII at an end, a name over 64 bytes, deep whitespace padding).

    Tokens are byte ranges between separator matches, trimmed by stepping over ASCII
    whitespace; a token of at most 64 bytes is at most eight little-endian 64-bit words,
    hashed to one integer, grouped by Arrow's integer hash table, and checked word by
    word against its group's first token, so a hash collision is detected, never merged."""
    import pyarrow as pa

    n = len(strings)
    if strings.null_count or n == 0:
        return None
    wide = pa.types.is_large_string(strings.type)
    _, obuf, dbuf = strings.buffers()
    o = np.frombuffer(obuf, dtype=np.int64 if wide else np.int32)[
        strings.offset : strings.offset + n + 1
    ]
    lo, hi = int(o[0]), int(o[-1])
    size = hi - lo
    ix = np.int32 if size < 2**31 - 64 else np.int64  # byte and token positions in the batch
    o = (o - o[0]).astype(ix)
    data = np.frombuffer(dbuf, dtype=np.uint8) if dbuf is not None else np.zeros(0, np.uint8)
    # a copy, zero-padded by at least 8 bytes, so that 64-bit words can be read anywhere
    b = np.zeros((size // 8 + 2) * 8, dtype=np.uint8)
    b[:size] = data[lo:hi]
    sb = np.frombuffer(sep.encode("ascii"), dtype=np.uint8)
    m = len(sb)
    hit = b[: size - m + 1] == sb[0] if size >= m else np.zeros(0, dtype=bool)
    for k in range(1, m if size >= m else 0):  # a separator longer than the text never occurs
        hit &= b[k : size - m + 1 + k] == sb[k]
    matches = np.flatnonzero(hit).astype(ix)
    del hit
    if m > 1 and len(matches):  # a match may not straddle two paths
        inside = np.searchsorted(o, matches, "right") == np.searchsorted(
            o, matches + m - 1, "right"
        )
        matches = matches[inside]
    per_path = np.diff(np.searchsorted(matches, o)).astype(ix)  # separators per path
    first = np.arange(n, dtype=ix)  # first token of each path
    first[1:] += np.cumsum(per_path[:-1], dtype=ix)
    t = n + len(matches)
    starts = np.empty(t, dtype=ix)
    ends = np.empty(t, dtype=ix)
    at_sep = np.arange(len(matches), dtype=ix) + np.repeat(np.arange(n, dtype=ix), per_path)
    starts[first] = o[:-1]
    starts[at_sep + 1] = matches + m
    ends[first + per_path] = o[1:]
    ends[at_sep] = matches
    for _ in range(_MAX_TRIM):  # trim the front ...
        step = _SPACE[b[starts]] & (starts < ends)
        if not step.any():
            break
        starts += step
    else:
        return None
    for _ in range(_MAX_TRIM):  # ... and the back
        step = _SPACE[b[ends - 1]] & (starts < ends)
        if not step.any():
            break
        ends -= step
    else:
        return None
    lengths = ends - starts
    blank = lengths == 0
    if b.max() >= 0x80:  # UTF-8 beyond ASCII: a name may start or end in Unicode whitespace
        named = ~blank
        if (b[starts[named]] >= 0x80).any() or (b[ends[named] - 1] >= 0x80).any():
            return None
    if blank.any():
        single_blank = blank[first] & (per_path == 0)
        if single_blank.any():
            i = int(np.flatnonzero(single_blank)[0])
            has_counts = conversions[i] > 0 or (nulls is not None and nulls[i] > 0)
            reason = "conversions on a row with no path" if has_counts else "empty path"
            raise InputError(
                reason, source=name, column=path_col, row=row0 + i, value=strings[i].as_py()
            )
        row = int(np.searchsorted(first, np.flatnonzero(blank)[0], side="right") - 1)
        raise InputError(
            f"empty channel name (separator {sep!r} at an end or doubled)",
            source=name,
            column=path_col,
            row=row0 + row,
            value=strings[row].as_py(),
        )
    longest = int(lengths.max())
    if longest > _MAX_NAME:
        return None
    codes = _encode_tokens(b, size, starts, lengths, longest)
    rep = np.empty(int(codes.max()) + 1, dtype=ix)
    rep[codes[::-1]] = np.arange(t - 1, -1, -1, dtype=ix)  # first token of every name
    dictionary = [bytes(b[starts[r] : ends[r]]).decode("utf-8") for r in rep]
    return np.diff(np.concatenate([first, [t]])), codes, dictionary, len(matches) > 0


def _encode_tokens(b, size, starts, lengths, longest) -> np.ndarray:
    """Exact integer codes of byte strings (at most 64 bytes), numbered by first appearance.

    A name is read as little-endian 64-bit words (``b`` is padded by at least 8 bytes past
    ``size``); Arrow's integer hash table numbers the
    first word (with the length in its top byte when every name fits in 7 bytes, else
    numbered together with the length next), then each further word together with the
    number so far: ``(number << 32) | word number``, exact at every step."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pool = _pool()

    def number(keys):
        return np.asarray(pc.dictionary_encode(pa.array(keys), memory_pool=pool).indices)

    # row i of `windows` is the 8 bytes from byte i (a view; a row gather copies 8 bytes)
    windows = np.lib.stride_tricks.as_strided(b, shape=(size + 1, 8), strides=(1, 1))
    codes: Any = None
    for k in range(0, longest, 8):
        at = starts if k == 0 else np.minimum(starts + k, size)
        word = windows[at].view("<u8")[:, 0]
        word &= _MASKS[np.minimum(lengths, 8) if k == 0 else np.clip(lengths - k, 0, 8)]
        if k == 0:
            if longest <= 7:
                word |= lengths.astype(np.uint64) << np.uint64(56)
                codes = number(word)
            else:
                codes = number(
                    (number(word).astype(np.uint64) << np.uint64(8)) | lengths.astype(np.uint64)
                )
        else:
            word_code = number(word).astype(np.uint64)
            codes = number((codes.astype(np.uint64) << np.uint64(32)) | word_code)
    return codes.astype(np.int32, copy=False)


def _check_separator(channels, touches, sep, name, path_col) -> None:
    """The separator never occurs, so every path is one channel: ``channels[touches[row]]``.

    Refuse when a likely separator, also one overlapping ``sep`` (``'>'`` when
    ``sep='->'``), occurs in at least a tenth of the paths."""
    n = len(touches)
    best = None  # most paths, then the longest: '->' rather than the '>' inside it
    for other in _LIKELY_SEPARATORS:
        if other == sep:
            continue
        contains = np.fromiter((other in c for c in channels), dtype=bool, count=len(channels))
        hits = contains[touches]
        k = int(hits.sum())
        if k >= max(1, n // 10) and (best is None or (k, len(other)) > best[:2]):
            best = (k, len(other), other, int(np.flatnonzero(hits)[0]))
    if best is not None:
        k, _, other, i = best
        raise InputError(
            f"the separator {sep!r} never occurs, but {other!r} occurs in "
            f"{k} of {n} paths; pass sep={other!r}",
            source=name,
            column=path_col,
            row=i,
            value=str(channels[touches[i]]),
        )
