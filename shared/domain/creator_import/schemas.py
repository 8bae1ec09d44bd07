"""What an import takes and answers: the API's `POST /v1/creators:bulk` and the CSV both become
`CreatorImport` items, checked one at a time (docs/import.md)."""

from functools import cached_property
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.domain.account.schemas import ExternalId
from shared.domain.creator.schemas import CreatorCreate
from shared.domain.types import NO_NUL, check_handle
from shared.models.creator_account import handle_key
from shared.platforms.base import Platform
from shared.platforms.urls import UnrecognizedURL, parse_profile_url

# Room for a long profile URL; the handle it names is checked against the platform's grammar.
HandleOrUrl = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_NUL)]
# A creator with more accounts than this is a row gone wrong (a join of two spreadsheets).
MAX_ACCOUNTS = 20


def is_url(value: str) -> bool:
    """A handle never holds '/', a profile URL always does (or names its scheme)."""
    return "/" in value or value.strip().lower().startswith(("http:", "https:"))


class ImportAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    handle: HandleOrUrl = Field(
        description="The handle (a leading @ is fine) or the account's profile URL, e.g. "
        "https://www.instagram.com/ada.brews/"
    )
    external_id: ExternalId | None = Field(
        None,
        description="The platform's id for the account, as on POST /v1/creators/{id}/accounts; "
        "taken from the URL when it carries one (a YouTube /channel/UC… link)",
    )

    @model_validator(mode="after")
    def _resolve(self) -> "ImportAccount":
        handle = self.handle
        if is_url(handle):
            try:
                profile = parse_profile_url(handle)
            except UnrecognizedURL as exc:
                raise ValueError(exc.reason) from None
            if profile.platform != self.platform:
                raise ValueError(
                    f"this URL is of a profile on {profile.platform}, not on {self.platform}"
                )
            handle = profile.handle
            self.external_id = self.external_id or profile.external_id
        self.handle = check_handle(self.platform, handle)
        return self

    @cached_property
    def key(self) -> tuple[str, str]:
        """What makes two accounts the same in an organization (the unique index's columns)."""
        return (self.platform.value, handle_key(self.handle))


class CreatorImport(CreatorCreate):
    """A creator to create or update: the fields of `POST /v1/creators`, and accounts. On a
    match only the fields given change (an absent field, or an empty CSV cell, keeps what is
    stored; null clears it), and accounts are only ever added."""

    accounts: list[ImportAccount] = Field(default_factory=list, max_length=MAX_ACCOUNTS)

    @field_validator("accounts")
    @classmethod
    def _each_once(cls, accounts: list[ImportAccount]) -> list[ImportAccount]:
        seen: set[tuple[str, str]] = set()
        for account in accounts:
            if account.key in seen:
                raise ValueError(f"{account.platform} @{account.handle} is listed twice")
            seen.add(account.key)
        return accounts


class CreatorBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        description="Each item a CreatorImport: name (required), email, niches, country, "
        "language, tags, notes and accounts [{platform, handle}] (a handle or a profile URL). "
        "Items are checked one by one: an invalid one is reported in `rejected` with its "
        "reasons and the others are still written. At most SWAY_CREATORS_BULK_MAX_ITEMS "
        "(default 1000) items; more is 422 and nothing is written."
    )


class RejectedItem(BaseModel):
    index: int = Field(description="The item's position in `items`, from 0")
    errors: list[str] = Field(description="Why, one reason per entry: '<field>: <reason>'")


class CreatorBulkRead(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedItem]
