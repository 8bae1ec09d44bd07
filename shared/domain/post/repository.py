from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Insert,
    String,
    Text,
    Update,
    Uuid,
    Values,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    or_,
    select,
    update,
    values,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.post import schedule
from shared.domain.post.ingest_repository import ages_from_history
from shared.domain.repository import OrgRepository
from shared.models import AccountSnapshot, Post, PostSnapshot
from shared.models.post_snapshot import COUNTS
from shared.models.status import PostStatus
from shared.platforms.base import PostInfo

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

    async def many(self, post_ids: Sequence[UUID]) -> Sequence[Post]:
        return await self.scalars(self.select().where(Post.id.in_(post_ids)).order_by(Post.id))

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
        inserted = list((await self.session.scalars(statement)).all())
        await schedule.sync(self.session, self.org_id, inserted)
        return inserted

    async def resolve_pending(
        self, account_id: UUID, listed: dict[str, PostInfo], *, now: datetime
    ) -> list[UUID]:
        """The account's pending posts (tracked by a URL id the API does not take) whose URL id is
        a key of `listed` take the API id of the listed post and are tracked from now. A post
        already tracked under that API id is merged into the pending one (`_absorb`). Returns the
        ids of those resolved."""
        rows = await self.session.execute(
            select(Post.id, Post.external_id).where(
                Post.org_id == self.org_id,
                Post.account_id == account_id,
                Post.status == PostStatus.pending,
            )
        )
        resolved, taken = [], set()
        for post_id, url_id in rows:
            info = listed.get(url_id)
            # Two pending posts naming one listed post (two URL forms of it): the first takes
            # the id, the other stays pending instead of colliding with it.
            if info is not None and info.external_id not in taken:
                taken.add(info.external_id)
                resolved.append((post_id, info))
        if not resolved:
            return []
        table = _resolutions(resolved)
        await self._absorb(table)
        await self.session.execute(_resolve(self.org_id, table, now))
        # Their publish times and merged histories are new: so are their ages' engagements.
        ids = [post_id for post_id, _ in resolved]
        await schedule.sync(self.session, self.org_id, ids)
        await ages_from_history(self.session, self.org_id, ids)
        return ids

    async def _absorb(self, resolutions: Values) -> None:
        """Merge each post already tracked under a resolved API id (captured by an earlier sync,
        or added by id) into the pending post that resolves to it, then delete it: one post,
        one history. The pending post is the one kept, because the user tracked it and its id is
        the one the API gave them."""
        pairs = await self._duplicates(resolutions)
        if not pairs:
            return
        pair = values(column("kept_id", Uuid), column("dup_id", Uuid), name="pair").data(pairs)
        await self.session.execute(_take_over(self.org_id, pair))
        await self.session.execute(_move_snapshots(self.org_id, pair))
        await self.session.execute(
            delete(Post)
            .where(Post.org_id == self.org_id, Post.id.in_([dup for _, dup in pairs]))
            .execution_options(synchronize_session=False)
        )

    async def _duplicates(self, resolutions: Values) -> list[tuple[UUID, UUID]]:
        """(pending post, post already holding the API id it resolves to) pairs."""
        kept, dup = aliased(Post, name="kept"), aliased(Post, name="dup")
        rows = await self.session.execute(
            select(kept.id, dup.id)
            .join(resolutions, resolutions.c.post_id == kept.id)
            .join(
                dup,
                and_(
                    dup.org_id == kept.org_id,
                    dup.platform == kept.platform,
                    dup.external_id == resolutions.c.external_id,
                    dup.id != kept.id,
                ),
            )
            .where(kept.org_id == self.org_id)
        )
        return [(kept_id, dup_id) for kept_id, dup_id in rows]


def _resolutions(resolved: list[tuple[UUID, PostInfo]]) -> Values:
    """What each resolved pending post learns from its listing, as a VALUES table."""
    return values(
        column("post_id", Uuid),
        column("external_id", String),
        column("kind", String),
        column("caption", Text),
        column("published_at", DateTime(timezone=True)),
        name="resolution",
    ).data([(id, i.external_id, i.kind, i.caption, i.published_at) for id, i in resolved])


# What a kept post takes from the duplicate it absorbs: its latest counts when they are newer,
# and what the kept post knows nothing of.
_LATEST = (*COUNTS, "last_refreshed_at")
_FILLED = (
    "campaign_id",
    "url",
    "kind",
    "caption",
    "published_at",
    "disclosure",
    "followers_at_post",
)


def _take_over(org_id: UUID, pair: Values) -> Update:
    """Kept posts take their duplicate's latest counts when newer than their own (counts and
    their time together, never mixed), and `_FILLED` where they have none: the kept post's
    campaign wins, the duplicate's fills in."""
    kept, dup = Post.__table__, Post.__table__.alias("dup")
    newer = and_(
        dup.c.last_refreshed_at.is_not(None),
        or_(kept.c.last_refreshed_at.is_(None), dup.c.last_refreshed_at > kept.c.last_refreshed_at),
    )
    latest = {name: case((newer, dup.c[name]), else_=kept.c[name]) for name in _LATEST}
    known = {name: func.coalesce(kept.c[name], dup.c[name]) for name in _FILLED}
    return (
        update(kept)
        .where(kept.c.org_id == org_id, kept.c.id == pair.c.kept_id, dup.c.id == pair.c.dup_id)
        .values(**latest, **known)
    )


def _move_snapshots(org_id: UUID, pair: Values) -> Insert:
    """Copy the duplicates' snapshots onto the kept posts (the duplicates' own go with them when
    they are deleted); where a kept post has one at the same instant, its own stays."""
    snapshot = PostSnapshot.__table__
    rows = (
        select(snapshot.c.org_id, pair.c.kept_id, snapshot.c.captured_at)
        .add_columns(*(snapshot.c[name] for name in COUNTS))
        .select_from(snapshot.join(pair, pair.c.dup_id == snapshot.c.post_id))
        .where(snapshot.c.org_id == org_id)
    )
    columns = ["org_id", "post_id", "captured_at", *COUNTS]
    return insert(snapshot).from_select(columns, rows).on_conflict_do_nothing()


def _resolve(org_id: UUID, resolutions: Values, now: datetime) -> Update:
    """Pending posts take their API id and are due now; the listing fills what they (and any
    duplicate they absorbed) did not know."""
    post = Post.__table__
    # Cast: a VALUES column of NULLs only would otherwise be text.
    learned = {
        name: func.coalesce(post.c[name], cast(resolutions.c[name], post.c[name].type))
        for name in ("kind", "caption", "published_at")
    }
    return (
        update(post)
        .where(
            post.c.org_id == org_id,
            post.c.id == resolutions.c.post_id,
            post.c.status == PostStatus.pending,
        )
        .values(
            external_id=resolutions.c.external_id,
            status=PostStatus.tracking,
            missing_count=0,
            next_refresh_at=now,
            **learned,
        )
    )
