"""The event log of a sampled simulation: one row per touch or conversion.

What :meth:`pathcredit.simulate.Simulation.events` returns and
:func:`pathcredit.journeys.build_journeys` reads back into the same journeys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:  # the result type only annotates: _base imports this module
    from ._base import Simulation

__all__ = ["event_log"]


def event_log(sim: Simulation):
    """``(events, identity)``: the event log of ``sim`` and its second ids (or None).

    Touch times are the sampled days before each journey's decision, placed after
    a start drawn uniformly over ``days``; with ``cross_device`` or
    ``offline_channels`` some touches are logged under a second id
    (``<user>~d2``, ``<user>~offline``) that ``identity`` maps back to the person.
    """
    p = sim.params
    r = sim._rows
    ch, length, days = r["ch"], r["length"], r["days"]
    n = len(length)
    rng = np.random.default_rng(np.random.SeedSequence(sim.seed).spawn(4)[3])
    us_day = 86_400_000_000
    span = days[:, 0]  # first touch to decision
    start = rng.uniform(0, p["days"], n)
    decision = ((start + span) * us_day).astype(np.int64)
    valid = ch >= 0
    touch_t = decision[:, None] - np.round(np.nan_to_num(days) * us_day).astype(np.int64)
    person = np.repeat(np.arange(n), length)
    t = touch_t[valid]
    c = ch[valid].astype(np.int64)
    suffix = np.zeros(len(t), dtype=np.int64)  # 0: main id, 1: second device, 2: offline
    if p["cross_device"] > 0:
        cross = rng.random(n) < p["cross_device"]
        suffix[cross[person] & (rng.random(len(t)) < 0.5)] = 1
    offline = [p["channels"].index(x) for x in p["offline_channels"]]
    if offline:
        suffix[np.isin(c, offline)] = 2
    conv = r["conversions"] > 0
    k = int(conv.sum())
    users = np.concatenate([person, np.flatnonzero(conv)])
    ids = np.concatenate([suffix, np.zeros(k, dtype=np.int64)])
    times = np.concatenate([t, decision[conv]])
    chans = np.concatenate([c, np.full(k, -1)])
    flags = np.concatenate([np.zeros(len(t), np.int64), np.ones(k, np.int64)])
    vals = np.concatenate([np.zeros(len(t)), r["value"][conv]])
    order = np.lexsort((flags, users, times))
    base = int(pd.Timestamp(p["start"]).value) // 1000  # ns -> us
    names = np.array([f"u{i}" for i in range(n)], dtype=object)
    tails = np.array(["", "~d2", "~offline"], dtype=object)
    uid = names[users[order]] + tails[ids[order]]
    chan = pa.array(np.array([*p["channels"], None], dtype=object)[chans[order]], type=pa.string())
    events = pd.DataFrame(
        {
            "user_id": pd.Series(pa.array(uid, type=pa.string()).to_pandas(), copy=False),
            "timestamp": (base + times[order]).astype("datetime64[us]"),
            "channel": pd.Series(chan.to_pandas(), copy=False),
            "conversion": flags[order],
            "value": vals[order],
        }
    )
    identity = None
    if suffix.any():
        used = np.unique(person[suffix > 0] * 3 + suffix[suffix > 0])
        identity = pd.DataFrame(
            {
                "device_id": [f"u{u // 3}{tails[u % 3]}" for u in used],
                "person_id": [f"u{u // 3}" for u in used],
            }
        )
    return events, identity
