from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.metrics.tiers import Tier
from shared.models import AccountSnapshot, Creator, CreatorAccount, Post
from shared.models.creator_account import handle_key
from shared.models.status import SyncStatus

SNAPSHOT_ORDER = SortKey(AccountSnapshot.captured_at, descending=True, parse=parse_datetime)


class AccountRepository(OrgRepository[CreatorAccount]):
    model = CreatorAccount

    async def by_handle(self, platform: str, handle: str) -> CreatorAccount | None:
        return await self.session.scalar(
            self.select().where(
                CreatorAccount.platform == platform,
                CreatorAccount.handle_key == handle_key(handle),
            )
        )

    async def creators_with_handle(self, handle: str) -> list[UUID]:
        """Creators who use this handle on any platform (to place a new account by URL)."""
        rows = await self.session.scalars(
            select(CreatorAccount.creator_id)
            .distinct()
            .where(
                CreatorAccount.org_id == self.org_id,
                CreatorAccount.handle_key == handle_key(handle),
            )
        )
        return list(rows.all())

    async def snapshots(
        self, account_id: UUID, cursor: str | None, limit: int
    ) -> Sequence[AccountSnapshot]:
        statement = select(AccountSnapshot).where(
            AccountSnapshot.org_id == self.org_id, AccountSnapshot.account_id == account_id
        )
        # captured_at is unique per account, so it doubles as the tie-breaker.
        statement = apply_keyset(
            statement, SNAPSHOT_ORDER, AccountSnapshot.account_id, cursor, limit
        )
        return (await self.session.scalars(statement)).all()

    async def add_snapshot(
        self, account_id: UUID, captured_at: datetime, followers, following, posts_count
    ) -> None:
        await self.session.execute(
            insert(AccountSnapshot)
            .values(
                org_id=self.org_id,
                account_id=account_id,
                captured_at=captured_at,
                followers=followers,
                following=following,
                posts_count=posts_count,
            )
            .on_conflict_do_nothing()
        )

    async def for_sync(self, account_id: UUID) -> CreatorAccount | None:
        """The account, unless its creator is archived (archiving stops syncs)."""
        return await self.session.scalar(
            self.select()
            .join(Creator, Creator.id == CreatorAccount.creator_id)
            .where(CreatorAccount.id == account_id, Creator.archived_at.is_(None))
        )

    async def lock_unchanged(
        self, account_id: UUID, credential_key: str | None
    ) -> CreatorAccount | None:
        """The account, locked until commit, if it is still as a sync loaded it (see
        `_unchanged`); None if it changed since."""
        return await self.session.scalar(
            self.select()
            .where(CreatorAccount.id == account_id, *_unchanged(credential_key))
            .with_for_update()
        )

    async def set_sync_state(
        self, account_id: UUID, credential_key: str | None, **values: Any
    ) -> bool:
        """Write a sync's outcome if the account is still as the sync loaded it; False if not."""
        result = await self.session.execute(
            self.update()
            .where(CreatorAccount.id == account_id, *_unchanged(credential_key))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount > 0

    async def resume_renewed(
        self, account_id: UUID, credential_key: str | None, now: datetime
    ) -> None:
        """New credentials arrived while a sync with `credential_key` ran: their sync is due now.
        The renewal said so, but the scheduler may have leased the account meanwhile, and the
        sync it queued was dropped as a duplicate of the running one."""
        await self.session.execute(
            self.update()
            .where(
                CreatorAccount.id == account_id,
                CreatorAccount.credential_key.is_distinct_from(credential_key),
                CreatorAccount.sync_status == SyncStatus.pending,
            )
            .values(next_sync_at=now)
            .execution_options(synchronize_session=False)
        )

    async def archive_for_creator(self, creator_id: UUID) -> None:
        """No more syncs for an archived creator's accounts; the status says why."""
        await self.session.execute(
            self.update()
            .where(CreatorAccount.creator_id == creator_id)
            .values(sync_status=SyncStatus.archived, next_sync_at=None)
        )

    async def refresh_creator_totals(self, creator_id: UUID) -> None:
        """Keep the creator's denormalized reach and best engagement rate in step with accounts."""
        totals = (
            select(
                func.sum(CreatorAccount.followers).label("followers"),
                func.max(CreatorAccount.engagement_rate).label("engagement_rate"),
            )
            .where(CreatorAccount.org_id == self.org_id, CreatorAccount.creator_id == creator_id)
            .subquery()
        )
        await self.session.execute(
            Creator.__table__.update()
            .where(Creator.org_id == self.org_id, Creator.id == creator_id)
            .values(
                total_followers=select(totals.c.followers).scalar_subquery(),
                engagement_rate=select(totals.c.engagement_rate).scalar_subquery(),
            )
        )

    async def recent_post_counts(
        self, account_id: UUID, published_before: datetime, limit: int
    ) -> Sequence[Row]:
        """The latest counts and followers_at_post of the account's `limit` most recent posts
        published before `published_before` whose engagement rate is defined (followers known
        and above 0, at least one of the four counts reported)."""
        statement = (
            select(Post.likes, Post.comments, Post.shares, Post.saves, Post.followers_at_post)
            .where(
                Post.org_id == self.org_id,
                Post.account_id == account_id,
                Post.published_at < published_before,
                Post.followers_at_post > 0,
                or_(*(column.is_not(None) for column in _ENGAGEMENT_COUNTS)),
            )
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(limit)
        )
        return (await self.session.execute(statement)).all()

    async def retier(self, boundaries: list[tuple[Tier, int]]) -> None:
        """Every account's tier again, after the organization changed its boundaries."""
        tier = case(
            *((CreatorAccount.followers >= lower, str(name)) for name, lower in boundaries),
            else_=str(Tier.emerging),
        )
        await self.session.execute(
            self.update()
            .values(tier=case((CreatorAccount.followers.is_(None), None), else_=tier))
            .execution_options(synchronize_session=False)
        )


_ENGAGEMENT_COUNTS = (Post.likes, Post.comments, Post.shares, Post.saves)


def _unchanged(credential_key: str | None) -> tuple[ColumnElement[bool], ...]:
    """A sync's writes apply only to the account it loaded: the same credentials (new ones get a
    sync of their own, which a stale result must not overwrite) and not archived since."""
    return (
        CreatorAccount.credential_key.is_not_distinct_from(credential_key),
        CreatorAccount.sync_status != SyncStatus.archived,
    )


async def due_accounts(session, now: datetime, limit: int) -> Sequence[CreatorAccount]:
    """All organizations' accounts whose sync is due, locked for this claim, except those of
    archived creators. The scheduler is the one caller that spans tenants; it only reads ids and
    hands each job its own org_id."""
    return (
        await session.scalars(
            select(CreatorAccount)
            .join(Creator, Creator.id == CreatorAccount.creator_id)
            .where(CreatorAccount.next_sync_at <= now, Creator.archived_at.is_(None))
            .order_by(CreatorAccount.next_sync_at)
            .limit(limit)
            .with_for_update(of=CreatorAccount, skip_locked=True)
        )
    ).all()
