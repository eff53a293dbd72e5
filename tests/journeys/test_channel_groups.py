"""Channel grouping: GA4's default rules on the help page's cases, the engine's CASE
expression against the plain-Python reference on random inputs, user rules from CSV."""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa
import pytest

from pathcredit.exceptions import InputError
from pathcredit.journeys.channel_groups import (
    MEDIA_TYPES,
    channel_rules,
    default_channel_rules,
    media_type,
    read_channel_rules,
    source_categories,
)

RULES = default_channel_rules()

# (source, medium, campaign) -> channel, each read off the rule table of "[GA4] Default
# channel group" (https://support.google.com/analytics/answer/9756891), first match wins.
HELP_PAGE_CASES = [
    (("(direct)", "(none)", None), "Direct"),
    (("(direct)", "(not set)", None), "Direct"),
    (("(DIRECT)", "(None)", None), "Direct"),  # definitions are case-insensitive
    (("(direct)", "referral", None), "Referral"),  # direct needs (none)/(not set)
    (("google", "cpc", "q3_cross-network_pmax"), "Cross-network"),  # before Paid Search
    (("google", "cpc", "spring_shopping"), "Paid Shopping"),  # campaign regex, cpc
    (("google", "cpc", "eshop_promo"), "Paid Shopping"),  # "e" may precede "shop"
    (("google", "cpc", "workshop_promo"), "Paid Search"),  # "k" may not
    (("amazon", "ppc", None), "Paid Shopping"),  # a shopping site
    (("google", "cpc", "brand"), "Paid Search"),
    # the source / medium read_ga4 gives an auto-tagging click id (gclid, wbraid, gbraid;
    # dclid; msclkid) and no campaign: Paid Search, Display, Paid Search
    (("google", "cpc", None), "Paid Search"),
    (("dfa", "cpm", None), "Display"),
    (("bing", "cpc", None), "Paid Search"),
    (("bing", "paid_search", None), "Paid Search"),  # paid.*
    (("google", "retargeting", None), "Paid Search"),
    (("facebook", "cpc", None), "Paid Social"),
    (("l.facebook.com", "paidsocial", None), "Paid Social"),
    (("youtube.com", "cpv", None), "Paid Video"),
    (("gdn", "display", None), "Display"),
    (("gdn", "Banner", None), "Display"),
    (("criteo", "cpm", None), "Display"),  # cpm is Display (before Paid Other's .*cp.*)
    (("criteo", "retargeting", None), "Paid Other"),
    (("network", "cpa", None), "Paid Other"),
    (("ebay", "referral", None), "Organic Shopping"),
    (("partner", "referral", "summer_shopping"), "Organic Shopping"),
    (("l.facebook.com", "referral", None), "Organic Social"),  # social site before Referral
    (("forum", "social-network", None), "Organic Social"),
    (("m.youtube.com", "referral", None), "Organic Video"),
    (("partner", "video_embed", None), "Organic Video"),
    (("duckduckgo", "referral", None), "Organic Search"),
    (("anything", "organic", None), "Organic Search"),
    (("blog.example.org", "referral", None), "Referral"),
    (("app.example", "app", None), "Referral"),
    (("newsletter", "referral", None), "Referral"),  # Referral comes before Email
    (("newsletter", "email", None), "Email"),
    (("newsletter", "E-Mail", None), "Email"),
    (("newsletter", "e_mail", None), "Email"),
    (("newsletter", "e mail", None), "Email"),
    (("email", "newsletter", None), "Email"),  # source spelled email
    (("newsletter", "emails", None), "Unassigned"),  # exact match, not "contains"
    (("google", "email", None), "Organic Search"),  # a search site wins first
    (("awin", "affiliate", None), "Affiliates"),
    (("spotify", "audio", None), "Audio"),
    (("sms", "text", None), "SMS"),
    (("provider", "SMS", None), "SMS"),
    (("app", "web_push", None), "Mobile Push Notifications"),
    (("app", "mobile_message", None), "Mobile Push Notifications"),
    (("firebase", "x", None), "Mobile Push Notifications"),
    (("partner.example", "banner_ad", None), "Unassigned"),
    ((None, None, None), "Unassigned"),
    (("", "", ""), "Unassigned"),
]


def _engine_channels(rules, triples):
    src, med, cmp = (list(x) for x in zip(*triples, strict=True))
    t = ibis.memtable(
        pa.table(
            {
                "i": pa.array(range(len(src)), pa.int64()),
                "s": pa.array(src, pa.string()),
                "m": pa.array(med, pa.string()),
                "c": pa.array(cmp, pa.string()),
            }
        )
    )
    out = ibis.duckdb.connect().to_pyarrow(
        t.select("i", ch=rules.expr(t.s, t.m, t.c)).order_by("i")
    )
    return out["ch"].to_pylist()


@pytest.mark.parametrize(("triple", "expected"), HELP_PAGE_CASES, ids=lambda x: str(x))
def test_help_page_cases_reference(triple, expected):
    assert RULES.assign(*triple) == expected


def test_help_page_cases_in_the_engine():
    triples = [t for t, _ in HELP_PAGE_CASES]
    assert _engine_channels(RULES, triples) == [e for _, e in HELP_PAGE_CASES]


def test_every_default_channel_group_is_reachable():
    reached = {e for _, e in HELP_PAGE_CASES}
    assert reached == set(RULES.channels)
    assert set(MEDIA_TYPES) == set(RULES.channels)


def _random_triples(rng, n):
    cats = source_categories()
    sites = sorted(set().union(*cats.values()))
    tokens = [
        "(direct)", "(none)", "(not set)", "cpc", "CPC", "ppc", "paid_social", "display",
        "banner", "cpm", "organic", "referral", "app", "link", "email", "E-mail", "e mail",
        "affiliate", "audio", "sms", "web_push", "mobile", "notification", "video", "social",
        "sm", "shop", "eshop", "workshop", "shopping", "cross-network", "firebase", "",
        "retargeting", "x", "Shop", "SHOPPING", "k_shop", "a.shop",
    ]  # fmt: skip
    pool = sites + [s.upper() for s in sites[:20]] + tokens

    def draw():
        r = rng.random()
        if r < 0.08:
            return None
        if r < 0.25:  # a random concatenation of tokens
            return "_".join(rng.choice(tokens, size=int(rng.integers(1, 3))))
        return str(rng.choice(pool))

    return [(draw(), draw(), draw()) for _ in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_equals_reference_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    triples = _random_triples(rng, 600)
    expected = [RULES.assign(*t) for t in triples]
    assert _engine_channels(RULES, triples) == expected
    assert len(set(expected)) >= 12  # the draws reach most groups


def test_media_types():
    assert media_type("Paid Search") == "paid"
    assert media_type("Affiliates") == "paid"
    assert media_type("Email") == "owned"
    assert media_type("Direct") == "owned"
    assert media_type("Referral") == "earned"
    assert media_type("something else") == "unassigned"
    media = RULES.rename(MEDIA_TYPES)
    triples = [t for t, _ in HELP_PAGE_CASES]
    assert _engine_channels(media, triples) == [MEDIA_TYPES[e] for _, e in HELP_PAGE_CASES]


def test_user_rules_from_csv(tmp_path):
    p = tmp_path / "rules.csv"
    p.write_text(
        "channel,source,medium,campaign\n"
        "Brand search,google|bing,cpc,brand.*\n"
        "Paid search,google|bing,cpc,\n"
        "Newsletter,,email|newsletter,\n"
        "Direct,\\(direct\\),\\(none\\)|\\(not set\\),\n"
    )
    rules = read_channel_rules(p)
    cases = [
        (("Google", "CPC", "Brand_2024"), "Brand search"),  # case-insensitive, first wins
        (("bing", "cpc", None), "Paid search"),  # empty cell: any campaign, NULL too
        (("bing", "cpc", "generic"), "Paid search"),
        (("googlex", "cpc", None), "Unassigned"),  # whole-value match
        (("x", "newsletter", None), "Newsletter"),
        (("(direct)", "(none)", None), "Direct"),
        (("(direct)", "email", None), "Newsletter"),
    ]
    assert [rules.assign(*t) for t, _ in cases] == [e for _, e in cases]
    assert _engine_channels(rules, [t for t, _ in cases]) == [e for _, e in cases]
    assert rules.channels == ["Brand search", "Paid search", "Newsletter", "Direct", "Unassigned"]


def test_user_rules_as_a_list():
    rules = channel_rules([{"channel": "Search", "medium": "cpc|organic"}, {"channel": "Other"}])
    assert rules.assign("bing", "organic") == "Search"
    assert rules.assign("bing", "referral") == "Other"  # a row with no condition: catch-all
    assert channel_rules("source_medium") is None
    assert channel_rules("default").name == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source,medium\ngoogle,cpc\n", "needs a 'channel' column"),
        ("channel,source,device\nA,google,mobile\n", "unknown column"),
        ("channel,source\n,google\n", "needs a channel name"),
        ("channel,source\nA > B,google\n", "path separator"),
        ("channel,source\nA,goo(gle\n", "invalid regular expression"),
    ],
)
def test_user_rules_refused(tmp_path, text, message):
    p = tmp_path / "rules.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        read_channel_rules(p)


def test_unknown_grouping_refused():
    with pytest.raises(InputError, match="channel_grouping"):
        channel_rules(42)
    with pytest.raises(InputError, match="not found"):
        channel_rules("no_such_rules.csv")


def test_bundled_site_lists():
    cats = source_categories()
    assert {"google", "bing", "duckduckgo"} <= cats["SEARCH"]
    assert {"facebook", "l.facebook.com", "t.co"} <= cats["SOCIAL"]
    assert {"youtube", "m.youtube.com", "vimeo"} <= cats["VIDEO"]
    assert {"amazon", "ebay", "etsy"} <= cats["SHOPPING"]
    # a site is in one category only, so the rules' order alone decides
    names = [s for v in cats.values() for s in v]
    assert len(names) == len(set(names))
