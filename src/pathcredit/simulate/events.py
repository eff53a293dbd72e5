"""A seeded event-log simulator: people, touchpoints in time, conversions with value.

Used by the tests, the event-log notebook and the event-log benchmark. The
process is simple and fully vectorised (numpy), so ten million events take a
few seconds:

* each person has ``1 + Poisson(mean_touches - 1)`` touches; the first falls
  uniformly in the first ``days`` days from ``start``, the next ones follow
  after exponential gaps with mean ``mean_gap_days``;
* each touch's channel is drawn from ``channel_probs``;
* after each touch the person converts with the channel's probability
  ``conversion_probs``, a conversion row an exponential time (mean two hours)
  after the touch, with a log-normal value;
* ``duplicate_rate`` copies a share of the touch rows exactly (as logging
  pipelines do), for tests of de-duplication.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import InputError

__all__ = ["simulate_events", "DEFAULT_CHANNELS"]

#: Channel -> (share of touches, conversion probability after a touch).
DEFAULT_CHANNELS = {
    "search": (0.30, 0.040),
    "display": (0.20, 0.008),
    "social": (0.15, 0.010),
    "email": (0.15, 0.030),
    "direct": (0.12, 0.050),
    "affiliate": (0.08, 0.020),
}


def simulate_events(
    n_users: int,
    *,
    seed: int | None = 0,
    channels: dict[str, tuple[float, float]] | None = None,
    mean_touches: float = 8.0,
    mean_gap_days: float = 4.0,
    days: float = 90.0,
    start: str = "2024-01-01",
    value_mean: float = 80.0,
    duplicate_rate: float = 0.0,
):
    """Simulate a raw event log (one row per touch or conversion).

    Parameters
    ----------
    n_users : int
        Number of people.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same seed gives the same log.
    channels : dict, optional
        ``{channel: (share of touches, conversion probability after a touch)}``;
        default :data:`DEFAULT_CHANNELS`.
    mean_touches : float, default 8
        Mean touches per person (at least one each).
    mean_gap_days : float, default 4
        Mean days between a person's consecutive touches.
    days : float, default 90
        The first touches fall in this many days from ``start``.
    start : str, default "2024-01-01"
    value_mean : float, default 80
        Mean conversion value (log-normal, sigma 0.5).
    duplicate_rate : float, default 0
        Share of touch rows logged twice.

    Returns
    -------
    pandas.DataFrame
        Columns ``user_id`` (str), ``timestamp`` (datetime64[us]), ``channel``
        (str; missing on conversion rows), ``conversion`` (int 0/1),
        ``value`` (float, 0 on touch rows), sorted by time.

    Examples
    --------
    >>> ev = simulate_events(100, seed=1)
    >>> list(ev.columns)
    ['user_id', 'timestamp', 'channel', 'conversion', 'value']
    >>> ev.equals(simulate_events(100, seed=1))
    True

    Notes
    -----
    O(n) time and memory in the number of events.
    """

    if int(n_users) != n_users or n_users < 1:
        raise InputError("n_users must be a positive whole number")
    if mean_touches < 1 or mean_gap_days <= 0 or days <= 0 or not 0 <= duplicate_rate < 1:
        raise InputError("mean_touches >= 1, mean_gap_days > 0, days > 0, 0 <= duplicate_rate < 1")
    spec = DEFAULT_CHANNELS if channels is None else channels
    names = np.array(list(spec), dtype=object)
    share = np.array([v[0] for v in spec.values()], dtype=np.float64)
    p_conv = np.array([v[1] for v in spec.values()], dtype=np.float64)
    if np.any(share < 0) or share.sum() <= 0 or np.any((p_conv < 0) | (p_conv > 1)):
        raise InputError("channel shares must be >= 0 and conversion probabilities in [0, 1]")
    share = share / share.sum()
    rng = np.random.default_rng(seed)
    n_users = int(n_users)
    per_user = 1 + rng.poisson(mean_touches - 1, n_users)
    user = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    n = len(user)
    first = np.r_[0, np.cumsum(per_user)[:-1]]
    us_day = 86_400_000_000
    gaps = rng.exponential(mean_gap_days * us_day, n).astype(np.int64)
    gaps[first] = rng.uniform(0, days * us_day, n_users).astype(np.int64)
    cs = np.cumsum(gaps)
    t = cs - np.repeat(cs[first] - gaps[first], per_user)
    ch = rng.choice(len(names), size=n, p=share)
    conv = rng.random(n) < p_conv[ch]
    k = int(conv.sum())
    conv_t = t[conv] + rng.exponential(2 * 3_600_000_000, k).astype(np.int64)
    value = np.round(rng.lognormal(np.log(value_mean) - 0.125, 0.5, k), 2)
    dup = rng.random(n) < duplicate_rate
    users = np.concatenate([user, user[dup], user[conv]])
    times = np.concatenate([t, t[dup], conv_t])
    chans = np.concatenate([ch, ch[dup], np.full(k, -1)])
    flags = np.concatenate([np.zeros(n + int(dup.sum()), np.int64), np.ones(k, np.int64)])
    vals = np.concatenate([np.zeros(n + int(dup.sum())), value])
    order = np.lexsort((flags, users, times))
    base = int(pd.Timestamp(start).value) // 1000  # ns -> us
    uid = pa.array(users[order]).cast(pa.string())
    chan = pa.array(np.array([*names, None], dtype=object)[chans[order]], type=pa.string())
    return pd.DataFrame(
        {
            "user_id": pd.Series(uid.to_pandas(), copy=False),
            "timestamp": (base + times[order]).astype("datetime64[us]"),
            "channel": pd.Series(chan.to_pandas(), copy=False),
            "conversion": flags[order],
            "value": vals[order],
        }
    )
