"""The SQL of connect flows and token refresh.

Two kinds of lookup here deliberately span tenants, like the schedulers' claims: a browser coming
back from a platform (or opening a connect link) carries only a sealed id, so the state or link
is found by that id and its organization read from the row; and the refresh cron finds every
organization's tokens about to expire. Neither hands a row to a caller of another organization:
what they return names its organization, and everything after them is scoped to it."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.repository import OrgRepository
from shared.models import ConnectLink, CreatorAccount, OAuthState
from shared.models.status import SyncStatus


class LinkRepository(OrgRepository[ConnectLink]):
    model = ConnectLink


class StateRepository(OrgRepository[OAuthState]):
    model = OAuthState


async def open_link(session: AsyncSession, link_id: UUID, now: datetime) -> ConnectLink | None:
    """The link, if it is unused and unexpired."""
    return await session.scalar(
        select(ConnectLink).where(
            ConnectLink.id == link_id, ConnectLink.used_at.is_(None), ConnectLink.expires_at > now
        )
    )


async def use_link(session: AsyncSession, link_id: UUID, now: datetime) -> bool:
    """Spend the link on a completed connection; False if another completion spent it first."""
    spent = await session.execute(
        update(ConnectLink)
        .where(ConnectLink.id == link_id, ConnectLink.used_at.is_(None))
        .values(used_at=now)
        .returning(ConnectLink.id)
    )
    return spent.first() is not None


async def claim_state(
    session: AsyncSession, state_id: UUID, platform: str, now: datetime
) -> OAuthState | None:
    """Spend the state: only the first callback carrying it, on its platform and in time, gets
    the row; a replay gets None. The row stays locked until the transaction ends."""
    claimed = await session.execute(
        update(OAuthState)
        .where(
            OAuthState.id == state_id,
            OAuthState.platform == platform,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(used_at=now)
        .returning(OAuthState)
        .execution_options(synchronize_session=False)
    )
    return claimed.scalar_one_or_none()


async def due_refreshes(
    session: AsyncSession, *, before: datetime, now: datetime, limit: int
) -> Sequence[Row]:
    """(org_id, id) of OAuth accounts whose token expires before `before` and that no worker
    holds, soonest first (across organizations: the refresh cron's claim)."""
    result = await session.execute(
        select(CreatorAccount.org_id, CreatorAccount.id)
        .where(
            CreatorAccount.connected_via == "oauth",
            CreatorAccount.token_expires_at < before,
            CreatorAccount.sync_status.not_in((SyncStatus.auth_expired, SyncStatus.archived)),
            _lease_free(now),
        )
        .order_by(CreatorAccount.token_expires_at)
        .limit(limit)
    )
    return result.all()


def _lease_free(now: datetime):
    return or_(
        CreatorAccount.token_refresh_lease_until.is_(None),
        CreatorAccount.token_refresh_lease_until < now,
    )


class RefreshRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def take_lease(
        self, account_id: UUID, *, before: datetime, now: datetime, until: datetime
    ) -> CreatorAccount | None:
        """Hold the account's credential for one refresh: only one worker gets it while the
        lease runs, so a rotating refresh token is spent once. None if it is held, no longer
        due (refreshed by another worker), or not an OAuth connection."""
        taken = await self.session.execute(
            update(CreatorAccount)
            .where(
                CreatorAccount.org_id == self.org_id,
                CreatorAccount.id == account_id,
                CreatorAccount.connected_via == "oauth",
                CreatorAccount.token_expires_at < before,
                CreatorAccount.sync_status.not_in((SyncStatus.auth_expired, SyncStatus.archived)),
                _lease_free(now),
            )
            .values(token_refresh_lease_until=until)
            .returning(CreatorAccount)
            .execution_options(synchronize_session=False)
        )
        return taken.scalar_one_or_none()

    async def holding(self, account_id: UUID, lease: datetime) -> CreatorAccount | None:
        """The account, locked, if our lease on it still stands (nobody connected it anew or
        took the lease over since)."""
        return await self.session.scalar(
            select(CreatorAccount)
            .where(
                CreatorAccount.org_id == self.org_id,
                CreatorAccount.id == account_id,
                CreatorAccount.token_refresh_lease_until == lease,
            )
            .with_for_update()
        )
