from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the organization every query is scoped to, and what the key may do."""

    org_id: UUID
    key_id: UUID
    scopes: frozenset[str]

    def allows(self, scope: Scope) -> bool:
        # admin keys can do everything; read and write are granted separately.
        return scope in self.scopes or Scope.admin in self.scopes


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    scopes: list[Scope] = Field(min_length=1, max_length=3)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret; shown only in this response.")


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    default_currency: str
    created_at: datetime
