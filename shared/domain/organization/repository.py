from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update

from shared.domain.repository import OrgRepository
from shared.models import ApiKey, Organization


class OrganizationRepository:
    """Organizations are the tenants themselves, so this repository is not org-scoped; only the
    CLI and authentication use it."""

    def __init__(self, session) -> None:
        self.session = session

    async def get(self, id: UUID) -> Organization | None:
        return await self.session.get(Organization, id)

    def add(self, organization: Organization) -> Organization:
        self.session.add(organization)
        return organization

    async def any_exists(self) -> bool:
        return await self.session.scalar(select(Organization.id).limit(1)) is not None

    async def active_key_by_hash(self, key_hash: str) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )

    async def touch_key(self, key_id: UUID, at: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at)
        )


class ApiKeyRepository(OrgRepository[ApiKey]):
    model = ApiKey

    async def list(self) -> list[ApiKey]:
        return list(await self.scalars(self.select().order_by(ApiKey.created_at, ApiKey.id)))
