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
        name = str(events)
        if not os.path.exists(name):
            raise InputError("file not found", source=name)
        if name.lower().endswith((".parquet", ".pq")):
            return pd.read_parquet(name), name
        return pd.read_csv(name), name
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
        ts = pd.to_datetime(s.mask(raw_missing), errors="coerce", format="ISO8601")
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

    from .events import TOUCH_COLUMNS, EventJourneys

    df, source = _read(events)
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
        val = np.where(cv == 1, df[value_col].astype(np.float64).fillna(0.0).to_numpy(), 0.0)
    else:
        val = np.zeros(len(df))
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
    for reason, mask, col in reasons:
        m = mask & ~taken
        taken |= m
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
    ev = ev[~taken].reset_index(drop=True)

    if identity_map is not None:
        dev, pid = identity_cols
        if isinstance(identity_map, Mapping):
            mapping = {str(k).strip(SPACE): str(v).strip(SPACE) for k, v in identity_map.items()}
        else:
            im, name = _read(identity_map)
            for c in (dev, pid):
                if c not in im.columns:
                    raise InputError(f"missing identity column {c!r}", source=name, column=c)
            im = im[[dev, pid]].dropna().astype(str)
            im = im.apply(lambda s: s.str.strip(SPACE)).drop_duplicates()
            if im[dev].duplicated().any():
                bad = im.loc[im[dev].duplicated(), dev].iloc[0]
                raise InputError(
                    "the identity map sends one device id to several person ids",
                    source=name,
                    value=bad,
                )
            mapping = dict(zip(im[dev], im[pid], strict=True))
        ev["person"] = ev["person"].map(lambda p: mapping.get(p, p))

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
