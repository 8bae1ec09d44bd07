from collections.abc import Sequence

from shared.domain.repository import OrgRepository
from shared.models import CreatorAccount
from shared.models.status import SyncStatus


class OwnerRepository(OrgRepository[CreatorAccount]):
    """The accounts a post the URL does not name may belong to: read to find its owner."""

    model = CreatorAccount

    async def by_external_id(self, platform: str, external_id: str) -> CreatorAccount | None:
        return await self.session.scalar(
            self.select()
            .where(CreatorAccount.platform == platform, CreatorAccount.external_id == external_id)
            .order_by(CreatorAccount.created_at)
            .limit(1)
        )

    async def with_credentials(self, platform: str, limit: int) -> Sequence[CreatorAccount]:
        """The platform's accounts that hold a stored credential, most recently synced first
        (the likeliest to hold a live token)."""
        return await self.scalars(
            self.select()
            .where(
                CreatorAccount.platform == platform,
                CreatorAccount.credentials_encrypted.is_not(None),
                CreatorAccount.sync_status != SyncStatus.archived,
            )
            .order_by(CreatorAccount.last_synced_at.desc().nulls_last(), CreatorAccount.id)
            .limit(limit)
        )
