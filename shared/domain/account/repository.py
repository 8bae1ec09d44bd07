from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, case, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.metrics.tiers import Tier
from shared.models import AccountRecentPost, AccountSnapshot, Creator, CreatorAccount
from shared.models.creator_account import handle_key
from shared.models.status import SyncStatus
from shared.platforms.base import PostInfo

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
        """Keep the creator's denormalized reach, best engagement rate and last post in step with
        its accounts."""
        totals = (
            select(
                func.sum(CreatorAccount.followers).label("followers"),
                func.max(CreatorAccount.engagement_rate).label("engagement_rate"),
                func.max(CreatorAccount.last_posted_at).label("last_posted_at"),
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
                last_posted_at=select(totals.c.last_posted_at).scalar_subquery(),
            )
        )

    async def settled_posts(
        self, account_id: UUID, published_before: datetime, limit: int
    ) -> Sequence[Row]:
        """The account's `limit` most recent posts published before `published_before` whose
        engagement rate is defined (followers known and above 0, at least one of the four counts
        reported), tracked and listed alike (`_POSTS`)."""
        statement = text(
            f"""WITH posts AS ({_POSTS}) SELECT * FROM posts
            WHERE published_at < :before AND followers > 0
              AND num_nonnulls(likes, comments, shares, saves) > 0
            ORDER BY published_at DESC, external_id DESC LIMIT :limit"""
        )
        params = {"org": self.org_id, "account": account_id, "before": published_before}
        return (await self.session.execute(statement, {**params, "limit": limit})).all()

    async def recent_posts(self, account_id: UUID, now: datetime, limit: int) -> Sequence[Row]:
        """The account's `limit` most recent posts published by `now`, settled or not, tracked
        and listed alike (`_POSTS`), newest first."""
        statement = text(
            f"""WITH posts AS ({_POSTS}) SELECT * FROM posts WHERE published_at <= :now
            ORDER BY published_at DESC, external_id DESC LIMIT :limit"""
        )
        params = {"org": self.org_id, "account": account_id, "now": now, "limit": limit}
        return (await self.session.execute(statement, params)).all()

    async def upsert_recent_posts(
        self, account_id: UUID, listed: Sequence[PostInfo], followers: int | None, now: datetime
    ) -> None:
        """A listing's posts with their counts now, then only the RECENT_POSTS newest kept."""
        # One row per post: a listing that names a post twice keeps its last reading.
        by_id = {info.external_id: info for info in listed}
        rows = [_recent_row(self.org_id, account_id, i, followers, now) for i in by_id.values()]
        if rows:
            statement = insert(AccountRecentPost).values(rows)
            fresh = {
                name: statement.excluded[name]
                for name in (*_RECENT_COUNTS, "published_at", "followers", "caption", "seen_at")
            }
            # A listing that lacks a publish time or caption keeps the one known.
            fresh["published_at"] = func.coalesce(
                statement.excluded.published_at, AccountRecentPost.published_at
            )
            fresh["caption"] = func.coalesce(statement.excluded.caption, AccountRecentPost.caption)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["account_id", "external_id", "org_id"], set_=fresh
                )
            )
        keep = (
            select(AccountRecentPost.external_id)
            .where(
                AccountRecentPost.org_id == self.org_id,
                AccountRecentPost.account_id == account_id,
            )
            .order_by(
                AccountRecentPost.published_at.desc().nulls_last(),
                AccountRecentPost.external_id.desc(),
            )
            .limit(RECENT_POSTS)
        )
        await self.session.execute(
            delete(AccountRecentPost).where(
                AccountRecentPost.org_id == self.org_id,
                AccountRecentPost.account_id == account_id,
                AccountRecentPost.external_id.not_in(keep.scalar_subquery()),
            )
        )

    async def newest_published(self, account_id: UUID, now: datetime) -> datetime | None:
        """When the account last posted, as far as Sway knows: its newest tracked or listed post
        published by `now`."""
        statement = text(
            f"WITH posts AS ({_POSTS}) SELECT max(published_at) FROM posts "
            "WHERE published_at <= :now"
        )
        params = {"org": self.org_id, "account": account_id, "now": now}
        return await self.session.scalar(statement, params)

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


# How many listed posts are kept per account: enough for the engagement rate's 12 settled ones
# and for posting consistency and caption vocabulary.
RECENT_POSTS = 30
_RECENT_COUNTS = ("likes", "comments", "shares", "saves", "views")

# An account's posts as vetting reads them (METRICS.md, "Account level": its last posts), from
# both sources: the campaign posts Sway tracks (counts kept fresh by refreshes) and the posts
# its syncs listed (account_recent_post). A post in both is read from the tracked row. A listed
# post's followers are METRICS.md's followers_at_post: the latest account snapshot at or before
# its publication, else the earliest after, else the count when it was listed.
_LISTED_FOLLOWERS = """(SELECT s.followers FROM account_snapshot s
    WHERE s.org_id = r.org_id AND s.account_id = r.account_id AND s.followers IS NOT NULL
      AND s.captured_at {op} r.published_at ORDER BY s.captured_at {order} LIMIT 1)"""
_POSTS = f"""
SELECT p.external_id, p.published_at, p.likes, p.comments, p.shares, p.saves,
       p.followers_at_post AS followers, p.caption
  FROM post p WHERE p.org_id = :org AND p.account_id = :account
UNION ALL
SELECT r.external_id, r.published_at, r.likes, r.comments, r.shares, r.saves,
       coalesce({_LISTED_FOLLOWERS.format(op="<=", order="DESC")},
                {_LISTED_FOLLOWERS.format(op=">", order="ASC")}, r.followers) AS followers,
       r.caption
  FROM account_recent_post r
 WHERE r.org_id = :org AND r.account_id = :account
   AND NOT EXISTS (SELECT 1 FROM post t WHERE t.org_id = :org AND t.account_id = :account
                                          AND t.external_id = r.external_id)"""


def _recent_row(
    org_id: UUID, account_id: UUID, info: PostInfo, followers: int | None, now: datetime
) -> dict[str, Any]:
    stats = info.stats
    counts = {name: getattr(stats, name) if stats else None for name in _RECENT_COUNTS}
    return {
        "org_id": org_id,
        "account_id": account_id,
        "external_id": info.external_id,
        "published_at": info.published_at,
        "caption": info.caption,
        "followers": followers,
        "seen_at": now,
        **counts,
    }


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
