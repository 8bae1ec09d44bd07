"""The one place tenancy is enforced: every query a domain repository builds starts from
`self.select()`, which filters by the organization the repository was opened for, and every row
it adds is stamped with that organization."""

from collections.abc import Sequence
from typing import Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from shared.db import Base

M = TypeVar("M", bound=Base)


class OrgRepository(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    def select(self, *options: ORMOption) -> Select[tuple[M]]:
        return select(self.model).where(self.model.org_id == self.org_id).options(*options)

    def update(self):
        return update(self.model).where(self.model.org_id == self.org_id)

    async def get(self, id: UUID, *options: ORMOption) -> M | None:
        return await self.session.scalar(self.select(*options).where(self.model.id == id))

    async def scalars(self, statement: Select[tuple[M]]) -> Sequence[M]:
        return (await self.session.scalars(statement)).all()

    def add(self, obj: M) -> M:
        obj.org_id = self.org_id
        self.session.add(obj)
        return obj

    async def flush(self) -> None:
        await self.session.flush()


def escape_like(text: str) -> str:
    """User text inside ILIKE patterns is matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
