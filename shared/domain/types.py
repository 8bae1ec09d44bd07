"""Field types the API's schemas share, each validating what API.md promises."""

import re
import string
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from shared.platforms.base import Platform

T = TypeVar("T", bound=Hashable)


# pydantic strips before it counts (tests/api/test_bad_input.py pins that), so the limits apply
# to what is stored, and the OpenAPI document shows them.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Labels = Annotated[list[Label], Field(max_length=50)]


def _upper(value: str) -> str:
    return value.upper()


CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$"),
    AfterValidator(_upper),
    Field(description="ISO 3166-1 alpha-2", examples=["US"]),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(_upper),
    Field(description="ISO 4217", examples=["EUR"]),
]
# BCP 47: a primary language subtag and optional subtags (en, en-US, zh-Hant-TW).
LanguageTag = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$", max_length=35),
    Field(description="BCP 47", examples=["en-US"]),
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, examples=["1250.00"]),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]

_TAG = re.compile(r"^[\w.]+$", re.UNICODE)


def _hashtag(value: str) -> str:
    tag = value.strip().lstrip("#").lower()
    if not tag or len(tag) > 100 or not _TAG.match(tag):
        raise ValueError("a hashtag is letters, digits, '_' or '.', with an optional leading '#'")
    return tag


def _mention(value: str) -> str:
    handle = value.strip().lstrip("@").lower()
    if not handle or len(handle) > 100 or not _TAG.match(handle):
        raise ValueError("a mention is a handle of letters, digits, '_' or '.'")
    return handle


Hashtag = Annotated[str, AfterValidator(_hashtag)]
Mention = Annotated[str, AfterValidator(_mention)]


def unique(values: list[T]) -> list[T]:
    """Refuse a list that names the same value twice, instead of keeping one silently."""
    seen: set[T] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!s} appears more than once")
        seen.add(value)
    return values


def deduplicated(values: list[T]) -> list[T]:
    """The list in its order with repeats dropped (for values normalized on the way in, where a
    repeat is harmless: "#Ad" and "ad" are one hashtag)."""
    return list(dict.fromkeys(values))


# Handles ------------------------------------------------------------------------------------

# Invisible characters that make two handles look alike or reorder the text around them:
# zero-width space/joiners and directional marks, bidi embeddings and isolates, BOM.
INVISIBLE = frozenset(
    chr(code)
    for code in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)
)
_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)


@dataclass(frozen=True, slots=True)
class HandleRule:
    """A platform's username grammar: letters and digits (ASCII only, or any script's letters,
    digits and combining marks), the punctuation it allows, and a length."""

    min_length: int
    max_length: int
    punctuation: str
    ascii_only: bool

    def allows(self, char: str) -> bool:
        if char in self.punctuation:
            return True
        if self.ascii_only:
            return char in _ASCII_ALNUM
        return unicodedata.category(char)[0] in "LMN"

    def describe(self) -> str:
        letters = "ASCII letters, digits" if self.ascii_only else "letters, digits"
        extra = "".join(f", '{char}'" for char in self.punctuation)
        return f"{self.min_length} to {self.max_length} {letters}{extra}"


# Sources in docs/api.md "Handles"; where a platform publishes no rule, a permissive one that
# still admits no controls, spaces, separators or invisible characters.
HANDLE_RULES: dict[Platform, HandleRule] = {
    Platform.x: HandleRule(1, 15, "_", ascii_only=True),
    Platform.instagram: HandleRule(1, 30, "._", ascii_only=True),
    Platform.tiktok: HandleRule(2, 24, "._", ascii_only=True),
    Platform.youtube: HandleRule(3, 30, "._-", ascii_only=False),
    Platform.facebook: HandleRule(1, 80, "._-", ascii_only=False),
    Platform.linkedin: HandleRule(2, 100, "_-", ascii_only=False),
    Platform.pinterest: HandleRule(3, 30, "_", ascii_only=True),
    Platform.demo: HandleRule(1, 100, "._-", ascii_only=False),
}


def check_handle(platform: Platform, handle: str) -> str:
    """The handle in NFC if it can be one on `platform`; else ValueError saying why."""
    handle = unicodedata.normalize("NFC", handle)
    if any(char in INVISIBLE or unicodedata.category(char) == "Cc" for char in handle):
        raise ValueError("a handle has no control or invisible characters")
    rule = HANDLE_RULES[platform]
    # ".." and dot-only handles would read as path steps once in a URL.
    valid = (
        rule.min_length <= len(handle) <= rule.max_length
        and all(rule.allows(char) for char in handle)
        and ".." not in handle
        and any(char.isalnum() for char in handle)
    )
    if not valid:
        raise ValueError(f"a {platform} handle is {rule.describe()} (a leading @ is fine)")
    return handle
