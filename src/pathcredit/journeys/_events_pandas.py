"""The reference implementation of :func:`~pathcredit.journeys.events.build_journeys` in pandas.

Written as plainly as possible (sort, then group by), independently of the
Ibis expressions, so the two can check each other. It is also the peer of the
event-log benchmark. It needs the whole log in memory.
"""

from __future__ import annotations

import csv
import decimal
import os
from collections.abc import Mapping

import numpy as np

from ..exceptions import InputError
from ._core import Journeys, Removal
from ._engine import (
    ISO_OFFSET,
    ISO_TIME,
    NA_TEXT,
    NAME_SPACE,
    NOT_A_NUMBER,
    PATH_SEP,
    check_compressed,
    check_frame,
    csv_delimiter,
    csv_header_duplicates,
    file_kind,
    open_csv_text,
    ragged_csv_error,
    refuse_file_kind,
)
from ._event_journeys import (
    DEFAULT_TOUCH_TYPE,
    OFFLINE_TOUCH_TYPE,
    TIME_UNITS,
    TOUCH_COLUMNS,
    EventJourneys,
    Lookback,
    identity_report,
    integer_time_bounds,
    integer_time_error,
    resolve_identity,
    touch_type_name,
    warn_dropped_conversions,
)

#: The whitespace stripped from ids, channels and times: ASCII only, as in the engine.
SPACE = " \t\n\r\x0b\x0c"

US_PER_DAY = 86_400_000_000.0

#: CSV cells read as a missing number (NaN) in the columns that are not text, as the
#: engines' number parsers read them; every other word is a value.
NAN_WORDS = ["", "nan", "NaN", "NAN", "-nan", "-NaN", "-NAN", "+nan", "+NaN"]


def _read(events, text_cols=(), time_col=None, int_col=None):
    """The input as a frame and its name. From a CSV file, ``text_cols`` (ids) and
    ``time_col`` are read as text, and ``int_col`` (integer times) as nullable integers,
    as the engine reads them."""
    import pandas as pd

    if isinstance(events, pd.DataFrame):
        return events.reset_index(drop=True), "DataFrame"
    if type(events).__module__.split(".")[0] == "polars":
        return events.to_pandas(), "polars DataFrame"
    if isinstance(events, str | os.PathLike):
        name = str(events)
        if not os.path.exists(name):
            raise InputError("file not found", source=name)
        if os.path.isdir(name):
            raise InputError(
                "the pandas backend reads one file, not a folder (use the DuckDB backend)",
                source=name,
            )
        if os.path.getsize(name) == 0:
            raise InputError(
                "the file is empty (0 bytes): the event log has no events", source=name
            )

        kind = file_kind(name)
        refuse_file_kind(kind, name)
        if kind in ("gzip", "zstd"):
            check_compressed(name, kind)
        try:
            if kind == "parquet" or name.lower().endswith((".parquet", ".pq")):
                return pd.read_parquet(name), name
            text = [c for c in (*text_cols, time_col) if c is not None]
            dtype: dict = {c: str for c in text}
            if int_col is not None:
                dtype[int_col] = "Int64"
            delim = csv_delimiter(name)
            ragged = ragged_csv_error([name], delim)
            if ragged is not None:
                raise ragged
            with open_csv_text(name) as fh:
                header = next(csv.reader(fh, delimiter=delim), [])
            # a missing cell is an empty one, as on the engines: the words pandas would
            # also read as missing (NA, null, n/a...) are text, and NaN spellings are
            # missing numbers only in the other (numeric) columns
            options = dict(
                sep=delim,
                quotechar='"',
                doublequote=True,
                dtype=dtype,
                keep_default_na=False,
                na_values={c: NAN_WORDS for c in header if c not in text},
            )
            if kind in ("gzip", "zstd"):
                import pyarrow as pa

                with pa.input_stream(name, compression=kind) as fh:
                    return pd.read_csv(fh, **options), name
            dup = csv_header_duplicates([name], None)
            if dup is not None:
                raise InputError(
                    "the header repeats a column name (the second would be ignored)",
                    source=name,
                    column=dup[1],
                )
            return pd.read_csv(name, **options), name
        except InputError:
            raise
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read file: {exc}".splitlines()[0], source=name) from exc
    raise InputError(f"the pandas backend cannot read a {type(events).__name__}")


def _to_us(col, source, time_col, time_unit=None):
    """Timestamps as int64 microseconds since the epoch (NaT -> missing), a parse mask,
    the raw-missing mask, and (strings) whether each time has a UTC offset."""
    import pandas as pd

    raw_missing = col.isna()
    offset = None
    if time_unit is not None:
        if not pd.api.types.is_integer_dtype(col):
            raise InputError(
                f"time_unit={time_unit!r} is for integer times since the epoch; this column "
                f"holds {col.dtype}",
                source=source,
                column=time_col,
            )

        bounds = integer_time_bounds(time_unit)
        if bounds is not None:
            outside = ((col < bounds[0]) | (col > bounds[1])).fillna(False).to_numpy(dtype=bool)
            if outside.any():
                row = int(np.flatnonzero(outside)[0])
                raise integer_time_error(
                    time_unit, int(col.iloc[row]), source=source, column=time_col, row=row
                )
        ints = col.astype("Int64")
        mult = TIME_UNITS[time_unit]
        us = ints // 1000 if mult is None else ints * mult
        parsed = us.notna().to_numpy()
        return us.fillna(0).to_numpy(dtype=np.int64), parsed, raw_missing.to_numpy(), None
    if pd.api.types.is_datetime64_any_dtype(col):
        ts = col
    elif pd.api.types.is_integer_dtype(col):
        raise InputError(
            f"the time column holds integers ({col.dtype}): say their unit with time_unit= "
            "'s', 'ms', 'us' or 'ns' (CLI --time-unit; GA4's event_timestamp is 'us')",
            source=source,
            column=time_col,
        )
    elif pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
        s = col.astype("string").str.strip(SPACE)
        raw_missing = s.isna() | (s == "")
        s = s.mask(raw_missing)
        ts, offset = _parse_iso(s)
    else:
        raise InputError(
            f"the time column must hold timestamps, dates, ISO date-time strings or "
            f"integers with time_unit=, not {col.dtype}",
            source=source,
            column=time_col,
        )
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    us = ts.astype("datetime64[us]").astype("int64").to_numpy()
    parsed = ts.notna().to_numpy()
    if offset is not None:
        offset = offset & parsed
        naive = ~offset & parsed
        if offset.any() and naive.any():
            minority = offset if offset.sum() <= naive.sum() else naive
            row = int(np.flatnonzero(minority)[0])
            raise InputError(
                f"the time column mixes times with a UTC offset ({int(offset.sum())}) and "
                f"times without ({int(naive.sum())}), which name no instant; write every "
                "time with an offset (or Z), or every time in UTC without one",
                source=source,
                column=time_col,
                row=row,
                value=s.iloc[row],
            )
    return us, parsed, raw_missing.to_numpy(), offset


def _parse_iso(s):
    """Naive UTC timestamps of time strings and whether each has an offset, by the
    engine's rules (:data:`~._engine.ISO_TIME`, the same regular expressions), with
    pandas' ISO 8601 parser reading only the local part of strings that match."""
    import pandas as pd

    ok = s.str.fullmatch(ISO_TIME).fillna(False).astype(bool)
    t = s.where(ok).str.replace(",", ".", regex=False)
    # a fraction beyond the microsecond is cut to six digits (as DuckDB and Spark cast);
    # nanoseconds would also put pandas in a unit where year 1 and 9999 do not fit
    t = t.str.replace(r"([.][0-9]{6})[0-9]+", r"\1", regex=True)
    parts = t.str.extract(ISO_OFFSET)
    off = parts[3].fillna("")
    local = t.where(off == "", parts[0])
    digits = off.str.replace("[^0-9]", "", regex=True)
    hh = pd.to_numeric(digits.str[:2].replace("", "0")).fillna(0).astype("int64")
    mm = pd.to_numeric(digits.str[2:4].replace("", "0")).fillna(0).astype("int64")
    sign = np.where(off.str[:1] == "-", -1, 1)
    naive = pd.to_datetime(local, errors="coerce", format="ISO8601")
    if getattr(naive.dt, "tz", None) is not None:  # pragma: no cover - local parts are naive
        naive = naive.dt.tz_localize(None)
    shift = pd.to_timedelta((sign * (hh * 60 + mm)).to_numpy(), unit="m")
    ts = naive.astype("datetime64[us]") - shift
    return ts, (off != "").to_numpy(dtype=bool)


def build_journeys_pandas(
    events,
    *,
    user_col,
    time_col,
    channel_col,
    conversion_col,
    value_col,
    lookback_days,
    max_touches,
    inactivity_days,
    identity_map,
    identity_cols,
    invalid,
    time_unit=None,
    event_col=None,
    conversion_events=None,
    touch_events=None,
    type_col=None,
    include_views=True,
    offline=None,
    offline_user_col=None,
    reset_at_conversion=True,
):
    """Same arguments and result as ``build_journeys(..., backend="pandas")``."""
    import pandas as pd

    lookback = Lookback(lookback_days)
    conv_col = None if event_col is not None else conversion_col
    df, source = _read(
        events,
        tuple(c for c in (user_col, channel_col, event_col, type_col) if c),
        time_col if time_unit is None else None,
        time_col if time_unit is not None else None,
    )
    ev, ignored, bad_rows, raw_times = _clean(
        df,
        source,
        user_col=user_col,
        time_col=time_col,
        channel_col=channel_col,
        conversion_col=conv_col,
        value_col=value_col,
        time_unit=time_unit,
        event_col=event_col,
        conversion_events=conversion_events,
        touch_events=touch_events,
        type_col=type_col,
        include_views=include_views,
        offline=False,
    )
    if offline is not None:
        off_user = offline_user_col or user_col
        odf, oname = _read(
            offline,
            tuple(c for c in (off_user, channel_col, type_col) if c),
            time_col if time_unit is None else None,
            time_col if time_unit is not None else None,
        )
        if oname in ("DataFrame", "polars DataFrame"):
            oname = f"offline touches ({oname})"
        oev, oignored, obad, oraw = _clean(
            odf,
            oname,
            user_col=off_user,
            time_col=time_col,
            channel_col=channel_col,
            conversion_col=None,
            value_col=None,
            time_unit=time_unit,
            type_col=type_col,
            include_views=include_views,
            offline=True,
        )
        ev = pd.concat([ev, oev], ignore_index=True)
        ev["ttype"] = pd.Categorical(ev["ttype"])  # sorted categories, as in _clean
        raw_times = pd.concat([raw_times, oraw], ignore_index=True)
        ignored = [(a[0], a[1] + b[1]) for a, b in zip(ignored, oignored, strict=True)]
        bad_rows = _merge_bad(bad_rows, obad)
    removed = [
        Removal(step, touches=int(n))
        for step, n in ignored
        if n  # other events, views left out: not errors
    ]
    counts = []
    for reason, m, col in bad_rows:
        counts.append((int(m.sum()), reason, col))
        if not m.any():
            continue
        n_conv = int(ev["cv"].to_numpy()[m].sum())
        if invalid == "raise":
            raise InputError(
                f"{int(m.sum())} event(s) with {reason} "
                f"({n_conv} of them conversions); pass invalid='drop' to drop and count them",
                source=source,
                column=col,
            )
        removed.append(
            Removal(
                reason,
                touches=int(m.sum()) - n_conv,
                conversions=float(n_conv),
                value=float(ev["val"].to_numpy()[m].sum()),
            )
        )
    taken = np.zeros(len(ev), dtype=bool)
    for _, m, _ in bad_rows:
        taken |= m
    left_out = ev["_ignored"].to_numpy(dtype=bool)
    if (taken | left_out).all():
        n, reason, col = max(counts, key=lambda t: t[0])
        if sum(n for _, n in ignored) > n:
            n, reason, col = sum(n for _, n in ignored), "other event", None
        example = None
        if reason == "unparseable timestamp":
            example = str(raw_times.iloc[int(np.flatnonzero(bad_rows[2][1])[0])])
        raise InputError(
            f"no valid event ({n} of the {len(ev)} events: {reason})"
            + (" (ISO 8601 date-times are expected)" if example is not None else ""),
            source=source,
            column=col,
            value=example,
        )
    ev = ev[~(taken | left_out)].reset_index(drop=True)
    del ev["_ignored"]
    types = set(ev.loc[ev["cv"] == 0, "ttype"].dropna())
    lookback.check_types(types, source)

    report = None
    if identity_map is not None:
        dev, pid = identity_cols
        if isinstance(identity_map, Mapping):
            im = pd.DataFrame(
                {dev: [str(k) for k in identity_map], pid: [str(v) for v in identity_map.values()]}
            )
            name = "identity map"
        else:
            im, name = _read(identity_map, (dev, pid))
            if name in ("DataFrame", "polars DataFrame"):
                name = f"identity map ({name})"
        check_frame(im, name, identity_cols)
        for c in (dev, pid):
            if c not in im.columns:
                raise InputError(f"missing identity column {c!r}", source=name, column=c)
        im = im[[dev, pid]].dropna().astype(str)
        im = im.apply(lambda s: s.str.strip(SPACE)).drop_duplicates()
        im = im[(im[dev] != "") & (im[pid] != "")]
        present = set(ev["person"])
        report = identity_report(len(im), int(im[dev].isin(present).sum()), source)
        device, person = resolve_identity(im[dev].to_numpy(), im[pid].to_numpy(), name)
        mapped = ev["person"].map(pd.Series(person, index=device))
        ev["person"] = mapped.where(mapped.notna(), ev["person"])
    has_value = value_col is not None
    return _journeys(
        ev,
        removed=removed,
        source=source,
        lookback=lookback,
        max_touches=max_touches,
        inactivity_days=inactivity_days,
        has_value=has_value,
        report=report,
        user_col=user_col,
        reset_at_conversion=reset_at_conversion,
    )


def _decimals_as_float(col):
    """A column of decimals (Parquet ``DECIMAL``, Arrow ``decimal128``, Python
    ``decimal.Decimal`` objects) as float64, as the engines cast a decimal column;
    any other column unchanged. Decimals are how databases export money amounts."""

    import pandas as pd

    dtype = col.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_decimal(dtype.pyarrow_dtype):
            return col.astype("float64")
        return col
    if not pd.api.types.is_object_dtype(dtype):
        return col
    present = col.dropna()
    if len(present) and all(isinstance(v, decimal.Decimal) for v in present):
        return col.map(lambda v: np.nan if v is None or pd.isna(v) else float(v)).astype("float64")
    return col


def _merge_bad(a, b):
    """Bad-row masks of the log and of the offline table, one after the other."""
    return [
        (ra, np.concatenate([ma, mb]), ca) for (ra, ma, ca), (_, mb, _) in zip(a, b, strict=True)
    ]


def _clean(
    df,
    source,
    *,
    user_col,
    time_col,
    channel_col,
    conversion_col,
    value_col,
    time_unit,
    event_col=None,
    conversion_events=None,
    touch_events=None,
    type_col=None,
    include_views=True,
    offline=False,
):
    """The events as columns ``person, ts, channel, cv, val, ttype, _ignored`` (``ttype``
    categorical with sorted categories, missing on conversions), the ignored counts
    ``[("other events ignored", n), ("views ignored", n)]``, the masks of bad rows
    ``[(reason, mask, column)]`` (each row in at most one), and the raw time column."""
    import pandas as pd

    check_frame(df, source, (user_col, time_col, channel_col, conversion_col, value_col, event_col))
    for role, col in (
        ("user" if not offline else "offline user", user_col),
        ("time", time_col),
        ("channel", channel_col),
        ("conversion", conversion_col),
        ("value", value_col),
        ("event name", event_col),
        ("touch type", None if offline else type_col),
    ):
        if col is not None and col not in df.columns:
            raise InputError(
                f"missing {role} column {col!r}; the columns are {list(df.columns)}",
                source=source,
                column=col,
            )
    if len(df) == 0:
        raise InputError(
            "the event log has no events (a header and no rows), so no paths", source=source
        )
    person = df[user_col].astype("string").str.strip(SPACE)
    person = person.mask(person == "")
    us, parsed, ts_missing, _ = _to_us(df[time_col], source, time_col, time_unit)
    raw_channel = df[channel_col].astype("string").str.strip(NAME_SPACE)
    raw_channel = raw_channel.mask(raw_channel == "")
    has_channel = raw_channel.notna().to_numpy(dtype=bool)
    n = len(df)
    if offline:
        cv = np.zeros(n, dtype=np.int64)
        other = np.zeros(n, dtype=bool)
    elif event_col is not None:
        names = df[event_col].astype("string").str.strip(SPACE)
        cv = names.isin(conversion_events).fillna(False).to_numpy(dtype=bool).astype(np.int64)
        if touch_events is None:
            other = (cv == 0) & ~has_channel
        else:
            other = (cv == 0) & ~names.isin(touch_events).fillna(False).to_numpy(dtype=bool)
    else:
        conv = _decimals_as_float(df[conversion_col])
        if _is_text(conv):  # numbers as text: as the engine reads them
            conv = _text_number(conv, source, conversion_col, "conversion")
        if pd.api.types.is_bool_dtype(conv) or pd.api.types.is_numeric_dtype(conv):
            # nullable booleans and integers too: missing is not a conversion
            flag = pd.array(conv, dtype="Float64").fillna(0).to_numpy(dtype=np.float64)
            cv = ((flag != 0) & ~np.isnan(flag)).astype(np.int64)
        else:
            raise InputError(
                "the conversion column must be boolean or numeric (non-zero = conversion), "
                f"not {conv.dtype}; or name the conversion events with event_col= and "
                "conversion_events= (CLI --event-col, --conversion-event)",
                source=source,
                column=conversion_col,
            )
        other = np.zeros(n, dtype=bool)
    if type_col is not None and type_col in df.columns:
        ttype = df[type_col].astype("string").str.strip(SPACE)
        ttype = ttype.mask(ttype == "").map(
            lambda t: DEFAULT_TOUCH_TYPE if pd.isna(t) else touch_type_name(t)
        )
        ttype = pd.Categorical(np.where(cv == 1, None, ttype.to_numpy(dtype=object)))
    else:
        default = OFFLINE_TOUCH_TYPE if offline else DEFAULT_TOUCH_TYPE
        ttype = pd.Categorical.from_codes(np.where(cv == 1, -1, 0), categories=[default])
    view_out = (cv == 0) & ~other & np.asarray(ttype == "view") & (not include_views)
    channel = raw_channel.mask((cv == 1) | other | view_out)
    if value_col is not None:
        vcol = _decimals_as_float(df[value_col])
        if _is_text(vcol):  # numbers as text: as the engine reads them
            vcol = _text_number(vcol, source, value_col, "value")
        if not (pd.api.types.is_numeric_dtype(vcol) or vcol.isna().all()):
            raise InputError(
                f"the value column must be numeric, not {vcol.dtype}",
                source=source,
                column=value_col,
            )
        # a missing value (NaN) counts as 0
        val = np.where(cv == 1, vcol.astype(np.float64).fillna(0.0).to_numpy(), 0.0)
        bad = np.isinf(val) | (val < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                "a conversion value must be finite and >= 0",
                source=source,
                column=value_col,
                row=row,
                value=float(val[row]),
            )
    else:
        val = np.zeros(len(df))
    sep = channel.str.contains(PATH_SEP, regex=False).fillna(False).to_numpy(dtype=bool)
    if sep.any():
        row = int(np.flatnonzero(sep)[0])
        raise InputError(
            f"a channel name may not contain the path separator {PATH_SEP!r} "
            "(the path table would read it back as two channels); rename the channel",
            source=source,
            column=channel_col,
            row=row,
            value=channel.iloc[row],
        )
    ev = pd.DataFrame(
        {
            "person": person.to_numpy(dtype=object),
            "ts": us,
            "channel": channel.to_numpy(dtype=object),
            "cv": cv,
            "val": val,
            "ttype": ttype,
            "_ignored": other | view_out,
        }
    )
    ev["channel"] = ev["channel"].where(ev["channel"].notna(), None)
    ev["person"] = ev["person"].where(ev["person"].notna(), None)
    ignored = [("other events ignored", int(other.sum())), ("views ignored", int(view_out.sum()))]
    reasons = [
        ("missing user", ev["person"].isna().to_numpy(), user_col),
        ("missing timestamp", ts_missing, time_col),
        ("unparseable timestamp", ~parsed & ~ts_missing, time_col),
        (
            "missing channel",
            (ev["cv"] == 0).to_numpy() & ev["channel"].isna().to_numpy(),
            channel_col,
        ),
    ]
    taken = other | view_out
    bad_rows = []
    for reason, mask, col in reasons:
        m = np.asarray(mask, dtype=bool) & ~taken
        taken |= m
        bad_rows.append((reason, m, col))
    return ev, ignored, bad_rows, df[time_col]


def _is_text(col) -> bool:
    """A column of strings (object or string dtype holding text, missing values aside)."""
    import pandas as pd

    if pd.api.types.is_string_dtype(col) and not pd.api.types.is_object_dtype(col):
        return True
    return (
        pd.api.types.is_object_dtype(col)
        and pd.api.types.infer_dtype(col, skipna=True)
        in (
            "string",
            "empty",
        )
        and col.notna().any()
    )


def _text_number(col, source, column, role):
    """Text meant as numbers as float64: trimmed, a missing-value spelling (pandas'
    ``read_csv`` defaults, :data:`~._engine.NA_TEXT`) or an empty string missing; a
    value that is neither refused naming its row, as the engine does."""
    import pandas as pd

    t = col.astype("string").str.strip(SPACE)
    t = t.mask(t.isin(NA_TEXT) | (t == ""))
    num = pd.to_numeric(t, errors="coerce")
    bad = (t.notna() & num.isna()).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            NOT_A_NUMBER[role], source=source, column=column, row=row, value=col.iloc[row]
        )
    return num.astype(np.float64)


def _journeys(
    ev,
    *,
    removed,
    source,
    lookback,
    max_touches,
    inactivity_days,
    has_value,
    report,
    user_col,
    reset_at_conversion=True,
):
    """Journeys from the valid, stitched events (pandas): duplicates, journeys, lookback.

    With ``reset_at_conversion=False`` each touch is first placed in its own journey
    (as with ``True``), then copied into the journey of every later conversion of the
    person in the same inactivity segment whose lookback window reaches it. What is
    removed is counted on the own copies only (a touch the window or ``max_touches``
    removes from its own journey is on no later path either).
    """
    import pandas as pd

    value_col = has_value  # truthy when a value column was given
    # duplicates: identical person, time, channel, flag, value and touch type
    # the type by its code: categories are sorted, a missing type (conversions) is -1
    ev["_ty"] = ev["ttype"].cat.codes
    key = ["person", "ts", "channel", "cv", "val", "_ty"]
    dup = ev.fillna({"channel": "\x00"}).duplicated(key)
    if dup.any():
        d = ev[dup]
        removed.append(
            Removal(
                "duplicate events",
                touches=int((d["cv"] == 0).sum()),
                conversions=float(d["cv"].sum()),
                value=float(d["val"].sum()),
            )
        )
        ev = ev[~dup]

    # order each person's events: time, touches before conversions, then channel, value
    ev = ev.assign(_ch=ev["channel"].fillna(""))
    ev = ev.sort_values(["person", "ts", "cv", "_ch", "_ty", "val"], kind="stable")
    ev = ev.reset_index(drop=True)
    same_person = ev["person"].eq(ev["person"].shift())
    prev_cv = ev["cv"].shift().fillna(1).to_numpy()
    seg_start = ~same_person.to_numpy()
    if inactivity_days is not None:
        gap = (ev["ts"] - ev["ts"].shift()).to_numpy(dtype=np.float64)
        seg_start |= same_person.to_numpy() & (gap > float(inactivity_days) * US_PER_DAY)
    start = seg_start | (prev_cv == 1)
    ev["journey"] = pd.Series(start.astype(np.int64)).groupby(ev["person"]).cumsum() - 1
    ev["seg"] = pd.Series(seg_start.astype(np.int64)).groupby(ev["person"]).cumsum() - 1
    g = ev.groupby(["person", "journey"], sort=False)
    conv_ts = ev["ts"].where(ev["cv"] == 1)
    ev["converted"] = g["cv"].transform("max")
    ev["jvalue"] = g["val"].transform("sum")
    end = conv_ts.groupby([ev["person"], ev["journey"]]).transform("max")
    end = end.fillna(g["ts"].transform("max")).astype(np.int64)
    ev["days"] = (end - ev["ts"]).to_numpy(dtype=np.float64) / US_PER_DAY
    ev["n_touch"] = (1 - ev["cv"]).groupby([ev["person"], ev["journey"]]).transform("sum")

    touches = ev[ev["cv"] == 0].assign(_own=True)
    journeys = ev.groupby(["person", "journey"], sort=False).agg(
        n_touch=("n_touch", "max"),
        converted=("converted", "max"),
        value=("jvalue", "max"),
        seg=("seg", "max"),
    )
    if not reset_at_conversion:
        # a conversion takes over the touches of the person's earlier journeys in its
        # segment: one row per (touch, later conversion) pair, days to that conversion
        conv = ev.loc[ev["cv"] == 1, ["person", "seg", "journey", "ts", "jvalue"]]
        conv = conv.rename(columns={"journey": "_k", "ts": "_end", "jvalue": "_kvalue"})
        pairs = touches.merge(conv, on=["person", "seg"])
        pairs = pairs[pairs["journey"] < pairs["_k"]]
        pairs = pairs.assign(
            journey=pairs["_k"],
            days=(pairs["_end"] - pairs["ts"]).to_numpy(dtype=np.float64) / US_PER_DAY,
            converted=1,
            jvalue=pairs["_kvalue"],
            _own=False,
        ).drop(columns=["_k", "_end", "_kvalue"])
        pairs["ttype"] = pd.Categorical(pairs["ttype"], categories=touches["ttype"].cat.categories)
        touches = pd.concat([touches, pairs], ignore_index=True)
        # a conversion after any earlier touch of its segment is not "with no touch"
        before = journeys.groupby(["person", "seg"], sort=False)["n_touch"].cumsum()
        journeys["n_touch"] = journeys["n_touch"] + np.where(
            journeys["converted"] == 1, before - journeys["n_touch"], 0
        )
    no_touch = journeys[journeys["n_touch"] == 0]
    if len(no_touch):
        removed.append(
            Removal(
                "conversions with no touch",
                paths=len(no_touch),
                conversions=float(no_touch["converted"].sum()),
                value=float(no_touch["value"].sum()) if value_col else 0.0,
            )
        )
    if lookback.cuts:
        per_type = [lookback.days_for(t) for t in touches["ttype"].cat.categories]
        per_type = np.array([np.inf if d is None else d for d in per_type], dtype=np.float64)
        limit = per_type[touches["ttype"].cat.codes.to_numpy()]
        inside = touches["days"].to_numpy() <= limit
        own = touches["_own"].to_numpy(dtype=bool)
        kept = touches[inside]
        left = kept.groupby(["person", "journey"]).size()
        had = journeys[journeys["n_touch"] > 0]
        lost = had[~had.index.isin(left.index)]
        if (~inside & own).any() or len(lost):
            removed.append(
                Removal(
                    str(lookback.label),
                    touches=int((~inside & own).sum()),
                    paths=len(lost),
                    conversions=float(lost["converted"].sum()),
                    value=float(lost["value"].sum()) if value_col else 0.0,
                    nulls=float((1 - lost["converted"]).sum()),
                )
            )
        touches = kept
    touches = touches.sort_values(["person", "journey", "ts", "_ch", "_ty"], kind="stable")
    touches = touches.assign(
        position=touches.groupby(["person", "journey"]).cumcount(),
        length=touches.groupby(["person", "journey"])["ts"].transform("size"),
    )
    if max_touches is not None:
        cut = np.maximum(touches["length"] - int(max_touches), 0)
        drop = touches["position"] < cut
        if (drop & touches["_own"]).any():
            removed.append(
                Removal(f"max_touches={max_touches}", touches=int((drop & touches["_own"]).sum()))
            )
        touches = touches.assign(position=touches["position"] - cut)
        touches = touches.assign(length=np.minimum(touches["length"], int(max_touches)))
        touches = touches[~drop]
    repeated = int((~touches["_own"].to_numpy(dtype=bool)).sum())
    if len(touches) == 0:
        raise InputError("no journey has a touch left (check the lookback window)", source=source)

    frame = pd.DataFrame(
        {
            "person": touches["person"].to_numpy(dtype=object),
            "journey": touches["journey"].to_numpy(dtype=np.int64),
            "position": touches["position"].to_numpy(dtype=np.int64),
            "length": touches["length"].to_numpy(dtype=np.int64),
            "channel": touches["channel"].to_numpy(dtype=object),
            "days_to_conversion": touches["days"].to_numpy(dtype=np.float64),
            "converted": touches["converted"].to_numpy(dtype=np.int64),
            "value": touches["jvalue"].to_numpy(dtype=np.float64),
            "touch_type": touches["ttype"].astype(object).to_numpy(dtype=object),
        }
    )[TOUCH_COLUMNS]
    per = frame.groupby(["person", "journey"], sort=False).agg(
        path=("channel", tuple), converted=("converted", "max"), value=("value", "max")
    )
    agg = per.groupby("path", sort=True).agg(
        conversions=("converted", "sum"), value=("value", "sum"), n=("converted", "size")
    )
    conv = agg["conversions"].to_numpy(dtype=np.float64)
    j = Journeys.from_paths(
        list(agg.index),
        conversions=conv,
        value=agg["value"].to_numpy(dtype=np.float64) if has_value else None,
        nulls=agg["n"].to_numpy(dtype=np.float64) - conv,
        source=source,
    )
    j = j.replace(removed=tuple(removed))
    warn_dropped_conversions(j, user_col)
    return EventJourneys(
        j,
        touches_frame=frame.reset_index(drop=True),
        backend="pandas",
        has_value=has_value,
        identity=report,
        repeated_touches=repeated,
    )
