"""Does a sponsored post say so, where a viewer sees it? One pure check of the caption, after the
FTC's "Disclosures 101 for Social Media Influencers", the ASA/CAP "Influencers' guide to making
clear that ads are ads", Germany's Landesmedienanstalten ("Werbung", "Anzeige") and France's
loi n° 2023-451 ("Publicité", "Collaboration commerciale"). docs/metrics.md states the rule and
its sources; the constants below are that rule.

A disclosure passes when a clear term (not shorthand, not a stand-alone "partner") appears before
the platform's caption fold and is not buried in a run of hashtags; or when the platform's own
paid-promotion label says so (`platform_flag`)."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from shared.platforms.base import Platform

HASHTAG = re.compile(r"#([\w.]+)", re.UNICODE)
MENTION = re.compile(r"@([\w.]+)", re.UNICODE)

# Hashtags that say "advertising" plainly (compared casefolded, accents and _ . removed).
CLEAR_TAGS = frozenset(
    {
        "ad",
        "advert",
        "advertisement",
        "sponsored",
        "paidpartnership",
        "werbung",
        "anzeige",
        "publicite",
        "collaborationcommerciale",
    }
)
# Shorthand and stand-alone terms the FTC and the ASA call unclear: found, but not enough.
SHORTHAND_TAGS = frozenset(
    {
        "sp",
        "spon",
        "spons",
        "collab",
        "collaboration",
        "partner",
        "partnership",
        "ambassador",
        "brandpartner",
        "brandambassador",
        "thanks",
        "thankyou",
        "gifted",
    }
)
THANKS_PREFIXES = ("thanks", "thankyou")
BRAND_ROLES = ("partner", "ambassador")

# Plain-text labels, as (what `found` reports, pattern). Hashtags are matched apart, above.
_NOT_TAG = r"(?<![#\w])"
CLEAR_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        ("paid partnership", r"\bpaid\s+partnership\b"),
        ("sponsored", _NOT_TAG + r"sponsored\b"),
        ("advertisement", _NOT_TAG + r"advert(?:isement)?\b"),
        # "ad" is a label only where it stands as one: opening the caption, in brackets, or
        # followed by ':' or '|' ("Ad | my new favourite mug").
        ("ad", r"(?:\A\s*ad\b|[\[(]\s*ad\s*[\])]|" + _NOT_TAG + r"ad\s*[:|])"),
        ("bezahlte werbepartnerschaft", r"\bbezahlte\s+werbepartnerschaft\b"),
        ("werbung", _NOT_TAG + r"werbung\b"),
        ("anzeige", _NOT_TAG + r"anzeige\b"),
        ("publicité", _NOT_TAG + r"publicit[eé]\b"),
        ("collaboration commerciale", r"\bcollaboration\s+commerciale\b"),
    )
)


@dataclass(frozen=True, slots=True)
class Fold:
    """What a viewer sees before tapping "more": at most `chars` characters and `lines` lines.
    None: the whole text shows."""

    chars: int | None
    lines: int | None


# docs/metrics.md, "Disclosure", says where each number comes from.
FOLDS: dict[str, Fold] = {
    Platform.instagram: Fold(chars=125, lines=2),
    Platform.tiktok: Fold(chars=80, lines=2),
    Platform.youtube: Fold(chars=100, lines=3),
    Platform.x: Fold(chars=None, lines=None),
}
# Any other platform (Facebook, LinkedIn, Pinterest, demo): Instagram's fold, not measured.
DEFAULT_FOLD = Fold(chars=125, lines=2)

# In a run of at least BURIED_RUN hashtags separated only by whitespace, only the first
# VISIBLE_IN_RUN are read as a disclosure ("first or second on the list").
BURIED_RUN = 4
VISIBLE_IN_RUN = 2


@dataclass(frozen=True, slots=True)
class _Term:
    label: str
    start: int
    end: int
    clear: bool
    buried: bool = False


def hashtags(text: str | None) -> set[str]:
    return {tag.lower().rstrip(".") for tag in HASHTAG.findall(text or "")}


def mentions(text: str | None) -> set[str]:
    return {handle.lower().rstrip(".") for handle in MENTION.findall(text or "")}


def check(
    caption: str | None,
    *,
    required: bool,
    platform: str | None = None,
    brand_terms: Iterable[str] = (),
    platform_flag: bool | None = None,
) -> dict:
    """{required, compliant, found, reason}: `found` lists every disclosure-like term in the
    caption, clear or not, in the order they appear; `reason` says why a required disclosure
    failed (`missing`, `shorthand_only`, `after_fold`, `buried_in_hashtags`), or `not_required`.
    An unknown `platform` gets DEFAULT_FOLD."""
    text = unicodedata.normalize("NFC", caption or "")
    terms = _terms(text, _brand_keys(brand_terms))
    found = list(dict.fromkeys(term.label for term in terms))
    if platform_flag:
        found.append("platform_label")
    if not required:
        return _result(False, None, found, "not_required")
    if platform_flag:
        return _result(True, True, found, None)
    clear = [term for term in terms if term.clear]
    if not clear:
        return _result(True, False, found, "shorthand_only" if terms else "missing")
    fold = _fold_at(text, FOLDS.get(platform or "", DEFAULT_FOLD))
    visible = [term for term in clear if term.end <= fold]
    if any(not term.buried for term in visible):
        return _result(True, True, found, None)
    return _result(True, False, found, "buried_in_hashtags" if visible else "after_fold")


def _result(required: bool, compliant: bool | None, found: list[str], reason: str | None):
    return {"required": required, "compliant": compliant, "found": found, "reason": reason}


def _fold_at(text: str, fold: Fold) -> int:
    """The offset where the visible part of `text` ends."""
    end = len(text)
    if fold.lines is not None:
        breaks = [match.start() for match in re.finditer(r"\n", text)]
        if len(breaks) >= fold.lines:
            end = breaks[fold.lines - 1]
    if fold.chars is not None:
        end = min(end, fold.chars)
    return end


def _key(value: str) -> str:
    """Casefolded, without accents, '_' or '.': how hashtags and brand names are compared."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _brand_keys(brand_terms: Iterable[str]) -> list[str]:
    keys = {_key(term.lstrip("@#")) for term in brand_terms}
    return sorted(key for key in keys if len(key) >= 2)


def _terms(text: str, brands: list[str]) -> list[_Term]:
    terms = _hashtag_terms(text, brands)
    for label, pattern in CLEAR_PHRASES:
        terms += [_Term(label, m.start(), m.end(), clear=True) for m in pattern.finditer(text)]
    terms += _brand_phrases(text, brands)
    return sorted(terms, key=lambda term: term.start)


def _hashtag_terms(text: str, brands: list[str]) -> list[_Term]:
    terms = []
    for run in _hashtag_runs(text):
        for index, match in enumerate(run):
            kind = _classify(_key(match.group(1)), brands)
            if kind is None:
                continue
            buried = len(run) >= BURIED_RUN and index >= VISIBLE_IN_RUN
            label = "#" + match.group(1).rstrip(".").casefold()
            terms.append(_Term(label, match.start(), match.end(), kind, buried))
    return terms


def _hashtag_runs(text: str) -> list[list[re.Match[str]]]:
    """Hashtags grouped into runs: consecutive ones with nothing but whitespace between."""
    runs: list[list[re.Match[str]]] = []
    previous_end = None
    for match in HASHTAG.finditer(text):
        if previous_end is not None and not text[previous_end : match.start()].strip():
            runs[-1].append(match)
        else:
            runs.append([match])
        previous_end = match.end()
    return runs


def _classify(tag: str, brands: list[str]) -> bool | None:
    """True: a clear disclosure; False: shorthand or stand-alone; None: not a disclosure."""
    if tag in CLEAR_TAGS:
        return True
    if any(tag == brand + role for brand in brands for role in BRAND_ROLES):
        return True
    if tag in SHORTHAND_TAGS or tag.startswith(THANKS_PREFIXES):
        return False
    return None


def _brand_phrases(text: str, brands: list[str]) -> list[_Term]:
    """Brand roles written out, "Acme partner", "@acme.coffee ambassador", "Acme-Partner"
    (clear), and "Thanks @acme" (not clear: thanks is not a disclosure)."""
    terms = []
    for brand in brands:
        # The brand's letters, allowing the separators a caption puts between them.
        spelled = r"[\s._-]?".join(re.escape(c) for c in brand)
        roles = "|".join(BRAND_ROLES)
        for pattern, clear in (
            (rf"(?<![#\w])@?{spelled}[\s_-]*(?:{roles})\b", True),
            (rf"\bthanks?(?:\s+you)?(?:\s+to)?\s+@?{spelled}\b", False),
        ):
            terms += [
                _Term(_label(m.group(0)), m.start(), m.end(), clear=clear)
                for m in re.finditer(pattern, text, re.IGNORECASE)
            ]
    return terms


def _label(matched: str) -> str:
    return " ".join(matched.replace("@", "").casefold().split())
