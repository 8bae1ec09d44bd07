"""Finding a brand profile's terms in a caption or comment (docs/listening.md, "Matching the
brand").

Texts and terms are compared in their `normalize`d form, so case, accents, ligatures and
full-width or "fancy" letters never hide a mention. A term matches on word boundaries only: the
characters on either side of it may not be word characters (`\\w`: letters, digits, `_`), nor a
dot joined to one (`@nike.fan` and `nike.com` are other names). Every form of a term:

- keyword, product, competitor: the words (`Blue Bottle` with any whitespace between them) and
  the hashtag of its word characters run together (`#bluebottle`, `#drpepper` for `Dr. Pepper`);
  never after `@`, which names some account, not the brand.
- handle (with or without its `@`): `@handle`; a handle of one word (`\\w` only) also matches
  `#handle` and the bare word, since people write the brand's name as often as they tag it.

Overlapping terms all match ("Blue Bottle" and "Bottle" in "I love Blue Bottle"): a text
mentions every term it contains. Scripts written without spaces (Japanese, Chinese, Thai) have
no word boundaries inside a sentence, so a term there matches only where punctuation, spaces or
other scripts delimit it.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class TermKind(StrEnum):
    handle = "handle"
    keyword = "keyword"
    product = "product"
    competitor = "competitor"


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    kind: str

    def __post_init__(self) -> None:
        TermKind(self.kind)  # an unknown kind is a programming error, not a text to skip


@dataclass(frozen=True, slots=True)
class Match:
    term: str  # the profile's Term.text, as the user wrote it
    kind: str


# The combining diacritics that NFKD splits off Latin, Greek and Cyrillic letters. Marks of
# other scripts stay: the kana voicing marks or an Indic virama change the word, not its accent.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Phones type typographic apostrophes ("M&M’s"), people type straight ones in a profile.
_APOSTROPHES = str.maketrans("\u2018\u2019", "''")


def normalize(text: str) -> str:
    """Case- and accent-insensitive form: "Café", "CAFE" and "ｃａｆé" are all "cafe", and
    "Straße" is "strasse". Kana and Hangul come back composed."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).casefold()
    stripped = _ACCENTS.sub("", unicodedata.normalize("NFKD", folded))
    return unicodedata.normalize("NFC", stripped).translate(_APOSTROPHES)


# Around every form: no word on either side, nor a dotted name going on ("@nike.fan", "nike.com"
# are other names), and no "@" or "#" before it. A form's own "@" or "#" is inside it, so this
# keeps the bare word "nike" out of "@nike" and "#nike", and "@nike" out of "mail@nike".
_BEFORE = r"(?<![\w@#])(?<!\w\.)"
_AFTER = r"(?!\w)(?!\.\w)"


def _forms(term: Term) -> list[str]:
    """The regular expressions (without boundaries) under which a term is found."""
    key = normalize(term.text).strip()
    if term.kind == TermKind.handle:
        handle = key.removeprefix("@").strip()
        forms = ["@" + re.escape(handle)]
        if re.fullmatch(r"\w+", handle):
            forms += ["#" + re.escape(handle), re.escape(handle)]
        return forms
    forms = [r"\s+".join(re.escape(word) for word in key.split())]
    hashtag = "".join(re.findall(r"\w", key))
    if hashtag:
        forms.append("#" + re.escape(hashtag))
    return forms


def _first(form: str) -> str:
    return form[1] if form.startswith("\\") else form[0]


class Matcher:
    """A brand profile's terms compiled once, then matched against any number of texts.

    One alternation of every term's forms (longest first) finds the next place where some term
    is; only there is each term whose form starts with that character tried on its own, so that
    terms found at the same place ("Blue" and "Blue Bottle") all count, and the search goes on
    from the next character so that one inside another ("Bottle") counts too. Terms come back in
    the order they were given, each once: blank terms are skipped, and so are repeats of a
    term's text or of its normalized form under the same kind."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._terms: list[Term] = []
        self._checks: list[re.Pattern[str]] = []
        self._by_first: dict[str, list[int]] = {}
        forms: set[str] = set()
        seen: set[str | tuple[str, str]] = set()
        for term in terms:
            key = normalize(term.text).strip()
            if not key.removeprefix("@").strip() or {term.text, (key, term.kind)} & seen:
                continue
            seen |= {term.text, (key, term.kind)}
            own = _forms(term)
            for first in {_first(form) for form in own}:
                self._by_first.setdefault(first, []).append(len(self._terms))
            self._terms.append(term)
            self._checks.append(re.compile(_BEFORE + "(?:" + "|".join(own) + ")" + _AFTER))
            forms.update(own)
        longest_first = "|".join(sorted(forms, key=len, reverse=True))
        self._search = re.compile(_BEFORE + "(?:" + longest_first + ")" + _AFTER)

    def __bool__(self) -> bool:
        return bool(self._terms)

    def find(self, text: str | None) -> list[Match]:
        if not text or not self._terms:
            return []
        normalized = normalize(text)
        found: set[int] = set()
        hit = self._search.search(normalized)
        while hit is not None:
            at = hit.start()
            found.update(
                i
                for i in self._by_first.get(normalized[at], ())
                if i not in found and self._checks[i].match(normalized, at)
            )
            hit = self._search.search(normalized, at + 1)
        return [Match(self._terms[i].text, self._terms[i].kind) for i in sorted(found)]
