"""Field types the API's schemas share, each validating what API.md promises."""

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

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
