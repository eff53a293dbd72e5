"""Channel grouping: source / medium / campaign to a channel, inside the engine.

Google Analytics 4's default channel group
------------------------------------------
:func:`default_channel_rules` implements the rules for manual (UTM-tagged and
referral) traffic of the help article "[GA4] Default channel group"
(https://support.google.com/analytics/answer/9756891, version consulted
2026-11-25). The rules are evaluated top to bottom, the first match wins,
matching is case-insensitive and a regular expression must match the whole
value (GA4's "matches regex"). With ``PAID = ^(.*cp.*|ppc|retargeting|paid.*)$``
and ``SHOP = ^(.*(([^a-df-z]|^)shop|shopping).*)$`` (the campaign-name test):

=========================  ==========================================================
Direct                     source is ``(direct)`` and medium is ``(not set)`` or ``(none)``
Cross-network              campaign contains ``cross-network``
Paid Shopping              (source is a shopping site or campaign matches SHOP)
                           and medium matches PAID
Paid Search                source is a search site and medium matches PAID
Paid Social                source is a social site and medium matches PAID
Paid Video                 source is a video site and medium matches PAID
Display                    medium is one of display, banner, expandable, interstitial, cpm
Paid Other                 medium matches PAID
Organic Shopping           source is a shopping site or campaign matches SHOP
Organic Social             source is a social site or medium is one of social,
                           social-network, social-media, sm, social network, social media
Organic Video              source is a video site or medium contains ``video``
Organic Search             source is a search site or medium is ``organic``
Referral                   medium is one of referral, app, link
Email                      source or medium is one of email, e-mail, e_mail, e mail
Affiliates                 medium is ``affiliate``
Audio                      medium is ``audio``
SMS                        source or medium is ``sms``
Mobile Push Notifications  medium ends with ``push``, or contains ``mobile`` or
                           ``notification``, or source is ``firebase``
Unassigned                 nothing matched
=========================  ==========================================================

The order matters: ``google / cpc`` with a campaign named ``summer_shopping`` is
Paid Shopping, not Paid Search; ``newsletter / referral`` is Referral, not
Email. Auto-tagged clicks reach these rules through the source / medium that
:func:`pathcredit.read_ga4` gives a click id (``google / cpc``: Paid Search;
``dfa / cpm``: Display; ``bing / cpc``: Paid Search). The finer rules Google
applies to Google Ads, DV360, SA360 and CM360 auto-tagged traffic (ad network
types, creative formats: a Shopping or Performance Max click) need fields that
the source / medium / campaign triple does not carry and are not implemented
here; ``read_ga4`` takes GA4's own group of such a session from the export's
``cross_channel_campaign.default_channel_group`` where it has one. The "lists
of sites" are bundled in ``journeys/data/ga4_source_categories.csv``: a representative list written
from the documented categories (see the README beside it); exact,
case-insensitive matches, as in GA4.

User-defined rules
------------------
A CSV file with a header ``channel,source,medium,campaign`` (columns after
``channel`` optional), one rule per row, evaluated top to bottom, first match
wins; each cell is a regular expression that must match the whole value,
case-insensitively; an empty cell matches anything; the conditions of a row
must all hold (write two rows with the same channel for "or"). Values that
match no row are ``Unassigned``. Missing values (NULL) are matched as the
empty string. Keep to the regular-expression syntax that RE2 (DuckDB), Java
(Spark) and Python share: character classes, alternation, ``.*``, anchors are
added for you. Example::

    channel,source,medium,campaign
    Brand search,google|bing,cpc,brand.*
    Paid search,google|bing,cpc,
    Newsletter,,email|newsletter,
    Direct,\\(direct\\),\\(none\\)|\\(not set\\),

Paid, owned and earned media
----------------------------
:data:`MEDIA_TYPES` maps each default channel group to ``paid`` (bought
placements, including affiliates paid on commission and cross-network
campaigns), ``owned`` (the advertiser's own channels: email, SMS, push
notifications, and direct visits to its site) or ``earned`` (organic search,
social, video, shopping and referrals); ``Unassigned`` stays ``unassigned``.

Everything is applied inside the engine: :meth:`ChannelRules.expr` builds one
Ibis ``CASE`` expression (DuckDB, Spark); :meth:`ChannelRules.assign` is the
plain-Python reference the tests compare it with.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..exceptions import InputError

__all__ = [
    "ChannelRules",
    "default_channel_rules",
    "read_channel_rules",
    "channel_rules",
    "source_categories",
    "MEDIA_TYPES",
    "media_type",
    "SOURCE_CATEGORIES_FILE",
]

#: The bundled lists of search, social, video and shopping sites.
SOURCE_CATEGORIES_FILE = Path(__file__).parent / "data" / "ga4_source_categories.csv"

#: The channel of a value that matches no rule.
UNASSIGNED = "Unassigned"

_PAID = r".*cp.*|ppc|retargeting|paid.*"
_SHOP = r".*(([^a-df-z]|^)shop|shopping).*"
_EMAIL = r"email|e-mail|e_mail|e mail"
_FIELDS = ("source", "medium", "campaign")

#: Paid / owned / earned media of each default channel group.
MEDIA_TYPES: dict[str, str] = {
    "Direct": "owned",
    "Cross-network": "paid",
    "Paid Shopping": "paid",
    "Paid Search": "paid",
    "Paid Social": "paid",
    "Paid Video": "paid",
    "Display": "paid",
    "Paid Other": "paid",
    "Organic Shopping": "earned",
    "Organic Social": "earned",
    "Organic Video": "earned",
    "Organic Search": "earned",
    "Referral": "earned",
    "Email": "owned",
    "Affiliates": "paid",
    "Audio": "paid",
    "SMS": "owned",
    "Mobile Push Notifications": "owned",
    UNASSIGNED: "unassigned",
}


def media_type(channel: str) -> str:
    """Paid, owned or earned media of a default channel group (``unassigned`` otherwise).

    Examples
    --------
    >>> media_type("Paid Search"), media_type("Email"), media_type("Organic Social")
    ('paid', 'owned', 'earned')
    """
    return MEDIA_TYPES.get(channel, "unassigned")


# A condition is ("re", field, pattern), ("in", field, category), ("all", c1, c2, ...)
# or ("any", c1, c2, ...); patterns must match the whole value, case-insensitively.
Condition = tuple


@dataclass(frozen=True)
class ChannelRules:
    """Ordered channel rules: the first rule whose condition holds names the channel.

    Build one with :func:`default_channel_rules`, :func:`read_channel_rules` or
    :func:`channel_rules`; apply it in an engine with :meth:`expr`, or in Python
    with :meth:`assign` (the reference).

    Attributes
    ----------
    rules : tuple of (str, condition)
        Channel name and condition, in order.
    categories : mapping of str to frozenset of str
        The lower-case site lists that ``("in", field, category)`` conditions look up.
    default : str
        The channel when no rule matches.
    name : str
        Where the rules came from (for messages and result labels).
    """

    rules: tuple[tuple[str, Condition], ...]
    categories: Mapping[str, frozenset[str]] = field(default_factory=dict)
    default: str = UNASSIGNED
    name: str = "rules"

    @property
    def channels(self) -> list[str]:
        """The channels the rules can give, in rule order, then the default."""
        out: list[str] = []
        for ch, _ in self.rules:
            if ch not in out:
                out.append(ch)
        if self.default not in out:
            out.append(self.default)
        return out

    def rename(self, mapping: Mapping[str, str]) -> ChannelRules:
        """The same rules giving ``mapping[channel]`` (coarser groups, e.g. :data:`MEDIA_TYPES`).

        Examples
        --------
        >>> media = default_channel_rules().rename(MEDIA_TYPES)
        >>> media.assign("google", "cpc"), media.assign("newsletter", "email")
        ('paid', 'owned')
        """
        rules = tuple((mapping.get(ch, ch), cond) for ch, cond in self.rules)
        default = mapping.get(self.default, self.default)
        return ChannelRules(rules, self.categories, default, f"{self.name} (renamed)")

    # ------------------------------------------------------------------ Python reference
    def assign(self, source, medium, campaign=None) -> str:
        """The channel of one source / medium / campaign (the plain-Python reference).

        Examples
        --------
        >>> rules = default_channel_rules()
        >>> rules.assign("google", "cpc", "spring_shopping")
        'Paid Shopping'
        >>> rules.assign("(direct)", "(none)")
        'Direct'
        >>> rules.assign("Newsletter", "E-Mail")
        'Email'
        >>> rules.assign("partner.example", "banner_ad")
        'Unassigned'
        """
        values = {
            "source": "" if source is None else str(source),
            "medium": "" if medium is None else str(medium),
            "campaign": "" if campaign is None else str(campaign),
        }
        for channel, cond in self.rules:
            if self._holds(cond, values):
                return channel
        return self.default

    def _holds(self, cond: Condition, values: dict[str, str]) -> bool:
        kind = cond[0]
        if kind == "re":
            return re.fullmatch(cond[2], values[cond[1]], flags=re.IGNORECASE) is not None
        if kind == "in":
            return values[cond[1]].lower() in self.categories[cond[2]]
        if kind == "all":
            return all(self._holds(c, values) for c in cond[1:])
        if kind == "any":
            return any(self._holds(c, values) for c in cond[1:])
        raise AssertionError(f"unknown condition {kind!r}")  # pragma: no cover

    # ------------------------------------------------------------------ engine
    def expr(self, source, medium, campaign=None):
        """An Ibis ``CASE`` expression giving the channel of string expressions.

        Runs inside the engine (DuckDB, Spark): regular expressions become the
        engine's ``regexp_matches`` / ``RLIKE`` with ``(?i)^(?:...)$``, site lists
        ``IN`` lists on the lower-cased value; NULL counts as the empty string.

        Examples
        --------
        >>> import ibis, pyarrow as pa
        >>> t = ibis.memtable(pa.table({"s": ["google", "(direct)", "mail"],
        ...                             "m": ["organic", "(none)", "email"]}))
        >>> rules = default_channel_rules()
        >>> ibis.duckdb.connect().to_pyarrow(t.select(c=rules.expr(t.s, t.m)))["c"].to_pylist()
        ['Organic Search', 'Direct', 'Email']
        """
        import ibis

        values = {
            "source": _text(source),
            "medium": _text(medium),
            "campaign": _text(campaign) if campaign is not None else ibis.literal(""),
        }
        if not self.rules:
            return ibis.literal(self.default)
        cases = [(self._cond_expr(cond, values), ch) for ch, cond in self.rules]
        return ibis.cases(*cases, else_=self.default)

    def _cond_expr(self, cond: Condition, values):
        kind = cond[0]
        if kind == "re":
            return values[cond[1]].re_search(f"(?i)^(?:{cond[2]})$")
        if kind == "in":
            sites = sorted(self.categories[cond[2]])
            return values[cond[1]].lower().isin(sites)
        parts = [self._cond_expr(c, values) for c in cond[1:]]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if kind == "all" else (out | p)
        return out


def _text(col):
    """A string expression with NULL as ''."""
    return col.cast("string").fill_null("")


@lru_cache(maxsize=8)
def _read_categories(path: str) -> dict[str, frozenset[str]]:
    cats: dict[str, set[str]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"source", "category"} <= set(reader.fieldnames):
            raise InputError(
                "a source-category file needs the columns source,category", source=path
            )
        for row in reader:
            src = (row["source"] or "").strip().lower()
            cat = (row["category"] or "").strip().upper()
            if src and cat:
                cats.setdefault(cat, set()).add(src)
    return {k: frozenset(v) for k, v in cats.items()}


def source_categories(path: str | os.PathLike | None = None) -> dict[str, frozenset[str]]:
    """The site lists by category (``SEARCH``, ``SOCIAL``, ``VIDEO``, ``SHOPPING``).

    Parameters
    ----------
    path : str or path-like, optional
        A CSV with the columns ``source,category``; default the bundled list
        (:data:`SOURCE_CATEGORIES_FILE`, origin in the README beside it).

    Examples
    --------
    >>> cats = source_categories()
    >>> sorted(cats)
    ['SEARCH', 'SHOPPING', 'SOCIAL', 'VIDEO']
    >>> "l.facebook.com" in cats["SOCIAL"]
    True
    """
    return dict(_read_categories(str(path or SOURCE_CATEGORIES_FILE)))


def default_channel_rules(source_categories_file: str | os.PathLike | None = None) -> ChannelRules:
    """GA4's default channel group for manual traffic (the table in the module docstring).

    Parameters
    ----------
    source_categories_file : str or path-like, optional
        Site lists (``source,category``) to use instead of the bundled ones,
        for example Google's full list saved as CSV.

    Returns
    -------
    ChannelRules

    References
    ----------
    Google Analytics Help, "[GA4] Default channel group",
    https://support.google.com/analytics/answer/9756891 (consulted 2026-11-25).

    Examples
    --------
    >>> rules = default_channel_rules()
    >>> rules.assign("youtube.com", "paid_video"), rules.assign("m.youtube.com", "referral")
    ('Paid Video', 'Organic Video')
    >>> len(rules.rules)
    18
    """
    cats = source_categories(source_categories_file)
    for needed in ("SEARCH", "SOCIAL", "VIDEO", "SHOPPING"):
        cats.setdefault(needed, frozenset())
    src, med, cmp = "source", "medium", "campaign"
    paid = ("re", med, _PAID)
    shop = ("any", ("in", src, "SHOPPING"), ("re", cmp, _SHOP))
    rules: list[tuple[str, Condition]] = [
        ("Direct", ("all", ("re", src, r"\(direct\)"), ("re", med, r"\(not set\)|\(none\)"))),
        ("Cross-network", ("re", cmp, r".*cross-network.*")),
        ("Paid Shopping", ("all", shop, paid)),
        ("Paid Search", ("all", ("in", src, "SEARCH"), paid)),
        ("Paid Social", ("all", ("in", src, "SOCIAL"), paid)),
        ("Paid Video", ("all", ("in", src, "VIDEO"), paid)),
        ("Display", ("re", med, r"display|banner|expandable|interstitial|cpm")),
        ("Paid Other", paid),
        ("Organic Shopping", shop),
        (
            "Organic Social",
            (
                "any",
                ("in", src, "SOCIAL"),
                ("re", med, r"social|social-network|social-media|sm|social network|social media"),
            ),
        ),
        ("Organic Video", ("any", ("in", src, "VIDEO"), ("re", med, r".*video.*"))),
        ("Organic Search", ("any", ("in", src, "SEARCH"), ("re", med, r"organic"))),
        ("Referral", ("re", med, r"referral|app|link")),
        ("Email", ("any", ("re", src, _EMAIL), ("re", med, _EMAIL))),
        ("Affiliates", ("re", med, r"affiliate")),
        ("Audio", ("re", med, r"audio")),
        ("SMS", ("any", ("re", src, r"sms"), ("re", med, r"sms"))),
        (
            "Mobile Push Notifications",
            (
                "any",
                ("re", med, r".*push"),
                ("re", med, r".*(mobile|notification).*"),
                ("re", src, r"firebase"),
            ),
        ),
    ]
    return ChannelRules(tuple(rules), cats, UNASSIGNED, "default")


def read_channel_rules(path: str | os.PathLike) -> ChannelRules:
    """User-defined channel rules from a CSV file (format in the module docstring).

    Raises
    ------
    InputError
        A missing ``channel`` column, an unknown column, an empty channel name,
        a channel containing ``>`` (the path separator) or an invalid regular
        expression (naming the row).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "rules.csv")
    ...     with open(p, "w") as fh:
    ...         _ = fh.write("channel,source,medium\\nBrand,google,cpc\\nMail,,e.?mail\\n")
    ...     rules = read_channel_rules(p)
    >>> rules.assign("Google", "CPC"), rules.assign("x", "e-mail"), rules.assign("x", "y")
    ('Brand', 'Mail', 'Unassigned')
    """
    path = str(path)
    if not os.path.exists(path):
        raise InputError("channel rules file not found", source=path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in (reader.fieldnames or [])]
        if "channel" not in cols:
            raise InputError(
                "a channel rules CSV needs a 'channel' column (and any of source, medium, "
                f"campaign); the columns are {cols}",
                source=path,
            )
        unknown = [c for c in cols if c not in ("channel", *_FIELDS)]
        if unknown:
            raise InputError(
                "unknown column in the channel rules (use channel, source, medium, campaign)",
                source=path,
                column=unknown[0],
            )
        rows = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    return _rules_from_rows(rows, path)


def channel_rules(spec="default", *, name: str | None = None) -> ChannelRules | None:
    """Resolve a channel-grouping argument.

    Parameters
    ----------
    spec : "default", "source_medium", path, ChannelRules or list of dict
        ``"default"``: :func:`default_channel_rules`; ``"source_medium"``: no
        grouping (``None``: the channel is ``source / medium``); a path: a CSV
        read by :func:`read_channel_rules`; a list of mappings with the keys
        ``channel`` and any of ``source``, ``medium``, ``campaign``
        (regular expressions, as in the CSV).

    Examples
    --------
    >>> rules = channel_rules([{"channel": "Search", "medium": "cpc|organic"}])
    >>> rules.assign("bing", "organic"), rules.assign("bing", "referral")
    ('Search', 'Unassigned')
    """
    if isinstance(spec, ChannelRules):
        return spec
    if isinstance(spec, str) and spec == "default":
        return default_channel_rules()
    if isinstance(spec, str) and spec == "source_medium":
        return None
    if isinstance(spec, str | os.PathLike):
        return read_channel_rules(spec)
    if isinstance(spec, Iterable) and not isinstance(spec, str | bytes):
        return _rules_from_rows(list(spec), name or "rules")
    raise InputError(
        "channel_grouping must be 'default', 'source_medium', a rules file or a list of rules",
        value=spec,
    )


def _rules_from_rows(rows: list, name: str) -> ChannelRules:
    rules: list[tuple[str, Condition]] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputError("each rule must be a mapping with a 'channel' key", row=i, value=row)
        channel = str(row.get("channel") or "").strip()
        if not channel:
            raise InputError("a channel rule needs a channel name", source=name, row=i)
        if ">" in channel:
            raise InputError(
                "a channel name may not contain the path separator '>'",
                source=name,
                row=i,
                value=channel,
            )
        extra = [k for k in row if k not in ("channel", *_FIELDS)]
        if extra:
            raise InputError("unknown key in a channel rule", source=name, row=i, column=extra[0])
        conds: list[Condition] = []
        for f in _FIELDS:
            pattern = row.get(f)
            if pattern is None or str(pattern).strip() == "":
                continue
            pattern = str(pattern).strip()
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(
                    f"invalid regular expression ({exc})",
                    source=name,
                    row=i,
                    column=f,
                    value=pattern,
                ) from None
            conds.append(("re", f, pattern))
        if not conds:
            conds = [("re", "source", ".*")]
        rules.append((channel, ("all", *conds)))
    return ChannelRules(tuple(rules), {}, UNASSIGNED, name)
