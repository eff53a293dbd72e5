"""Reading aggregated paths (ChannelAttribution's format) from frames and files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..exceptions import InputError
from ._core import Journeys

__all__ = ["read_paths"]

#: Separators we look for when the requested one never occurs.
_LIKELY_SEPARATORS = (">", "|", ",", ";", "->", "/", "~", "\t")


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
        A frame, or a ``.csv`` / ``.csv.gz`` / ``.tsv`` / ``.parquet`` file.
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
        Field delimiter of a CSV file; sniffed from the header when omitted
        (ChannelAttribution's own example file uses ``;``).

    Returns
    -------
    Journeys

    Raises
    ------
    InputError
        Missing columns; negative, NaN or non-numeric counts; an empty path or
        channel name; counts on a row without a path; value on a row without
        conversions; a separator that never occurs while another one does.
        The message names the source, column, row (0-based data row) and value.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"path": ["A > B", "B", "A>B"], "total_conversions": [1, 2, 0.5]})
    >>> j = read_paths(df)
    >>> j.path_strings(), j.conversions.tolist()
    (['A > B', 'B'], [1.5, 2.0])
    """
    frame, name = _to_pandas(source, file_sep)
    if not isinstance(sep, str) or sep == "":
        raise InputError("the path separator must be a non-empty string", source=name, value=sep)
    default_value = value_col == "total_conversion_value"
    default_nulls = nulls_col == "total_null"
    required = [path_col, conversions_col]
    if value_col is not None and not (default_value and value_col not in frame.columns):
        required.append(value_col)
    else:
        value_col = None
    if nulls_col is not None and not (default_nulls and nulls_col not in frame.columns):
        required.append(nulls_col)
    else:
        nulls_col = None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the columns are {list(map(str, frame.columns))}",
            source=name,
            column=missing[0],
        )
    conversions = _numeric(frame, conversions_col, name)
    value = None if value_col is None else _numeric(frame, value_col, name)
    nulls = None if nulls_col is None else _numeric(frame, nulls_col, name)
    if value is not None:
        bad = np.flatnonzero((value != 0) & (conversions == 0))
        if len(bad):
            raise InputError(
                f"conversion value on a row with no conversions ({len(bad)} such rows)",
                source=name,
                column=value_col,
                row=int(bad[0]),
                value=float(value[bad[0]]),
            )
    paths = frame[path_col]
    return _parse_paths(paths, sep, conversions, value, nulls, name, path_col)


def _to_pandas(source, file_sep):
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True), "DataFrame"
    if type(source).__module__.split(".")[0] == "polars":
        return source.to_pandas(), "polars DataFrame"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = str(source)
        if not path.exists():
            raise InputError("file not found", source=name)
        suffixes = "".join(path.suffixes).lower()
        try:
            if suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
                return pd.read_parquet(path), name
            if file_sep is None:
                file_sep = "\t" if ".tsv" in suffixes else _sniff_delimiter(path)
            # keep_default_na=False: a path string such as "NA" or "null" is a channel name
            frame = pd.read_csv(path, sep=file_sep, keep_default_na=False, na_values=[""])
        except (OSError, ValueError) as exc:  # parser errors are ValueErrors
            raise InputError(f"cannot read file: {exc}".splitlines()[0], source=name) from exc
        return frame, name
    raise InputError(
        f"cannot read paths from a {type(source).__name__}; "
        "pass a pandas or polars DataFrame or a CSV/Parquet file"
    )


def _sniff_delimiter(path: Path) -> str:
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _numeric(frame, col, name) -> np.ndarray:
    import pandas as pd

    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        i = int(bad[0])
        v = raw.iloc[i]
        what = "negative" if np.isfinite(values[i]) else "missing, NaN or non-numeric"
        raise InputError(
            f"{what} count ({len(bad)} bad rows); counts must be finite and >= 0",
            source=name,
            column=col,
            row=i,
            value=None if v is None else (v.item() if hasattr(v, "item") else v),
        )
    return values


def _parse_paths(paths, sep, conversions, value, nulls, name, path_col) -> Journeys:
    import pyarrow as pa
    import pyarrow.compute as pc

    # straight from pandas (Arrow-backed strings are not copied; no Python str objects)
    try:
        strings = pa.Array.from_pandas(paths)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        strings = None
    if isinstance(strings, pa.ChunkedArray):
        # large columns (Arrow-backed pandas strings, or a > 2 GiB conversion) come in chunks
        strings = _one_chunk(strings)
    if strings is None or not (
        pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)
    ):
        not_text = paths.map(lambda x: not isinstance(x, str), na_action="ignore")
        not_text = not_text.fillna(False).to_numpy(dtype=bool)
        if not_text.any():
            row = int(np.flatnonzero(not_text)[0])
            found = paths.iloc[row]
            found = found.item() if isinstance(found, np.generic) else found
            raise InputError(
                f"paths must be text such as 'display > email', not {type(found).__name__}",
                source=name,
                column=path_col,
                row=row,
                value=found,
            )
        strings = pa.array(paths.astype(object).where(paths.notna(), None), type=pa.large_string())
    trimmed = pc.utf8_trim_whitespace(strings)
    del strings
    empty = np.asarray(pc.fill_null(pc.equal(trimmed, ""), True))
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        has_counts = conversions[i] > 0 or (nulls is not None and nulls[i] > 0)
        reason = "conversions on a row with no path" if has_counts else "empty path"
        raise InputError(reason, source=name, column=path_col, row=i, value=paths.iloc[i])
    _check_separator(trimmed, sep, name, path_col)
    lists = pc.split_pattern(trimmed, pattern=sep)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    blank = np.flatnonzero(np.asarray(pc.equal(flat, "")))
    if len(blank):
        row = int(np.searchsorted(offsets, blank[0], side="right") - 1)
        raise InputError(
            f"empty channel name (separator {sep!r} at an end or doubled)",
            source=name,
            column=path_col,
            row=row,
            value=paths.iloc[row],
        )
    encoded = pc.dictionary_encode(flat)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")  # channel codes in sorted name order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[np.asarray(encoded.indices, dtype=np.int64)]
    channels = names[order]
    return Journeys(list(channels), codes, offsets, conversions, value, nulls, source=name)


def _one_chunk(chunked):
    """One contiguous Arrow array from a chunked one (large_string when it must exceed 2 GiB)."""
    import pyarrow as pa

    if chunked.num_chunks == 1:
        return chunked.chunk(0)
    if pa.types.is_string(chunked.type):
        chunked = chunked.cast(pa.large_string())
    return chunked.combine_chunks()


def _check_separator(trimmed, sep, name, path_col) -> None:
    import pyarrow.compute as pc

    if bool(pc.any(pc.match_substring(trimmed, sep)).as_py()):
        return
    n = len(trimmed)
    for other in _LIKELY_SEPARATORS:
        if other == sep or other in sep:
            continue
        hits = np.asarray(pc.match_substring(trimmed, other))
        if hits.sum() >= max(1, n // 10):
            i = int(np.flatnonzero(hits)[0])
            raise InputError(
                f"the separator {sep!r} never occurs, but {other!r} occurs in "
                f"{int(hits.sum())} of {n} paths; pass sep={other!r}",
                source=name,
                column=path_col,
                row=i,
                value=str(trimmed[i]),
            )
