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
from ._params import check_has_paths, check_integer
from .exceptions import InputError
from .journeys import Journeys
from .journeys.event_reports import (  # noqa: F401  (the event-log reports, re-exported)
    REPORT_COLUMNS,
    TIME_LAG_BUCKETS,
    journey_length_report,
    time_lag_report,
)

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

    top = check_integer("top", top, low=1, error=InputError)
    check_has_paths(journeys)
    return PathReports(
        channels=channel_report(journeys),
        top_paths=top_paths(journeys, top, sep=sep),
        path_length=path_length_report(journeys),
    )
