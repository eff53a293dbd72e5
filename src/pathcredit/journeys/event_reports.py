"""Reports on event-log journeys: Google Analytics' time lag and path length.

They read the touch table of an :class:`~._event_journeys.EventJourneys` (days to
conversion, touches kept), which the aggregated paths of :class:`~._core.Journeys`
do not carry, so they live with the event-log journeys in the data layer;
:mod:`pathcredit.reports` re-exports them beside the path reports.

References
----------
.. [1] Google Analytics (Universal), Multi-Channel Funnels: "Time Lag report" and
   "Path Length report".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: _event_journeys imports this module
    from ._event_journeys import EventJourneys

__all__ = ["time_lag_report", "journey_length_report", "REPORT_COLUMNS", "TIME_LAG_BUCKETS"]

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
