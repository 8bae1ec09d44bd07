"""One item checked: a `CreatorImport` with its fields normalized as the creator service stores
them, or the reasons it cannot be one, each written for the person who made the file."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.domain.creator.schemas import CreatorCreate
from shared.domain.creator_import.parsing import Row
from shared.domain.creator_import.schemas import CreatorImport, ImportAccount
from shared.platforms.base import Platform

CREATOR_FIELDS = tuple(CreatorCreate.model_fields)
_PLATFORMS = ", ".join(platform.value for platform in Platform)
# What a pattern error means, per field: pydantic would quote the regex.
_PATTERNS = {
    "country": "is not an ISO 3166-1 alpha-2 country code (two letters, e.g. US or GB)",
    "language": "is not a BCP 47 language tag (e.g. en, en-US or zh-Hant-TW)",
}


@dataclass(frozen=True, slots=True)
class Account:
    """A checked account: the handle as stored, and its key in the organization's unique
    index (plain data: planning needs nothing of the pydantic model)."""

    platform: str
    handle: str
    external_id: str | None
    key: tuple[str, str]

    @classmethod
    def of(cls, account: ImportAccount) -> "Account":
        return cls(account.platform.value, account.handle, account.external_id, account.key)


@dataclass(frozen=True, slots=True)
class Candidate:
    row: Row
    # The creator fields given (an absent one keeps what is stored), normalized.
    fields: dict[str, Any]
    accounts: list[Account]

    @property
    def email_key(self) -> str | None:
        email = self.fields.get("email")
        return email.lower() if email else None


def check(row: Row) -> Candidate | list[str]:
    if row.errors:
        return list(row.errors)
    if not isinstance(row.data, dict):
        return ["the item is not an object"]
    try:
        item = CreatorImport.model_validate(row.data)
    except ValidationError as exc:
        return [_reason(error, row) for error in exc.errors()]
    given = item.model_fields_set & set(CREATOR_FIELDS)
    fields = {name: getattr(item, name) for name in given}
    for name in ("niches", "tags"):
        if name in fields:
            fields[name] = normalized(fields[name])
    return Candidate(row, fields, [Account.of(account) for account in item.accounts])


def normalized(labels: list[str]) -> list[str]:
    """Lower-case, de-duplicated and sorted: as shared.domain.creator.service stores them, so a
    re-import of the same labels compares equal."""
    return sorted({label.lower() for label in labels})


def _reason(error: ErrorDetails, row: Row) -> str:
    loc, kind = error["loc"], error["type"]
    field = _field(loc, row)
    if kind == "missing":
        return f"{field}: required"
    if kind == "extra_forbidden":
        return f"{field}: unknown field"
    value = error.get("input")
    shown = repr(value if not isinstance(value, str) else value[:60])
    if kind == "string_pattern_mismatch" and loc[-1] in _PATTERNS:
        return f"{field}: {shown} {_PATTERNS[str(loc[-1])]}"
    if kind == "enum" and loc[-1] == "platform":
        return f"{field}: unknown platform {shown} (one of {_PLATFORMS})"
    return f"{field}: {error['msg'].removeprefix('Value error, ')}"


def _field(loc: tuple[int | str, ...], row: Row) -> str:
    """`country`, `accounts[0].handle`; in a CSV, an account's column (`instagram`)."""
    if not loc:
        return "item"
    if loc[0] != "accounts" or len(loc) < 2 or not isinstance(loc[1], int):
        return ".".join(str(part) for part in loc)
    if row.account_columns is not None and loc[1] < len(row.account_columns):
        return row.account_columns[loc[1]]
    # ImportAccount's only check of the whole account is of its handle (or URL).
    rest = "".join(f".{part}" for part in loc[2:]) or ".handle"
    return f"accounts[{loc[1]}]{rest}"
