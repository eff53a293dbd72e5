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
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import InputError

__all__ = [
    "simulate_ga4",
    "write_ga4",
    "ga4_arrow_table",
    "example_ga4_file",
    "GA4_SOURCES",
    "GA4_CLICK_SOURCES",
    "GA4_LAYOUTS",
]

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

#: GA4's default channel group of each entry of GA4_SOURCES, written by hand from
#: Google's rules ("[GA4] Default channel group"), not computed by the reader's rules:
#: the ground truth the reader is tested against.
GA4_SOURCE_GROUPS: tuple[str, ...] = (
    "Direct",
    "Organic Search",
    "Paid Search",
    "Paid Search",
    "Paid Shopping",  # campaign name matches the shopping pattern
    "Cross-network",  # campaign name contains cross-network
    "Paid Social",
    "Organic Social",
    "Display",
    "Email",
    "Affiliates",
    "Referral",
    "Organic Video",
    "SMS",
    "Paid Other",  # retargeting matches the paid-medium pattern, criteo is no listed site
)

#: (click id, campaign, weight, purchase log-odds shift, default channel group) of the
#: auto-tagged sessions: a click id on the landing page and no UTM tag. Google's ids are
#: Search campaigns (GA4: Paid Search); dclid is a Display & Video 360 click (Display);
#: msclkid is a Microsoft Ads click, which pathcredit reads as bing / cpc (Paid Search).
GA4_CLICK_SOURCES: tuple[tuple[str, str | None, float, float, str], ...] = (
    ("gclid", "search_generic", 0.07, 0.6, "Paid Search"),
    ("wbraid", "search_ios_web", 0.01, 0.4, "Paid Search"),
    ("gbraid", "search_ios_app", 0.01, 0.3, "Paid Search"),
    ("dclid", "dv360_prospecting", 0.02, -0.5, "Display"),
    ("msclkid", None, 0.02, 0.3, "Paid Search"),
)
_CLICK_SOURCE_MEDIUM = {
    "gclid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "dclid": ("dfa", "cpm"),
    "msclkid": ("bing", "cpc"),
}

#: The export layouts: ``"modern"`` (``session_traffic_source_last_click`` and
#: ``collected_traffic_source``, GA4 from July 2024), ``"pre_2024_07"`` (without the
#: first) and ``"pre_2023_06"`` (without either: sources only in event parameters,
#: click ids only in ``page_location``).
GA4_LAYOUTS = ("modern", "pre_2024_07", "pre_2023_06")

#: Export date of the bundled example (the field was added to GA4 exports in 2024).
SEED = 20261125
N_PEOPLE = 220
START = "2024-09-01"
DAYS = 60
DATA = Path(__file__).parents[1] / "datasets" / "data"
_DAY_US = 86_400_000_000
#: GA4's carry-over window for direct sessions in the simulated last-click record
_CARRY_US = 90 * _DAY_US


def simulate_ga4(
    n_people: int = N_PEOPLE,
    *,
    seed: int = SEED,
    start: str = START,
    days: int = DAYS,
    cross_device_rate: float = 0.3,
    login_rate: float = 0.5,
    last_click_from: str | None = None,
    layout: str = "modern",
    click_ids: bool = True,
    resend_rate: float = 0.0,
    truth: bool = False,
):
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
        With ``layout="modern"``: ``session_traffic_source_last_click`` is written
        only on events from this day on (GA4 added the field in July 2024: a year
        spanning the change has it on part of the events). Default: on every event.
    layout : {"modern", "pre_2024_07", "pre_2023_06"}
        Which vintage of the schema to write (:data:`GA4_LAYOUTS`); the fields of a
        later vintage are absent, not NULL.
    click_ids : bool, default True
        Also draw auto-tagged sessions (:data:`GA4_CLICK_SOURCES`).
    resend_rate : float, default 0
        Share of purchases sent again with the same ``transaction_id``: half as a
        reload seconds later in the same session, half in the device's next session
        (not re-sent when the device has no later session).
    truth : bool, default False
        Also return the ground truth of every session.

    Returns
    -------
    list of dict, or (list of dict, list of dict)
        Events sorted by user_pseudo_id then time, in the export schema; with
        ``truth=True`` also one dict per session: ``user_pseudo_id``,
        ``ga_session_id``, ``start`` (microseconds), ``channel_group`` (GA4's
        default channel group of the source the session brought, from how it was
        drawn), ``last_click_channel_group`` (the group of the device's latest
        non-direct session within 90 days for a direct session: GA4's
        session-scoped last click), ``click_id`` (the kind, or None), and
        ``resends`` (purchases re-sent in total, on the first session of the list).

    Examples
    --------
    >>> ev = simulate_ga4(5, seed=1)
    >>> {"page_view", "session_start"} <= {e["event_name"] for e in ev}
    True
    >>> isinstance(ev[0]["event_timestamp"], int)
    True
    >>> ev, sessions = simulate_ga4(5, seed=1, truth=True)
    >>> len(sessions) == sum(e["event_name"] == "session_start" for e in ev)
    True
    """
    if layout not in GA4_LAYOUTS:
        raise InputError(f"layout must be one of {list(GA4_LAYOUTS)}", value=layout)
    rng = np.random.default_rng(seed)
    t0 = int(np.datetime64(start, "us").astype(np.int64))
    span = int(days) * _DAY_US
    lc_from = (
        None
        if last_click_from is None
        else int(np.datetime64(last_click_from, "us").astype(np.int64))
    )
    with_lc = layout == "modern"
    with_ct = layout != "pre_2023_06"
    # one list of entries: (source, medium, campaign, shift, group, click id)
    entries: list[tuple[str | None, str | None, str | None, float, str, str | None]] = [
        (s[0], s[1], s[2], s[4], g, None)
        for s, g in zip(GA4_SOURCES, GA4_SOURCE_GROUPS, strict=True)
    ]
    weights = [s[3] for s in GA4_SOURCES]
    if click_ids:
        for kind, cmp, w, shift, group in GA4_CLICK_SOURCES:
            src, med = _CLICK_SOURCE_MEDIUM[kind]
            entries.append((src, med, cmp, shift, group, kind))
            weights.append(w)
    p_src = np.array(weights) / np.sum(weights)
    events: list[dict] = []
    sessions: list[dict] = []
    n_resent = 0
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
        src_idx = rng.choice(len(entries), size=n_sess, p=p_src)
        state: dict[int, dict] = {
            d: {"n": 0, "first": None, "last_nd": None, "ga4_nd": None, "pending": []}
            for d in range(n_dev)
        }
        for k in range(n_sess):
            d = int(dev_of[k])
            st = state[d]
            st["n"] += 1
            ts = int(times[k])
            sid = ts // 1_000_000
            source, medium, campaign, shift, group, click = entries[int(src_idx[k])]
            direct = source is None
            own = ("(direct)", "(none)", "(direct)", "Direct") if direct else (
                source, medium, campaign, group)  # fmt: skip
            if st["first"] is None:
                st["first"] = own
            # the truth: pathcredit's reading (msclkid is a paid click)
            last = st["last_nd"]
            if direct and last is not None and ts - last[1] <= _CARRY_US:
                lc_group = last[0][3]
            else:
                lc_group = group
            if not direct:
                st["last_nd"] = (own, ts)
            # GA4's own record: it does not read msclkid, so such a session is direct to it
            ga4_direct = direct or click == "msclkid"
            g_last = st["ga4_nd"]
            if ga4_direct:
                fresh = g_last is not None and ts - g_last[1] <= _CARRY_US
                record = g_last[0] if fresh else ("(direct)", "(none)", "(direct)", "Direct",
                                                  None)  # fmt: skip
            else:
                record = (*own, click)
                st["ga4_nd"] = (record, ts)
            sessions.append(
                {
                    "user_pseudo_id": devices[d],
                    "ga_session_id": sid,
                    "start": ts,
                    "channel_group": group,
                    "last_click_channel_group": lc_group,
                    "click_id": click,
                }
            )
            n_pages = 1 + int(rng.poisson(1.5))
            logit = -2.6 + shift + 0.45 * (k + 1)
            buy = rng.random() < 1.0 / (1.0 + np.exp(-logit))
            names = (["first_visit"] if st["n"] == 1 else []) + ["session_start"]
            names += ["page_view"] * n_pages
            if buy:
                names += ["add_to_cart", "purchase"]
            resend_now = list(st["pending"])  # re-sends carried from an earlier session
            st["pending"] = []
            t = ts
            landing = 2 if names[0] == "first_visit" else 1
            utm = (not direct) and click is None and medium not in ("organic", "referral")
            tid = f"T{p}-{k}"
            revenue = 0.0
            for j, name in enumerate(names):
                if j > 0 and name not in ("session_start",):
                    t += int(rng.integers(1, 90_000_000))  # up to 90 s between events
                first_events = j <= landing
                url = _landing_url(j, first_events, direct, source, medium, campaign, click, sid)
                params = _params(sid, st["n"], url)
                if first_events and not direct and click is None:
                    params += [
                        {"key": "source", "value": {"string_value": source}},
                        {"key": "medium", "value": {"string_value": medium}},
                    ]
                    if campaign is not None:
                        params.append({"key": "campaign", "value": {"string_value": campaign}})
                ev = _event(t, name, params, devices[d], user_id if login[k] else None, st)
                if with_ct:
                    ev["collected_traffic_source"] = _collected(
                        first_events, utm, source, medium, campaign, click, sid
                    )
                if with_lc:
                    ev["session_traffic_source_last_click"] = (
                        _last_click_record(record, sid) if lc_from is None or t >= lc_from else None
                    )
                if name == "purchase":
                    revenue = round(float(rng.lognormal(4.0, 0.5)), 2)
                    _purchase(ev, params, tid, revenue, int(rng.integers(1, 4)))
                events.append(ev)
            later = []
            if buy and rng.random() < resend_rate:
                n_resent += 1
                if rng.random() < 0.5:
                    later.append((tid, revenue))
                else:
                    resend_now.append((tid, revenue))
            for r_tid, r_rev in resend_now:  # a reload of the thank-you page
                t += int(rng.integers(2_000_000, 30_000_000))
                params = _params(sid, st["n"], "https://shop.example.com/thank-you")
                ev = _event(t, "purchase", params, devices[d], user_id if login[k] else None, st)
                if with_ct:
                    ev["collected_traffic_source"] = None
                if with_lc:
                    ev["session_traffic_source_last_click"] = (
                        _last_click_record(record, sid) if lc_from is None or t >= lc_from else None
                    )
                _purchase(ev, params, r_tid, r_rev, 1)
                events.append(ev)
            st["pending"] = later
        for st in state.values():  # no later session on that device: never re-sent
            n_resent -= len(st["pending"])
    events.sort(key=lambda e: (e["user_pseudo_id"], e["event_timestamp"]))
    if truth:
        if sessions:
            sessions[0]["resends"] = n_resent
        return events, sessions
    return events


def _landing_url(j, first_events, direct, source, medium, campaign, click, sid):
    """``page_location``: the landing page carries the click id or the UTM tags."""
    if not first_events or direct:
        return f"https://shop.example.com/p/{j}"
    if click is not None:
        return f"https://shop.example.com/?{click}={_click_value(click, sid)}&gad_source=1"
    if medium in ("organic", "referral"):
        return f"https://shop.example.com/p/{j}"
    tags = f"utm_source={source}&utm_medium={medium}"
    if campaign is not None:
        tags += f"&utm_campaign={campaign}"
    return f"https://shop.example.com/?{tags}"


def _click_value(click, sid):
    return f"{click[:2].upper()}{sid:x}_Bw"


def _params(sid, n, url):
    return [
        {"key": "ga_session_id", "value": {"int_value": sid}},
        {"key": "ga_session_number", "value": {"int_value": n}},
        {"key": "page_location", "value": {"string_value": url}},
    ]


def _event(t, name, params, device, user_id, st):
    return {
        "event_date": str(np.datetime64(t, "us").astype("datetime64[D]")).replace("-", ""),
        "event_timestamp": t,
        "event_name": name,
        "event_params": params,
        "user_pseudo_id": device,
        "user_id": user_id,
        "traffic_source": {
            "source": st["first"][0],
            "medium": st["first"][1],
            "name": st["first"][2],
        },
        "ecommerce": None,
    }


def _collected(first_events, utm, source, medium, campaign, click, sid):
    """``collected_traffic_source``: the UTM tags, or gclid / dclid, of the landing events
    (the schema has no field for wbraid, gbraid or msclkid)."""
    if not first_events:
        return None
    if utm:
        return {"manual_source": source, "manual_medium": medium, "manual_campaign_name": campaign}
    if click in ("gclid", "dclid"):
        return {click: _click_value(click, sid)}
    return None


def _last_click_record(record, sid):
    """``session_traffic_source_last_click`` as GA4 writes it for the session's last
    non-direct click (``record``: source, medium, campaign, group, click id)."""
    source, medium, campaign, group, click = record
    out: dict = {
        "cross_channel_campaign": {
            "campaign_name": campaign or "(not set)",
            "source": source,
            "medium": medium,
            "default_channel_group": group,
            "primary_channel_group": group,
        }
    }
    if click is None:  # manual (UTM or referral) traffic, or direct
        out["manual_campaign"] = {
            "source": source,
            "medium": medium,
            "campaign_name": campaign or ("(direct)" if group == "Direct" else f"({medium})"),
        }
    elif click in ("gclid", "wbraid", "gbraid"):
        out["google_ads_campaign"] = {
            "customer_id": "1234567890",
            "account_name": "Example Shop",
            "campaign_id": str(zlib.crc32(str(campaign).encode())),
            "campaign_name": campaign,
            "ad_group_id": "1",
            "ad_group_name": "all",
        }
    return out


def _purchase(ev, params, tid, revenue, quantity):
    ev["ecommerce"] = {
        "transaction_id": tid,
        "purchase_revenue": revenue,
        "total_item_quantity": quantity,
    }
    params.append({"key": "value", "value": {"double_value": revenue}})
    params.append({"key": "currency", "value": {"string_value": "EUR"}})


def _arrow_schema(fields=None):
    """BigQuery's export types as Arrow types (the top-level ``fields`` present, in order)."""

    value = pa.struct(
        [
            ("string_value", pa.string()),
            ("int_value", pa.int64()),
            ("float_value", pa.float64()),
            ("double_value", pa.float64()),
        ]
    )
    src = [("source", pa.string()), ("medium", pa.string())]
    strings = lambda *names: [(n, pa.string()) for n in names]  # noqa: E731
    last_click = pa.struct(
        [
            ("manual_campaign", pa.struct([("campaign_name", pa.string()), *src])),
            (
                "google_ads_campaign",
                pa.struct(
                    strings(
                        "customer_id",
                        "account_name",
                        "campaign_id",
                        "campaign_name",
                        "ad_group_id",
                        "ad_group_name",
                    )
                ),
            ),  # fmt: skip
            (
                "cross_channel_campaign",
                pa.struct(
                    strings(
                        "campaign_id",
                        "campaign_name",
                        "source",
                        "medium",
                        "source_platform",
                        "default_channel_group",
                        "primary_channel_group",
                    )
                ),
            ),  # fmt: skip
        ]
    )
    all_fields = [
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
                strings(
                    "manual_campaign_name",
                    "manual_source",
                    "manual_medium",
                    "gclid",
                    "dclid",
                    "srsltid",
                )
            ),
        ),  # fmt: skip
        ("session_traffic_source_last_click", last_click),
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
    if fields is not None:
        present = set(fields)
        all_fields = [f for f in all_fields if f[0] in present]
    return pa.schema(all_fields)


def ga4_arrow_table(records: list[dict]):
    """The records as a ``pyarrow.Table`` with BigQuery's export types (the top-level
    fields of the first record: an older layout lacks the later fields)."""

    fields = list(records[0]) if records else None
    return pa.Table.from_pylist(records, schema=_arrow_schema(fields))


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
        pq.write_table(ga4_arrow_table(records), path, compression="zstd")
        return path

    raise InputError("write_ga4 writes .ndjson/.json/.jsonl or .parquet", value=str(path))


def example_ga4_file() -> Path:
    """Path of the bundled GA4-shaped export (Parquet, written by :func:`simulate_ga4`).

    220 simulated people over 60 days from 2024-09-01, 30 % of them with two
    devices stitched by ``user_id``, with auto-tagged sessions (a ``gclid``,
    ``wbraid``, ``gbraid``, ``dclid`` or ``msclkid`` and no UTM tag) and 15 % of
    the purchases re-sent with the same ``transaction_id``;
    ``session_traffic_source_last_click`` is present from 2024-10-01 on (a
    period spanning GA4's addition of the field, see :func:`pathcredit.read_ga4`).

    Examples
    --------
    >>> example_ga4_file().name
    'ga4_example.parquet'
    """
    return DATA / "ga4_example.parquet"


#: How the bundled example is generated (the regeneration test uses the same call).
EXAMPLE_OPTIONS = dict(
    n_people=N_PEOPLE,
    seed=SEED,
    start=START,
    days=DAYS,
    last_click_from="2024-10-01",
    resend_rate=0.15,
)


def main() -> None:  # pragma: no cover - rewrites the bundled file
    path = write_ga4(simulate_ga4(**EXAMPLE_OPTIONS), example_ga4_file())  # type: ignore[arg-type]
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":  # pragma: no cover
    main()
