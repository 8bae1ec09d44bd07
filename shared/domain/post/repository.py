from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.models import AccountSnapshot, Post, PostSnapshot

NEWEST_FIRST = SortKey(Post.created_at, descending=True, parse=parse_datetime)
SNAPSHOT_ORDER = SortKey(PostSnapshot.captured_at, descending=True, parse=parse_datetime)


class PostRepository(OrgRepository[Post]):
    model = Post

    async def by_external_id(self, platform: str, external_id: str) -> Post | None:
        return await self.session.scalar(
            self.select().where(Post.platform == platform, Post.external_id == external_id)
        )

    async def for_campaign(
        self, campaign_id: UUID, cursor: str | None, limit: int
    ) -> Sequence[Post]:
        statement = self.select().where(Post.campaign_id == campaign_id)
        return await self.scalars(apply_keyset(statement, NEWEST_FIRST, Post.id, cursor, limit))

    async def snapshots(
        self, post_id: UUID, cursor: str | None, limit: int
    ) -> Sequence[PostSnapshot]:
        statement = select(PostSnapshot).where(
            PostSnapshot.org_id == self.org_id, PostSnapshot.post_id == post_id
        )
        # captured_at is unique per post, so it doubles as the tie-breaker.
        statement = apply_keyset(statement, SNAPSHOT_ORDER, PostSnapshot.post_id, cursor, limit)
        return (await self.session.scalars(statement)).all()

    async def followers_at(self, account_id: UUID, published_at: datetime | None) -> int | None:
        """METRICS.md followers_at_post: the latest account snapshot at or before publication,
        else the earliest one after it."""
        base = select(AccountSnapshot.followers).where(
            AccountSnapshot.org_id == self.org_id,
            AccountSnapshot.account_id == account_id,
            AccountSnapshot.followers.is_not(None),
        )
        if published_at is not None:
            before = await self.session.scalar(
                base.where(AccountSnapshot.captured_at <= published_at)
                .order_by(AccountSnapshot.captured_at.desc())
                .limit(1)
            )
            if before is not None:
                return before
            base = base.where(AccountSnapshot.captured_at > published_at)
        return await self.session.scalar(base.order_by(AccountSnapshot.captured_at).limit(1))

    async def fill_followers_at_post(self, account_id: UUID, followers: int | None) -> None:
        """A first follower count for posts that had none: the earliest snapshot after them."""
        if followers is None:
            return
        await self.session.execute(
            self.update()
            .where(Post.account_id == account_id, Post.followers_at_post.is_(None))
            .values(followers_at_post=followers)
        )

    async def insert_captured(self, rows: list[dict[str, Any]]) -> list[UUID]:
        """Insert posts found by content capture; ones already tracked are left alone."""
        if not rows:
            return []
        statement = (
            insert(Post)
            .values([{**row, "org_id": self.org_id} for row in rows])
            .on_conflict_do_nothing(index_elements=["org_id", "platform", "external_id"])
            .returning(Post.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def resolve_pending(
        self, account_id: UUID, listed: dict[str, Any], *, now: datetime
    ) -> int:
        pending = await self.scalars(
            self.select().where(Post.account_id == account_id, Post.status == "pending")
        )
        resolved = 0
        for post in pending:
            info = listed.get(post.external_id)
            if info is None:
                continue
            post.external_id, post.status, post.next_refresh_at = info.external_id, "tracking", now
            post.published_at = post.published_at or info.published_at
            post.caption = post.caption or info.caption
            post.kind = post.kind or info.kind
            resolved += 1
        await self.session.flush()
        return resolved
