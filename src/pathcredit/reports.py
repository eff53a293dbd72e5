"""Path reports in the style of Google Analytics' Multi-Channel Funnels.

Definitions (Google Analytics, Multi-Channel Funnels "Assisted Conversions",
"Top Conversion Paths" and "Path Length" reports):

- first-interaction conversions: conversions whose path starts with the channel;
- last-interaction conversions: conversions whose path ends with the channel;
- assisted conversions: conversions whose path has the channel at a position
  other than the last (a channel can assist and close the same conversion, as in
  GA, e.g. ``A > B > A`` counts one assist and one last interaction for A);
- assisted / last-interaction ratio: above 1 the channel mostly assists, below 1
  it mostly closes; empty when it never closes.

References
----------
.. [1] Google Analytics Help, "About Multi-Channel Funnels" and "Assisted
   Conversions report" (Universal Analytics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._format import plain_number
from .journeys import Journeys
from .journeys._event_journeys import EventJourneys

__all__ = [
    "path_reports",
    "PathReports",
    "channel_report",
    "top_paths",
    "path_length_report",
    "time_lag_report",
    "journey_length_report",
]


@dataclass(frozen=True)
class PathReports:
    """The three path reports; each is a DataFrame with fixed columns."""

    channels: Any  # pandas.DataFrame (pandas is imported only when a report is built)
    top_paths: Any
    path_length: Any

    def to_dict(self) -> dict:
        """Plain-JSON form (the CLI's ``report --format json``)."""
        return {
            "channels": _records(self.channels),
            "top_paths": _records(self.top_paths),
            "path_length": _records(self.path_length),
        }

    def _repr_html_(self) -> str:
        return "".join(
            f"<h4>{title}</h4>" + frame.to_html(index=False, float_format=plain_number)
            for title, frame in [
                ("Channels: first, last and assisted conversions", self.channels),
                ("Top conversion paths", self.top_paths),
                ("Path length", self.path_length),
            ]
        )


def _records(frame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {k: (None if isinstance(v, float) and np.isnan(v) else _py(v)) for k, v in row.items()}
        )
    return out


def _py(v):
    return v.item() if hasattr(v, "item") else v


def channel_report(journeys: Journeys):
    """Per channel: first-interaction, last-interaction and assisted conversions and values.

    Columns: ``channel, first_interaction_conversions, first_interaction_value,
    last_interaction_conversions, last_interaction_value, assisted_conversions,
    assisted_value, assisted_last_ratio``. Values are NaN when the data have none.

    Examples
    --------
    >>> from pathcredit import Journeys
    >>> j = Journeys.from_paths([["A", "B", "A"], ["B"]], conversions=[1, 2])
    >>> channel_report(j)[["channel", "last_interaction_conversions", "assisted_conversions"]]
      channel  last_interaction_conversions  assisted_conversions
    0       A                           1.0                   1.0
    1       B                           2.0                   1.0
    """
    import pandas as pd

    n = journeys.n_channels
    conv = journeys.conversions
    val = journeys.value
    first = journeys.first_touch
    last = journeys.last_touch
    lengths = journeys.lengths
    not_last = journeys.position < np.repeat(lengths - 1, lengths)
    # one assist per (path, channel) however often the channel appears before the end
    key = (journeys.path_index * max(n, 1) + journeys.touches)[not_last]
    pairs = np.unique(key)
    a_path, a_chan = pairs // max(n, 1), pairs % max(n, 1)

    def per_channel(codes, weights):
        return np.bincount(codes, weights=weights, minlength=n)

    out = pd.DataFrame(
        {
            "channel": list(journeys.channels),
            "first_interaction_conversions": per_channel(first, conv),
            "first_interaction_value": per_channel(first, val) if val is not None else np.nan,
            "last_interaction_conversions": per_channel(last, conv),
            "last_interaction_value": per_channel(last, val) if val is not None else np.nan,
            "assisted_conversions": per_channel(a_chan, conv[a_path]),
            "assisted_value": per_channel(a_chan, val[a_path]) if val is not None else np.nan,
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["assisted_conversions"] / out["last_interaction_conversions"]
    out["assisted_last_ratio"] = ratio.where(out["last_interaction_conversions"] > 0)
    return out


def top_paths(journeys: Journeys, n: int = 10, *, sep: str = " > "):
    """The ``n`` paths with most conversions (ties by path text).

    Columns: ``path, length, conversions, value, share`` (share of all conversions).
    """
    import pandas as pd

    total = journeys.total_conversions
    frame = pd.DataFrame(
        {
            "path": journeys.path_strings(sep),
            "length": journeys.lengths,
            "conversions": journeys.conversions,
            "value": journeys.value if journeys.value is not None else np.nan,
            "share": journeys.conversions / total if total > 0 else np.nan,
        }
    )
    frame = frame[frame["conversions"] > 0]
    frame = frame.sort_values(["conversions", "path"], ascending=[False, True], kind="stable")
    return frame.head(n).reset_index(drop=True)


def path_length_report(journeys: Journeys):
    """Conversions, value and non-conversions by path length (touches).

    Columns: ``length, conversions, value, nulls, share`` (share of conversions).
    """
    import pandas as pd

    lengths = journeys.lengths
    uniq, inv = np.unique(lengths, return_inverse=True)
    conv = np.bincount(inv, weights=journeys.conversions, minlength=len(uniq))
    total = conv.sum()
    return pd.DataFrame(
        {
            "length": uniq,
            "conversions": conv,
            "value": (
                np.bincount(inv, weights=journeys.value, minlength=len(uniq))
                if journeys.value is not None
                else np.nan
            ),
            "nulls": (
                np.bincount(inv, weights=journeys.nulls, minlength=len(uniq))
                if journeys.nulls is not None
                else np.nan
            ),
            "share": conv / total if total > 0 else np.nan,
        }
    )


def path_reports(journeys: Journeys, *, top: int = 10, sep: str = " > ") -> PathReports:
    """All three path reports at once: channels, top conversion paths, path length.

    Examples
    --------
    >>> from pathcredit import Journeys, path_reports
    >>> j = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 3])
    >>> path_reports(j).top_paths["path"].tolist()
    ['B', 'A > B']
    """
    from ._params import check_has_paths, check_integer
    from .exceptions import InputError

    top = check_integer("top", top, low=1, error=InputError)
    check_has_paths(journeys)
    return PathReports(
        channels=channel_report(journeys),
        top_paths=top_paths(journeys, top, sep=sep),
        path_length=path_length_report(journeys),
    )


# ------------------------------------------------------------ event-log reports
#: Columns of the time-lag and path-length reports.
REPORT_COLUMNS = ["bucket", "conversions", "value", "share"]


#: Google Analytics' time-lag buckets (days from first touch to conversion).
TIME_LAG_BUCKETS = [(d, d, f"{d}") for d in range(12)] + [
    (12, 30, "12-30"),
    (31, 60, "31-60"),
    (61, 90, "61-90"),
]


def _per_converting_journey(ej: EventJourneys):
    """Per converting journey: whole days from first kept touch, touches, value."""
    if ej.touch_table is None:
        t = ej.touches()
        t = t[t["converted"] == 1]
        g = t.groupby(["person", "journey"], sort=False)
        per = g.agg(
            days=("days_to_conversion", "max"), length=("length", "max"), value=("value", "max")
        )
        per["lag"] = np.floor(per["days"]).astype(np.int64)
        lag = per.groupby("lag").agg(conversions=("value", "size"), value=("value", "sum"))
        length = per.groupby("length").agg(conversions=("value", "size"), value=("value", "sum"))
        return lag, length
    tt = ej.touch_table.filter(lambda t: t.converted == 1)
    per = tt.group_by(["person", "journey"]).agg(
        lag=tt.days_to_conversion.max().floor().cast("int64"),
        length=tt.length.max(),
        value=tt.value.max(),
    )
    out = []
    for key in ("lag", "length"):
        agg = per.group_by(key).agg(conversions=per.count(), value=per.value.sum())
        frame = ej._engine.to_arrow(agg).to_pandas().set_index(key)
        out.append(frame)
    return tuple(out)


def _report(counts, buckets, has_value):
    import pandas as pd

    idx = counts.index.to_numpy(dtype=np.int64)
    conv = counts["conversions"].to_numpy(dtype=np.float64)
    val = counts["value"].to_numpy(dtype=np.float64)
    rows = []
    for lo, hi, label in buckets:
        m = (idx >= lo) & (idx <= hi)
        rows.append((label, conv[m].sum(), val[m].sum()))
    total = conv.sum()
    frame = pd.DataFrame(rows, columns=["bucket", "conversions", "value"])
    frame["share"] = frame["conversions"] / total if total else np.nan
    if not has_value:
        frame["value"] = np.nan
    return frame[REPORT_COLUMNS]


def time_lag_report(ej: EventJourneys):
    """Conversions by days from the first touch to the conversion (Google Analytics' time lag).

    Days are whole days elapsed, rounded down, measured from the first touch that
    survived the lookback window. Buckets are those of Google Analytics'
    Multi-Channel Funnels: 0 to 11 days one by one, then 12-30, 31-60, 61-90
    days, and ``">90"`` for any longer lag (only with a lookback above 90 days).

    Parameters
    ----------
    ej : EventJourneys
        From :func:`build_journeys`.

    Returns
    -------
    pandas.DataFrame
        Columns ``bucket, conversions, value, share`` (``value`` is NaN without a
        value column; ``share`` is of all conversions).

    Examples
    --------
    >>> import pandas as pd
    >>> from pathcredit.journeys.events import build_journeys
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-03 12:00",
    ...                                  "2024-01-01 00:00", "2024-01-01 06:00"]),
    ...     "channel": ["email", None, "search", None], "conversion": [0, 1, 0, 1]})
    >>> r = time_lag_report(build_journeys(ev, backend="pandas"))
    >>> r[r.conversions > 0][["bucket", "conversions"]].values.tolist()
    [['0', 1.0], ['2', 1.0]]

    References
    ----------
    .. [1] Google Analytics (Universal), Multi-Channel Funnels: "Time Lag report".
    """
    lag, _ = _per_converting_journey(ej)
    buckets = list(TIME_LAG_BUCKETS)
    if len(lag) and lag.index.max() > 90:
        buckets.append((91, int(lag.index.max()), ">90"))
    return _report(lag, buckets, ej.has_value)


def journey_length_report(ej: EventJourneys):
    """Conversions by the number of touches on the path (Google Analytics' path length).

    Counts touches after the lookback window and ``max_touches``. Buckets 1 to
    11 one by one, then ``"12+"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``bucket, conversions, value, share``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathcredit.journeys.events import build_journeys
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
    ...                                  "2024-01-01", "2024-01-02"]),
    ...     "channel": ["email", "search", None, "search", None],
    ...     "conversion": [0, 0, 1, 0, 1]})
    >>> r = journey_length_report(build_journeys(ev))
    >>> r.conversions.tolist()[:3]
    [1.0, 1.0, 0.0]

    References
    ----------
    .. [1] Google Analytics (Universal), Multi-Channel Funnels: "Path Length report".
    """
    _, length = _per_converting_journey(ej)
    top = max(12, int(length.index.max()) if len(length) else 12)
    buckets = [(k, k, f"{k}") for k in range(1, 12)] + [(12, top, "12+")]
    return _report(length, buckets, ej.has_value)
