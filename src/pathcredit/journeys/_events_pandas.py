"""The reference implementation of :func:`~pathcredit.journeys.events.build_journeys` in pandas.

Written as plainly as possible (sort, then group by), independently of the
Ibis expressions, so the two can check each other. It is also the peer of the
event-log benchmark. It needs the whole log in memory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from ..exceptions import InputError
from ._core import Journeys, Removal

#: The whitespace stripped from ids, channels and times: ASCII only, as in the engine.
SPACE = " \t\n\r\x0b\x0c"

US_PER_DAY = 86_400_000_000.0


def _read(events):
    import pandas as pd

    if isinstance(events, pd.DataFrame):
        return events.reset_index(drop=True), "DataFrame"
    if type(events).__module__.split(".")[0] == "polars":
        return events.to_pandas(), "polars DataFrame"
    if isinstance(events, str | os.PathLike):
        from ._engine import csv_header_duplicates

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
        try:
            if name.lower().endswith((".parquet", ".pq")):
                return pd.read_parquet(name), name
            dup = csv_header_duplicates([name], None)
            if dup is not None:
                raise InputError(
                    "the header repeats a column name (the second would be ignored)",
                    source=name,
                    column=dup[1],
                )
            return pd.read_csv(name), name
        except InputError:
            raise
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read file: {exc}".splitlines()[0], source=name) from exc
    raise InputError(f"the pandas backend cannot read a {type(events).__name__}")


def _to_us(col, source, time_col):
    """Timestamps as int64 microseconds since the epoch (NaT -> missing), and a parse mask."""
    import pandas as pd

    raw_missing = col.isna()
    if pd.api.types.is_datetime64_any_dtype(col):
        ts = col
    elif pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
        s = col.astype("string").str.strip(SPACE)
        raw_missing = s.isna() | (s == "")
        try:
            ts = pd.to_datetime(s.mask(raw_missing), errors="coerce", format="ISO8601")
        except ValueError as exc:  # "Mixed timezones detected" (offsets, or naive and aware)
            row, value = _first_other_offset(s.mask(raw_missing))
            raise InputError(
                "the time column mixes time-zone offsets (or offsets and none); "
                "write every time in one offset, or convert to UTC first",
                source=source,
                column=time_col,
                row=row,
                value=value,
            ) from exc
    else:
        raise InputError(
            "the time column must hold timestamps, dates or ISO date-time strings, "
            f"not {col.dtype}",
            source=source,
            column=time_col,
        )
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    us = ts.astype("datetime64[us]").astype("int64").to_numpy()
    parsed = ts.notna().to_numpy()
    return us, parsed, raw_missing.to_numpy()


def _first_other_offset(s):
    """Row and text of the first time whose offset differs from the first one's (error path)."""
    import pandas as pd

    offsets = s.str.extract(r"(Z|[+-]\d\d:?\d\d)$", expand=False).fillna("none")
    present = s.notna().to_numpy()
    idx = present.nonzero()[0]
    if not len(idx):
        return None, None
    first = offsets.iloc[idx[0]]
    other = idx[(offsets.iloc[idx] != first).to_numpy()]
    if not len(other):
        return None, None
    row = int(other[0])
    return row, (s.iloc[row] if not pd.isna(s.iloc[row]) else None)


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
):
    """Same arguments and result as ``build_journeys(..., backend="pandas")``."""
    import pandas as pd

    from ._engine import PATH_SEP, check_frame
    from ._event_journeys import TOUCH_COLUMNS, EventJourneys

    df, source = _read(events)
    check_frame(df, source, (user_col, time_col, channel_col, conversion_col, value_col))
    for role, col in (
        ("user", user_col),
        ("time", time_col),
        ("channel", channel_col),
        ("conversion", conversion_col),
        ("value", value_col),
    ):
        if col is not None and col not in df.columns:
            raise InputError(
                f"missing {role} column {col!r}; the columns are {list(df.columns)}",
                source=source,
                column=col,
            )
    if len(df) == 0:
        raise InputError("the event log has no events", source=source)
    person = df[user_col].astype("string").str.strip(SPACE)
    person = person.mask(person == "")
    us, parsed, ts_missing = _to_us(df[time_col], source, time_col)
    conv = df[conversion_col]
    if pd.api.types.is_bool_dtype(conv) or pd.api.types.is_numeric_dtype(conv):
        cv = (conv.fillna(0).astype(np.float64) != 0).to_numpy().astype(np.int64)
    else:
        raise InputError(
            "the conversion column must be boolean or numeric (non-zero = conversion)",
            source=source,
            column=conversion_col,
        )
    channel = df[channel_col].astype("string").str.strip(SPACE)
    channel = channel.mask((channel == "") | (cv == 1))
    if value_col is not None:
        if not (pd.api.types.is_numeric_dtype(df[value_col]) or df[value_col].isna().all()):
            raise InputError(
                f"the value column must be numeric, not {df[value_col].dtype}",
                source=source,
                column=value_col,
            )
        # a missing value (NaN) counts as 0
        val = np.where(cv == 1, df[value_col].astype(np.float64).fillna(0.0).to_numpy(), 0.0)
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
        }
    )
    ev["channel"] = ev["channel"].where(ev["channel"].notna(), None)
    ev["person"] = ev["person"].where(ev["person"].notna(), None)
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
    removed = []
    taken = np.zeros(len(ev), dtype=bool)
    counts = []
    for reason, mask, col in reasons:
        m = mask & ~taken
        taken |= m
        counts.append((int(m.sum()), reason, col))
        if not m.any():
            continue
        n_conv = int(cv[m].sum())
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
                value=float(val[m].sum()),
            )
        )
    if taken.all():
        n, reason, col = max(counts, key=lambda t: t[0])
        example = None
        if reason == "unparseable timestamp":
            example = str(df[time_col].iloc[int(np.flatnonzero(~parsed & ~ts_missing)[0])])
        raise InputError(
            f"no valid event ({n} of the {len(ev)} events: {reason})"
            + (" (ISO 8601 date-times are expected)" if example is not None else ""),
            source=source,
            column=col,
            value=example,
        )
    ev = ev[~taken].reset_index(drop=True)

    if identity_map is not None:
        from ._event_journeys import resolve_identity

        dev, pid = identity_cols
        if isinstance(identity_map, Mapping):
            im = pd.DataFrame(
                {dev: [str(k) for k in identity_map], pid: [str(v) for v in identity_map.values()]}
            )
            name = "identity map"
        else:
            im, name = _read(identity_map)
        check_frame(im, name, identity_cols)
        for c in (dev, pid):
            if c not in im.columns:
                raise InputError(f"missing identity column {c!r}", source=name, column=c)
        im = im[[dev, pid]].dropna().astype(str)
        im = im.apply(lambda s: s.str.strip(SPACE)).drop_duplicates()
        im = im[(im[dev] != "") & (im[pid] != "")]
        device, person = resolve_identity(im[dev].to_numpy(), im[pid].to_numpy(), name)
        mapped = ev["person"].map(pd.Series(person, index=device))
        ev["person"] = mapped.where(mapped.notna(), ev["person"])

    # duplicates: identical person, time, channel, flag and value
    key = ["person", "ts", "channel", "cv", "val"]
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
    ev = ev.sort_values(["person", "ts", "cv", "_ch", "val"], kind="stable").reset_index(drop=True)
    same_person = ev["person"].eq(ev["person"].shift())
    prev_cv = ev["cv"].shift().fillna(1).to_numpy()
    start = ~same_person.to_numpy() | (prev_cv == 1)
    if inactivity_days is not None:
        gap = (ev["ts"] - ev["ts"].shift()).to_numpy(dtype=np.float64)
        start |= same_person.to_numpy() & (gap > float(inactivity_days) * US_PER_DAY)
    ev["journey"] = pd.Series(start.astype(np.int64)).groupby(ev["person"]).cumsum() - 1
    g = ev.groupby(["person", "journey"], sort=False)
    conv_ts = ev["ts"].where(ev["cv"] == 1)
    ev["converted"] = g["cv"].transform("max")
    ev["jvalue"] = g["val"].transform("sum")
    end = conv_ts.groupby([ev["person"], ev["journey"]]).transform("max")
    end = end.fillna(g["ts"].transform("max")).astype(np.int64)
    ev["days"] = (end - ev["ts"]).to_numpy(dtype=np.float64) / US_PER_DAY
    ev["n_touch"] = (1 - ev["cv"]).groupby([ev["person"], ev["journey"]]).transform("sum")

    touches = ev[ev["cv"] == 0]
    journeys = ev.groupby(["person", "journey"], sort=False).agg(
        n_touch=("n_touch", "max"), converted=("converted", "max"), value=("jvalue", "max")
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
    if lookback_days is not None:
        inside = touches["days"] <= float(lookback_days)
        kept = touches[inside]
        left = kept.groupby(["person", "journey"]).size()
        had = journeys[journeys["n_touch"] > 0]
        lost = had[~had.index.isin(left.index)]
        if (~inside).any():
            removed.append(
                Removal(
                    f"lookback_days={lookback_days:g}",
                    touches=int((~inside).sum()),
                    paths=len(lost),
                    conversions=float(lost["converted"].sum()),
                    value=float(lost["value"].sum()) if value_col else 0.0,
                    nulls=float((1 - lost["converted"]).sum()),
                )
            )
        touches = kept
    touches = touches.sort_values(["person", "journey", "ts", "_ch"], kind="stable")
    touches = touches.assign(
        position=touches.groupby(["person", "journey"]).cumcount(),
        length=touches.groupby(["person", "journey"])["ts"].transform("size"),
    )
    if max_touches is not None:
        cut = np.maximum(touches["length"] - int(max_touches), 0)
        drop = touches["position"] < cut
        if drop.any():
            removed.append(Removal(f"max_touches={max_touches}", touches=int(drop.sum())))
        touches = touches.assign(position=touches["position"] - cut)
        touches = touches.assign(length=np.minimum(touches["length"], int(max_touches)))
        touches = touches[~drop]
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
        value=agg["value"].to_numpy(dtype=np.float64) if value_col else None,
        nulls=agg["n"].to_numpy(dtype=np.float64) - conv,
        source=source,
    )
    j = j.replace(removed=tuple(removed))
    return EventJourneys(
        j,
        touches_frame=frame.reset_index(drop=True),
        backend="pandas",
        has_value=value_col is not None,
    )
