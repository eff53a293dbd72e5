"""The result of journey building from an event log, shared by every backend.

:class:`EventJourneys` (the path table and the touch-level table), the fixed touch
columns, and identity-map resolution live here so that the engine builder
(``events.py``) and the pandas reference (``_events_pandas.py``) both import them
without importing each other.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ._core import Journeys, Removal

__all__ = ["TOUCH_COLUMNS", "EventJourneys", "resolve_identity"]

#: Columns of the touch-level table, fixed on every backend.
TOUCH_COLUMNS = [
    "person",
    "journey",
    "position",
    "length",
    "channel",
    "days_to_conversion",
    "converted",
    "value",
]


class EventJourneys:
    """Journeys built from an event log: the path table and the touch-level table.

    Attributes
    ----------
    journeys : Journeys
        The aggregated path table (distinct paths with ``conversions``, ``value``
        when a value column was given, and ``nulls``: journeys that did not
        convert); ``journeys.removed`` lists what was dropped and why.
    touch_table : ibis.Table or None
        The touch-level table inside the engine (columns :data:`TOUCH_COLUMNS`);
        ``None`` for the pandas backend, which keeps it as a frame.
    backend : str
        ``"duckdb"``, ``"pyspark"``, ``"pandas"``, ... .
    has_value : bool
        Whether a value column was given.
    partitions : int
        Hash partitions of the people the path table was built in (see
        :func:`build_journeys`); 1 for a single pass.
    """

    def __init__(
        self,
        journeys,
        *,
        touch_table=None,
        touches_frame=None,
        engine=None,
        backend="duckdb",
        has_value=False,
        partitions=1,
    ):
        self.journeys = journeys
        self.partitions = partitions
        self.touch_table = touch_table
        self._touches_frame = touches_frame
        self._engine = engine
        self.backend = backend
        self.has_value = has_value

    @property
    def removed(self) -> tuple[Removal, ...]:
        """What the lookback window, filters and cleaning dropped."""
        return self.journeys.removed

    def removed_frame(self):
        """:attr:`removed` as a DataFrame, one row per step."""
        return self.journeys.removed_frame()

    def touches(self):
        """The touch-level table as a pandas DataFrame, sorted by person, journey, position.

        Columns: ``person, journey, position, length, channel, days_to_conversion,
        converted, value``. ``days_to_conversion`` is measured to the end of the
        journey (its conversion, or the last touch of a non-converting journey);
        ``value`` is the journey's conversion value (0 without a value column).
        """
        if self._touches_frame is None:
            table = self._engine.to_arrow(
                self.touch_table.order_by(["person", "journey", "position"])
            )
            frame = table.to_pandas()
            frame["converted"] = frame["converted"].astype(np.int64)
            for col in ("journey", "position", "length"):
                frame[col] = frame[col].astype(np.int64)
            self._touches_frame = frame[TOUCH_COLUMNS]
        return self._touches_frame

    def journey_paths(self) -> Journeys:
        """Journey-level :class:`Journeys` with touch times (one path per journey).

        ``times`` are the days from each touch to its conversion, so the
        in-memory ``time_decay`` model works; non-converting journeys are paths
        with ``nulls=1`` and no conversion.

        Examples
        --------
        >>> import pandas as pd
        >>> from pathcredit import attribute
        >>> ev = pd.DataFrame({
        ...     "user_id": ["a", "a", "a"],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"]),
        ...     "channel": ["email", "search", None],
        ...     "conversion": [0, 0, 1]})
        >>> from pathcredit.journeys.events import build_journeys
        >>> jp = build_journeys(ev, backend="pandas").journey_paths()
        >>> jp.times.tolist()
        [7.0, 0.0]
        >>> attribute(jp, model="time_decay", half_life=7).conversions.tolist()
        [0.3333333333333333, 0.6666666666666666]
        """
        t = self.touches()
        channels, codes = np.unique(t["channel"].to_numpy(dtype=object), return_inverse=True)
        key = t["person"].astype(str) + "\x00" + t["journey"].astype(str)
        starts = np.flatnonzero(np.r_[True, key.to_numpy()[1:] != key.to_numpy()[:-1]])
        offsets = np.r_[starts, len(t)]
        conv = t["converted"].to_numpy(dtype=np.float64)[starts]
        value = t["value"].to_numpy(dtype=np.float64)[starts] if self.has_value else None
        return Journeys(
            channels.tolist(),
            codes,
            offsets,
            conv,
            value,
            1.0 - conv,
            times=t["days_to_conversion"].to_numpy(dtype=np.float64),
            removed=self.journeys.removed,
            source=self.journeys.source,
        )

    def time_lag(self):
        """Time-lag report: see :func:`pathcredit.reports.time_lag_report`."""
        from ..reports import time_lag_report

        return time_lag_report(self)

    def path_length(self):
        """Path-length report: see :func:`pathcredit.reports.journey_length_report`."""
        from ..reports import journey_length_report

        return journey_length_report(self)

    def __iter__(self):
        # ``paths, touches = build_journeys(...)``
        yield self.journeys
        yield self.touch_table if self.touch_table is not None else self.touches()

    def __repr__(self) -> str:
        return f"<EventJourneys on {self.backend}: {self.journeys!r}>"


def resolve_identity(device, person, source):
    """Follow an identity map to its end: ``a -> b, b -> c`` sends ``a`` (and ``b``) to ``c``.

    ``device`` and ``person`` are arrays of distinct ``(device, person)`` string
    pairs. A pair ``x -> x`` is ignored. Returns ``(device, person)`` with every
    device sent to the end of its chain.

    Raises
    ------
    InputError
        A device sent to several persons, or a cycle (``a -> b, b -> a``), whose
        first device in sort order is named.

    Notes
    -----
    Pointer jumping on integer codes: each step replaces every node's target by
    its target's target, so chains of length L resolve in ceil(log2 L) steps of
    O(n) numpy work.
    """
    device = np.asarray(device, dtype=object)
    person = np.asarray(person, dtype=object)
    keep = device != person
    device, person = device[keep], person[keep]
    if len(device) == 0:
        return device, person
    nodes, codes = np.unique(np.concatenate([device, person]), return_inverse=True)
    d, p = codes[: len(device)], codes[len(device) :]
    order = np.argsort(d, kind="stable")
    again = np.flatnonzero(d[order][1:] == d[order][:-1])
    if len(again):
        raise InputError(
            "the identity map sends one device id to several person ids",
            source=source,
            value=nodes[d[order][again[0]]],
        )
    target = np.arange(len(nodes))
    target[d] = p
    for _ in range(int(np.ceil(np.log2(len(nodes) + 1))) + 1):
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    # a chain ends at an id that is not itself mapped; on a cycle it never does
    is_device = np.zeros(len(nodes), dtype=bool)
    is_device[d] = True
    stuck = d[is_device[target[d]] | (target[target[d]] != target[d])]
    if len(stuck):
        raise InputError(
            "the identity map has a cycle (a device id leads back to itself through "
            "the person ids); map every id of the cycle to one person id",
            source=source,
            value=nodes[stuck.min()],
        )
    return nodes[d], nodes[target[d]]
