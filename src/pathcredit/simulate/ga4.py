"""A small Google Analytics 4 BigQuery export, simulated: nested events as GA4 writes them.

:func:`simulate_ga4` draws people with one or two devices (a ``user_pseudo_id``
each), sessions over a period, and the events of each session
(``first_visit``, ``session_start``, ``page_view``, ``add_to_cart``,
``purchase``) in the BigQuery export schema
(https://support.google.com/analytics/answer/7029846): ``event_timestamp`` in
microseconds (UTC), ``event_params`` as repeated ``key`` / ``value`` records
(``ga_session_id``, ``ga_session_number``, ``page_location``, and ``source``,
``medium``, ``campaign`` on the session's first events when it came from a
tagged link), ``collected_traffic_source`` (the tagged link's fields, on the
same events), ``session_traffic_source_last_click.manual_campaign`` (on every
event; a direct session inherits its device's last non-direct source of the
previous 90 days, as GA4's session-scoped last-click model does), the
user-scoped ``traffic_source`` (the device's first source),
``ecommerce.purchase_revenue`` on purchases, and ``user_id`` on the events of
sessions where the person logged in (every person with two devices logs in on
both at least once, so the devices can be stitched).

Sessions come from traffic sources that cover most of GA4's default channel
groups (Direct, Organic Search, Paid Search, Paid Shopping, Cross-network,
Paid Social, Organic Social, Display, Email, Affiliates, Referral, Organic
Video, SMS, Paid Other). A session's purchase probability grows with the
person's earlier sessions and depends on the source (email and paid search
convert best), so models have something to find; the process is for testing
the reader, not a ground-truth scenario.

:func:`write_ga4` writes the records as newline-delimited JSON (INT64 values
as strings, as BigQuery's JSON export writes them) or Parquet (BigQuery's
types). The bundled example (``datasets/data/ga4_example.parquet``) is
regenerated with::

    python -m pathcredit.simulate.ga4
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["simulate_ga4", "write_ga4", "ga4_arrow_table", "example_ga4_file", "GA4_SOURCES"]

#: (source, medium, campaign, weight, purchase log-odds shift) of the simulated sessions.
GA4_SOURCES: tuple[tuple[str | None, str | None, str | None, float, float], ...] = (
    (None, None, None, 0.22, 0.0),  # direct: no tagged link
    ("google", "organic", None, 0.16, 0.2),
    ("google", "cpc", "brand_search", 0.08, 0.7),
    ("bing", "cpc", "generic_search", 0.04, 0.3),
    ("google", "cpc", "spring_shopping", 0.04, 0.6),
    ("google", "cpc", "pmax_cross-network", 0.03, 0.3),
    ("facebook", "paid_social", "retarget_q2", 0.06, 0.1),
    ("l.facebook.com", "referral", None, 0.05, -0.3),
    ("gdn", "display", "awareness", 0.06, -0.6),
    ("newsletter", "email", "weekly", 0.07, 0.8),
    ("partner_network", "affiliate", None, 0.04, 0.4),
    ("blog.example.org", "referral", None, 0.05, -0.2),
    ("youtube.com", "referral", None, 0.03, -0.4),
    ("sms", "sms", "flash_sale", 0.02, 0.5),
    ("criteo", "retargeting", None, 0.05, 0.2),
)

#: Export date of the bundled example (the field was added to GA4 exports in 2024).
SEED = 20261125
N_PEOPLE = 220
START = "2024-09-01"
DAYS = 60
DATA = Path(__file__).parents[1] / "datasets" / "data"


def simulate_ga4(
    n_people: int = N_PEOPLE,
    *,
    seed: int = SEED,
    start: str = START,
    days: int = DAYS,
    cross_device_rate: float = 0.3,
    login_rate: float = 0.5,
    last_click_from: str | None = None,
) -> list[dict]:
    """Simulate a GA4 BigQuery export: one nested record per event.

    Parameters
    ----------
    n_people : int
        People to simulate (each with one or two devices).
    seed : int
        Random seed: the same seed gives the same records.
    start : str
        First day (UTC) of the export; sessions fall in ``[start, start + days)``.
    days : int
        Length of the period.
    cross_device_rate : float
        Share of people with two devices.
    login_rate : float
        Share of the single-device people who log in (``user_id`` present).
    last_click_from : str, optional
        ``session_traffic_source_last_click`` is written only on events from this
        day on (GA4 added the field in 2024: older exports lack it). Default: on
        every event.

    Returns
    -------
    list of dict
        Events sorted by user_pseudo_id then time, in the export schema.

    Examples
    --------
    >>> ev = simulate_ga4(5, seed=1)
    >>> {"page_view", "session_start"} <= {e["event_name"] for e in ev}
    True
    >>> isinstance(ev[0]["event_timestamp"], int)
    True
    """
    rng = np.random.default_rng(seed)
    t0 = int(np.datetime64(start, "us").astype(np.int64))
    span = int(days) * 86_400_000_000
    lc_from = (
        None
        if last_click_from is None
        else int(np.datetime64(last_click_from, "us").astype(np.int64))
    )
    weights = np.array([s[3] for s in GA4_SOURCES])
    weights = weights / weights.sum()
    events: list[dict] = []
    for p in range(n_people):
        two = rng.random() < cross_device_rate
        n_dev = 2 if two else 1
        logs_in = two or rng.random() < login_rate
        user_id = f"C{100000 + p}" if logs_in else None
        devices = [
            f"{int(rng.integers(10**8, 10**9))}.{int(rng.integers(1_700_000_000, 1_730_000_000))}"
            for _ in range(n_dev)
        ]
        n_sess = 1 + int(rng.poisson(2.0))
        if two:
            n_sess = max(n_sess, 2)
        times = np.sort(t0 + rng.integers(0, span, size=n_sess))
        dev_of = rng.integers(0, n_dev, size=n_sess)
        if two:  # both devices used
            dev_of[0], dev_of[-1] = 0, 1
        login = rng.random(n_sess) < 0.5 if logs_in else np.zeros(n_sess, bool)
        if logs_in:
            for d in range(n_dev):  # each device logs in at least once
                idx = np.flatnonzero(dev_of == d)
                if len(idx) and not login[idx].any():
                    login[idx[-1]] = True
        src_idx = rng.choice(len(GA4_SOURCES), size=n_sess, p=weights)
        state: dict[int, dict] = {d: {"n": 0, "first": None, "last_nd": None} for d in range(n_dev)}
        for k in range(n_sess):
            d = int(dev_of[k])
            st = state[d]
            st["n"] += 1
            ts = int(times[k])
            sid = ts // 1_000_000
            source, medium, campaign, _, shift = GA4_SOURCES[int(src_idx[k])]
            direct = source is None
            own = ("(direct)", "(none)", "(direct)") if direct else (source, medium, campaign)
            if st["first"] is None:
                st["first"] = own
            if direct:
                last = st["last_nd"]
                if last is not None and ts - last[1] > 90 * 86_400_000_000:
                    last = None
                last_click = own if last is None else last[0]
            else:
                last_click = own
                st["last_nd"] = (own, ts)
            n_pages = 1 + int(rng.poisson(1.5))
            logit = -2.6 + shift + 0.45 * (k + 1)
            buy = rng.random() < 1.0 / (1.0 + np.exp(-logit))
            names = (["first_visit"] if st["n"] == 1 else []) + ["session_start"]
            names += ["page_view"] * n_pages
            if buy:
                names += ["add_to_cart", "purchase"]
            t = ts
            for j, name in enumerate(names):
                if j > 0 and name not in ("session_start",):
                    t += int(rng.integers(1, 90_000_000))  # up to 90 s between events
                params = [
                    {"key": "ga_session_id", "value": {"int_value": sid}},
                    {"key": "ga_session_number", "value": {"int_value": st["n"]}},
                    {
                        "key": "page_location",
                        "value": {"string_value": f"https://shop.example.com/p/{j}"},
                    },
                ]
                first_events = j <= (2 if names[0] == "first_visit" else 1)
                tagged = (not direct) and first_events
                if tagged:
                    params += [
                        {"key": "source", "value": {"string_value": source}},
                        {"key": "medium", "value": {"string_value": medium}},
                    ]
                    if campaign is not None:
                        params.append({"key": "campaign", "value": {"string_value": campaign}})
                ev: dict = {
                    "event_date": str(np.datetime64(t, "us").astype("datetime64[D]")).replace(
                        "-", ""
                    ),
                    "event_timestamp": t,
                    "event_name": name,
                    "event_params": params,
                    "user_pseudo_id": devices[d],
                    "user_id": user_id if login[k] else None,
                    "traffic_source": {
                        "source": st["first"][0],
                        "medium": st["first"][1],
                        "name": st["first"][2],
                    },
                    "collected_traffic_source": (
                        {
                            "manual_source": source,
                            "manual_medium": medium,
                            "manual_campaign_name": campaign,
                        }
                        if tagged
                        else None
                    ),
                    "session_traffic_source_last_click": (
                        {
                            "manual_campaign": {
                                "source": last_click[0],
                                "medium": last_click[1],
                                "campaign_name": last_click[2],
                            }
                        }
                        if lc_from is None or t >= lc_from
                        else None
                    ),
                    "ecommerce": None,
                }
                if name == "purchase":
                    revenue = round(float(rng.lognormal(4.0, 0.5)), 2)
                    ev["ecommerce"] = {
                        "transaction_id": f"T{p}-{k}",
                        "purchase_revenue": revenue,
                        "total_item_quantity": int(rng.integers(1, 4)),
                    }
                    params.append({"key": "value", "value": {"double_value": revenue}})
                    params.append({"key": "currency", "value": {"string_value": "EUR"}})
                events.append(ev)
    events.sort(key=lambda e: (e["user_pseudo_id"], e["event_timestamp"]))
    return events


def _arrow_schema():
    import pyarrow as pa

    value = pa.struct(
        [
            ("string_value", pa.string()),
            ("int_value", pa.int64()),
            ("float_value", pa.float64()),
            ("double_value", pa.float64()),
        ]
    )
    src = [("source", pa.string()), ("medium", pa.string())]
    return pa.schema(
        [
            ("event_date", pa.string()),
            ("event_timestamp", pa.int64()),
            ("event_name", pa.string()),
            ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", value)]))),
            ("user_pseudo_id", pa.string()),
            ("user_id", pa.string()),
            ("traffic_source", pa.struct([("name", pa.string()), *src])),
            (
                "collected_traffic_source",
                pa.struct(
                    [
                        ("manual_campaign_name", pa.string()),
                        ("manual_source", pa.string()),
                        ("manual_medium", pa.string()),
                    ]
                ),
            ),
            (
                "session_traffic_source_last_click",
                pa.struct([("manual_campaign", pa.struct([("campaign_name", pa.string()), *src]))]),
            ),
            (
                "ecommerce",
                pa.struct(
                    [
                        ("total_item_quantity", pa.int64()),
                        ("purchase_revenue", pa.float64()),
                        ("transaction_id", pa.string()),
                    ]
                ),
            ),
        ]
    )


def ga4_arrow_table(records: list[dict]):
    """The records as a ``pyarrow.Table`` with BigQuery's export types."""
    import pyarrow as pa

    return pa.Table.from_pylist(records, schema=_arrow_schema())


def _json_default(rec):
    """A record as BigQuery's JSON export writes it: INT64 as strings, NULL fields omitted."""

    def conv(x):
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items() if v is not None}
        if isinstance(x, list):
            return [conv(v) for v in x]
        if isinstance(x, bool):  # pragma: no cover - no booleans in the schema
            return x
        if isinstance(x, int | np.integer):
            return str(int(x))
        return x

    return conv(rec)


def write_ga4(records: list[dict], path: str | os.PathLike) -> Path:
    """Write records as newline-delimited JSON (``.json``, ``.ndjson``, ``.jsonl``) or Parquet.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_ga4(simulate_ga4(2, seed=1), os.path.join(d, "x.ndjson"))
    ...     first = p.read_text().splitlines()[0]
    >>> '"event_timestamp": "' in first  # INT64 as text, as BigQuery writes JSON
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".json", ".ndjson", ".jsonl"):
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(json.dumps(_json_default(rec), ensure_ascii=False) + "\n")
        return path
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        pq.write_table(ga4_arrow_table(records), path, compression="zstd")
        return path
    from ..exceptions import InputError

    raise InputError("write_ga4 writes .ndjson/.json/.jsonl or .parquet", value=str(path))


def example_ga4_file() -> Path:
    """Path of the bundled GA4-shaped export (Parquet, written by :func:`simulate_ga4`).

    220 simulated people over 60 days from 2024-09-01, 30 % of them with two
    devices stitched by ``user_id``; ``session_traffic_source_last_click`` is
    present from 2024-10-01 on (older events fall back to
    ``collected_traffic_source``, see :func:`pathcredit.read_ga4`).

    Examples
    --------
    >>> example_ga4_file().name
    'ga4_example.parquet'
    """
    return DATA / "ga4_example.parquet"


#: How the bundled example is generated (the regeneration test uses the same call).
EXAMPLE_OPTIONS = dict(
    n_people=N_PEOPLE, seed=SEED, start=START, days=DAYS, last_click_from="2024-10-01"
)


def main() -> None:  # pragma: no cover - rewrites the bundled file
    path = write_ga4(simulate_ga4(**EXAMPLE_OPTIONS), example_ga4_file())  # type: ignore[arg-type]
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":  # pragma: no cover
    main()
