"""Field types the API's schemas share, each validating what API.md promises."""

import re
import string
import sys
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from shared.platforms.base import Platform

T = TypeVar("T", bound=Hashable)


# Postgres text cannot hold NUL, so no text field takes it; the pattern says so in the document.
NO_NUL = r"^[^\x00]*$"
# After stripping, a name is not empty: at least one character that is neither whitespace (what
# str.strip removes, which is what \s means in Python's re) nor NUL.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"

Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


def stripped(max_length: int) -> Any:
    """A required text value, stripped of surrounding whitespace before it is counted: 1 to
    `max_length` characters, not blank, no NUL."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=max_length, pattern=NOT_BLANK
        ),
    ]


# pydantic strips before it counts (tests/api/test_bad_input.py pins that), so the limits apply
# to what is stored, and the OpenAPI document shows them.
Name = stripped(200)
LongText = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]
Label = stripped(60)
Labels = Annotated[list[Label], Field(max_length=50)]


def _case_free(word: str) -> str:
    return "".join(f"[{char}{char.upper()}]" for char in word)


# email-validator refuses these special-use names whatever the options (.test aside); the
# document says so, and every other syntactically valid address is taken.
UNMAILABLE = ("arpa", "invalid", "local", "localhost", "onion")
UNMAILABLE_PATTERN = rf"[@.]({'|'.join(_case_free(name) for name in UNMAILABLE)})\.?$"


def _email(value: str) -> str:
    # A CRM field, not a mailer: .test and dotless domains are addresses too, and nothing is
    # looked up in DNS. "Ada <ada@example.com>" keeps the address.
    try:
        address = validate_email(
            value,
            check_deliverability=False,
            globally_deliverable=False,
            test_environment=True,
            allow_display_name=True,
        )
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from exc
    return address.normalized


Email = Annotated[
    str,
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email", "not": {"pattern": UNMAILABLE_PATTERN}}),
]


def _iso_date(value: Any) -> Any:
    # pydantic alone would also take a number, or digits, as a Unix timestamp. A `date` comes
    # from Python callers (the demo seed), never from JSON.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date is YYYY-MM-DD")
    return value


Date = Annotated[date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]


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


def decimal(max_digits: int, decimal_places: int, **field: Any) -> Any:
    """A non-negative decimal, sent as a JSON integer or as plain decimal text ("12.5"): JSON
    numbers with a fraction are binary floats, so they are refused rather than rounded."""
    whole = max_digits - decimal_places
    pattern = rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{decimal_places}}})?$"
    largest = 10**whole - 1

    def plain(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (bool, float)):
            raise ValueError('send a decimal with a fraction as a string, e.g. "12.5"')
        if isinstance(value, int) and not 0 <= value <= largest:
            raise ValueError(f"must be between 0 and {largest}")
        if isinstance(value, str) and not re.search(pattern, value):
            raise ValueError(
                f'a decimal string is digits with up to {decimal_places} decimals, e.g. "12.5"'
            )
        return value

    schema = {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": largest},
            {"type": "string", "pattern": pattern},
        ]
    }
    return Annotated[
        Decimal,
        BeforeValidator(plain),
        Field(ge=0, max_digits=max_digits, decimal_places=decimal_places, **field),
        WithJsonSchema(schema | {k: v for k, v in field.items() if k in ("examples",)}),
    ]


Money = Annotated[
    decimal(14, 2, examples=["1250.00"]),
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


# The validators run Python's re, and so does the tooling that reads the document's patterns:
# \w and \s mean the same on both sides (Unicode letters and digits, and str.strip's whitespace).
Hashtag = Annotated[
    str, AfterValidator(_hashtag), Field(json_schema_extra={"pattern": r"^\s*#*[\w.]+\s*$"})
]
Mention = Annotated[
    str, AfterValidator(_mention), Field(json_schema_extra={"pattern": r"^\s*@*[\w.]+\s*$"})
]


@cache
def char_class(predicate: Callable[[str], bool]) -> str:
    """A regex character class of every code point `predicate` accepts, as literal ranges (valid
    in Python's re and in ECMA-262 with the u flag)."""
    ranges: list[tuple[int, int]] = []
    start = None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and predicate(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    return "[" + "".join(_range(low, high) for low, high in ranges) + "]"


def _range(low: int, high: int) -> str:
    def char(code: int) -> str:
        text = chr(code)
        return "\\" + text if text in "\\]^-[" else text

    return char(low) if low == high else f"{char(low)}-{char(high)}"


def _printable_char(char: str) -> bool:
    return char.isprintable()


def printable(min_length: int, max_length: int) -> str:
    """A pattern for text of printable characters only (no controls or line breaks)."""
    return f"^{char_class(_printable_char)}{{{min_length},{max_length}}}$"


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

    @property
    def _letters(self) -> str:
        if self.ascii_only:
            return "A-Za-z0-9"
        return char_class(_letter_or_digit)[1:-1]

    @property
    def pattern(self) -> str:
        """The whole grammar but "at least one letter or digit" and "no '..'": a handle, with an
        optional '@' and surrounding whitespace (both dropped)."""
        letters = self._letters if self.ascii_only else char_class(_letter_digit_or_mark)[1:-1]
        allowed = letters + re.escape(self.punctuation).replace("-", "\\-")
        return rf"^\s*@?[{allowed}]{{{self.min_length},{self.max_length}}}\s*$"

    @property
    def letter_or_digit(self) -> str:
        return f"[{self._letters}]"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "string",
            "pattern": self.pattern,
            "allOf": [{"pattern": self.letter_or_digit}],
            "description": f"{self.describe()}, at least one letter or digit",
        }
        if "." in self.punctuation:
            schema["not"] = {"pattern": r"\.\."}
            schema["description"] += ", no '..'"
        return schema

    def matches(self, handle: str) -> bool:
        pattern, letter_or_digit = _matchers(self)
        return (
            pattern.search(handle) is not None
            and letter_or_digit.search(handle) is not None
            and ".." not in handle
        )

    def describe(self) -> str:
        letters = "ASCII letters, digits" if self.ascii_only else "letters, digits"
        extra = "".join(f", '{char}'" for char in self.punctuation)
        return f"{self.min_length} to {self.max_length} {letters}{extra}"


@cache
def _matchers(rule: HandleRule) -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Built once per rule: a Unicode rule's pattern names every letter (tens of kilobytes), and
    # building and hashing it again on each check cost most of checking a handle.
    return _compiled(rule.pattern), _compiled(rule.letter_or_digit)


def _letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _letter_digit_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


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
    """The handle as sent (surrounding whitespace and a leading '@' allowed) if it can be one on
    `platform`, stripped of those and in NFC; else ValueError saying why. The check is
    `HANDLE_RULES[platform].json_schema()`, so the OpenAPI document states it exactly."""
    if any(char in INVISIBLE or unicodedata.category(char) == "Cc" for char in handle.strip()):
        raise ValueError("a handle has no control or invisible characters")
    rule = HANDLE_RULES[platform]
    # ".." and dot-only handles would read as path steps once in a URL.
    if not rule.matches(handle):
        raise ValueError(f"a {platform} handle is {rule.describe()} (a leading @ is fine)")
    return unicodedata.normalize("NFC", handle.strip().removeprefix("@"))
