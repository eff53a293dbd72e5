"""The result of journey building from an event log, shared by every backend.

:class:`EventJourneys` (the path table and the touch-level table), the fixed touch
columns, and identity-map resolution live here so that the engine builder
(``events.py``) and the pandas reference (``_events_pandas.py``) both import them
without importing each other.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np

from ..exceptions import InputError, PathcreditWarning
from ._core import Journeys, Removal
from .event_reports import journey_length_report, time_lag_report

__all__ = [
    "TOUCH_COLUMNS",
    "TIME_UNITS",
    "TOUCH_TYPE_ALIASES",
    "EventJourneys",
    "Lookback",
    "resolve_identity",
    "identity_report",
    "warn_dropped_conversions",
]

#: Microseconds per unit of an integer time column (``time_unit``).
TIME_UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}  # ns: floor-divided by 1000

#: Microseconds since 1970-01-01 UTC of 0001-01-01 00:00 and 9999-12-31 23:59:59.999999: the
#: instants an integer time may name (four-digit years, as ISO 8601 writes them).
INTEGER_TIME_RANGE_US = (-62_135_596_800_000_000, 253_402_300_799_999_999)


def integer_time_bounds(time_unit: str) -> tuple[int, int] | None:
    """The smallest and largest integer time in ``time_unit`` inside
    :data:`INTEGER_TIME_RANGE_US`; ``None`` for ``"ns"``, whose every int64 value is
    inside (1677 to 2262)."""
    mult = TIME_UNITS[time_unit]
    if mult is None:
        return None
    lo, hi = INTEGER_TIME_RANGE_US
    return -((-lo) // mult), hi // mult


def integer_time_error(time_unit, value, *, source, column, row) -> InputError:
    """The error for an integer time outside :data:`INTEGER_TIME_RANGE_US`."""
    lo, hi = integer_time_bounds(time_unit) or (None, None)
    return InputError(
        f"an integer time must name an instant from 0001-01-01 to 9999-12-31 UTC "
        f"(with time_unit={time_unit!r}: {lo} to {hi}); is the unit right?",
        source=source,
        column=column,
        row=row,
        value=value,
    )


#: Touch-type spellings read as one type (after lower-casing and trimming).
TOUCH_TYPE_ALIASES = {
    "impression": "view",
    "impressions": "view",
    "views": "view",
    "clicks": "click",
}

#: The type of a touch whose type is missing, and of every touch without a type column.
DEFAULT_TOUCH_TYPE = "click"
#: The type of a touch from the ``offline`` table when it has no type column.
OFFLINE_TOUCH_TYPE = "offline"

#: Share of an identity map's rows that must match the log not to be warned about.
IDENTITY_FEW = 0.01

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
    "touch_type",
]


class Lookback:
    """A lookback window in days: one for every touch, or one per touch type.

    ``spec`` is a number of days, ``None`` (no limit), or a mapping
    ``{touch type: days or None}``; in a mapping the key ``"default"`` covers the
    types it does not name, and without it a type it does not name is an error.
    Type names are read as :data:`TOUCH_TYPE_ALIASES` says (``impression`` is ``view``).

    Examples
    --------
    >>> lb = Lookback({"click": 30, "impression": 1})
    >>> lb.per_type, lb.label
    ({'click': 30.0, 'view': 1.0}, 'lookback_days=click:30,view:1')
    >>> Lookback(7).days_for("view"), Lookback(None).label
    (7.0, None)
    """

    def __init__(self, spec):
        self.spec = spec
        self.per_type: dict[str, float | None] = {}
        self.has_default = True
        self.default: float | None = None
        if isinstance(spec, Mapping):
            if not spec:
                raise InputError("a lookback mapping needs at least one touch type", value=spec)
            for key, days in spec.items():
                if not isinstance(key, str) or not key.strip():
                    raise InputError("lookback touch types must be names", value=key)
                t = touch_type_name(key)
                days = self._days(days, f"lookback_days[{key!r}]")
                if t == "default":
                    self.default = days
                else:
                    self.per_type[t] = days
            self.has_default = any(touch_type_name(k) == "default" for k in spec)
        else:
            self.default = self._days(spec, "lookback_days")

    @staticmethod
    def _days(v, name):
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise InputError(f"{name} must be a number of days >= 0 or None", value=v)
        if not math.isfinite(v) or v < 0:
            raise InputError(f"{name} must be a number of days >= 0 or None", value=v)
        return float(v)

    @property
    def by_type(self) -> bool:
        return bool(self.per_type)

    def days_for(self, touch_type: str) -> float | None:
        return self.per_type.get(touch_type, self.default)

    def check_types(self, types, source) -> None:
        """Refuse touch types the mapping does not cover (when it has no ``default``)."""
        if self.has_default:
            return
        missing = sorted(t for t in types if t is not None and t not in self.per_type)
        if missing:
            raise InputError(
                f"the lookback windows name the touch types {sorted(self.per_type)} but the "
                f"data also has {missing}; add them or a 'default' window",
                source=source,
                value=missing[0],
            )

    @property
    def label(self) -> str | None:
        """The removal step's name, ``None`` when nothing is cut."""
        if not self.by_type:
            return None if self.default is None else f"lookback_days={self.default:g}"
        parts = [f"{t}:{'none' if d is None else format(d, 'g')}" for t, d in self.per_type.items()]
        parts.sort()
        if self.has_default:
            parts.append(f"default:{'none' if self.default is None else format(self.default, 'g')}")
        return "lookback_days=" + ",".join(parts)

    @property
    def cuts(self) -> bool:
        return self.default is not None or any(d is not None for d in self.per_type.values())


def touch_type_name(raw: str) -> str:
    """A touch type as compared: trimmed, lower-case, aliases resolved."""
    t = raw.strip().lower()
    return TOUCH_TYPE_ALIASES.get(t, t)


def identity_report(rows: int, matched: int, source) -> dict:
    """``{"rows", "matched"}`` of an identity map, warning when none or very few matched.

    ``rows`` are the map's distinct (device, person) pairs, ``matched`` those
    whose device id occurs in the log (as text).
    """
    report = {"rows": int(rows), "matched": int(matched)}
    if rows and matched == 0:
        warnings.warn(
            f"{source}: none of the identity map's {rows:,} rows matched an id in the event "
            "log, so nothing was stitched; are the id columns the right ones (ids are "
            "compared as text)?",
            PathcreditWarning,
            stacklevel=3,
        )
    elif rows and matched < IDENTITY_FEW * rows:
        warnings.warn(
            f"{source}: only {matched:,} of the identity map's {rows:,} rows matched an id "
            "in the event log; are the id columns the right ones (ids are compared as text)?",
            PathcreditWarning,
            stacklevel=3,
        )
    return report


def warn_dropped_conversions(journeys: Journeys, user_col: str) -> None:
    """Warn when more than half of the log's conversions were dropped, naming the main reason."""
    kept = float(journeys.total_conversions)
    lost = sum(float(r.conversions) for r in journeys.removed)
    if lost <= 0.5 * (kept + lost) or lost == 0:
        return
    top = max(journeys.removed, key=lambda r: r.conversions)
    hint = ""
    if top.step == "missing user":
        hint = f" (is {user_col!r} the right user column?)"
    elif top.step.startswith("lookback_days"):
        hint = " (is the lookback window long enough?)"
    elif top.step == "conversions with no touch":
        hint = " (are the touches in this log?)"
    warnings.warn(
        f"{journeys.source}: {lost:g} of the log's {kept + lost:g} conversions were dropped; "
        f"the biggest reason: {top.step!r} ({top.conversions:g} conversions){hint}",
        PathcreditWarning,
        stacklevel=3,
    )


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
    identity : dict or None
        With an identity map, ``{"rows": distinct (device, person) rows of the map,
        "matched": those whose device id occurs in the log}`` (a warning is given
        when none or fewer than 1% matched); ``None`` without one.
    repeated_touches : int
        Touches on a path beyond each touch's first. 0 when journeys end at each
        conversion (``reset_at_conversion=True``, the default); with ``False`` a touch
        is also on the paths of the person's later conversions whose lookback window
        reaches it. Touches are conserved as: the touches of the path table (each
        path's length times its journeys) minus ``repeated_touches``, plus the
        touches in ``journeys.removed``, are the log's touches.
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
        identity=None,
        repeated_touches=0,
    ):
        self.journeys = journeys
        self.repeated_touches = int(repeated_touches)
        self.partitions = partitions
        self.touch_table = touch_table
        self._touches_frame = touches_frame
        self._engine = engine
        self.backend = backend
        self.has_value = has_value
        self.identity = identity

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
        converted, value, touch_type``. ``days_to_conversion`` is measured to the end of the
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
        """Time-lag report: see :func:`~.event_reports.time_lag_report`."""
        return time_lag_report(self)

    def path_length(self):
        """Path-length report: see :func:`~.event_reports.journey_length_report`."""
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
