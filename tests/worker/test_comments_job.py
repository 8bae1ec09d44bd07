"""Comments of tracked posts: which posts are due a read, the read itself against the demo
platform and replayed platform answers, the upsert (idempotent, a changed text cleared for
analysis again), and the listening scan queued only when there is something to analyse."""

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text, update

from services.worker.jobs import comments
from shared.crypto import encrypt_credentials
from shared.domain.comment import repository as comment_repository
from shared.domain.comment import service as comment_service
from shared.domain.listening import profile as listening
from shared.models.listening import Comment
from shared.platforms import demo
from shared.platforms.base import Credentials, Platform
from shared.platforms.x import XAdapter
from shared.platforms.youtube import YouTubeAdapter
from tests.factories import create_account, create_creator, create_post, create_tenant
from tests.platforms.conftest import replay
from tests.worker.conftest import NOW, run_burst

HANDLE = "ada.brews.3k"
# Published 2026-02-10, so at the demo's clock (2026-03-01) all its comments are up.
DEMO_POST = f"{HANDLE}-20"
VIDEO_ID = "dQw4w9WgXcQ"
X_POST = "1846987139428634858"


def recently(days: float = 1) -> datetime:
    # The window is the real clock's: SWAY_COMMENTS_WINDOW_DAYS back from now.
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
async def tenant(session):
    return await create_tenant(session)


_accounts: dict = {}


async def _post(session, tenant, *, platform="demo", handle=HANDLE, **overrides):
    """A post of the tenant's account on `platform` (one account per platform and handle)."""
    key = (tenant.org_id, platform, handle)
    if key not in _accounts:
        creator = await create_creator(session, tenant.org_id)
        _accounts[key] = await create_account(
            session, tenant.org_id, creator.id, platform=platform, handle=handle, sync_status="ok"
        )
    fields = {"external_id": DEMO_POST, "published_at": recently()} | overrides
    return await create_post(session, _accounts[key], **fields)


async def _read(worker_ctx, post) -> str:
    payload = comment_service.ReadComments(org_id=post.org_id, post_id=post.id)
    return await comments.read_comments(worker_ctx, payload.dump())


async def _stored(session, post_id) -> list[Comment]:
    statement = select(Comment).where(Comment.post_id == post_id).order_by(Comment.external_id)
    rows = await session.scalars(statement.execution_options(populate_existing=True))
    return list(rows)


def _scan_key(org_id) -> str:
    return f"arq:job:{listening.SCAN}:{org_id}"


class TestReadComments:
    async def test_stores_the_posts_comments_and_queues_the_scan(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant)
        expected = demo.comments_at(DEMO_POST, NOW)
        assert len(expected) == demo.comment_count(DEMO_POST)  # all of them are up by now

        result = await _read(worker_ctx, post)

        assert result == f"fetched {len(expected)}, new {len(expected)}, changed 0"
        stored = {c.external_id: c for c in await _stored(session, post.id)}
        assert set(stored) == {c.external_id for c in expected}
        first = next(c for c in expected if c.external_id == f"{DEMO_POST}-c0")
        row = stored[first.external_id]
        assert (row.org_id, row.platform, row.text) == (tenant.org_id, "demo", first.text)
        assert (row.published_at, row.like_count) == (first.published_at, first.like_count)
        digest = f"{tenant.org_id}:demo:{first.author_id}".encode()
        assert row.author_hash == hashlib.sha256(digest).hexdigest()
        assert (row.language, row.sentiment, row.sentiment_score, row.analysed_at) == (None,) * 4
        reply = stored[f"{DEMO_POST}-c3"]
        assert reply.parent_external_id == f"{DEMO_POST}-c2"
        assert stored[f"{DEMO_POST}-c0"].parent_external_id is None
        assert await redis.exists(_scan_key(tenant.org_id))
        ttl = await redis.ttl(comment_service.read_key(post.id))
        assert 0 < ttl <= worker_ctx["settings"].comments_refresh_s

    async def test_a_second_read_stores_nothing_and_queues_no_scan(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant)
        await _read(worker_ctx, post)
        await redis.delete(_scan_key(tenant.org_id))
        before = [(c.id, c.fetched_at) for c in await _stored(session, post.id)]

        result = await _read(worker_ctx, post)

        assert result == f"fetched {len(before)}, new 0, changed 0"
        assert [(c.id, c.fetched_at) for c in await _stored(session, post.id)] == before
        assert not await redis.exists(_scan_key(tenant.org_id))

    async def test_a_changed_text_is_analysed_again_and_a_like_change_is_not(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant)
        await _read(worker_ctx, post)
        analysed = {"language": "en", "sentiment": "positive", "analysed_at": NOW}
        edited, liked = f"{DEMO_POST}-c0", f"{DEMO_POST}-c1"
        await session.execute(update(Comment).where(Comment.post_id == post.id).values(**analysed))
        await session.execute(
            update(Comment).where(Comment.external_id == edited).values(text="first version")
        )
        await session.execute(
            update(Comment).where(Comment.external_id == liked).values(like_count=999)
        )
        await session.commit()
        await redis.delete(_scan_key(tenant.org_id))

        result = await _read(worker_ctx, post)

        assert result.endswith("new 0, changed 2")
        rows = {c.external_id: c for c in await _stored(session, post.id)}
        expected = {c.external_id: c for c in demo.comments_at(DEMO_POST, NOW)}
        assert rows[edited].text == expected[edited].text
        assert (rows[edited].language, rows[edited].sentiment, rows[edited].analysed_at) == (
            None,
            None,
            None,
        )
        assert rows[liked].like_count == expected[liked].like_count
        assert (rows[liked].sentiment, rows[liked].analysed_at) == ("positive", NOW)
        assert await redis.exists(_scan_key(tenant.org_id))

    async def test_a_post_no_longer_followed_is_not_read(self, worker_ctx, session, tenant):
        post = await _post(session, tenant, status="paused")
        assert (
            await _read(worker_ctx, post) == "not read: the post's comments are no longer followed"
        )
        assert await _stored(session, post.id) == []

    async def test_a_throttle_pauses_the_bucket_and_leaves_the_post_due(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant, platform="youtube", handle="acme", external_id=VIDEO_ID)
        worker_ctx["adapters"][Platform.youtube] = _youtube(
            worker_ctx, "error_rate_limit_exceeded.json"
        )

        assert await _read(worker_ctx, post) == "skipped: RateLimited"

        assert await worker_ctx["budget"].paused_for("youtube", "app") > 0
        assert not await redis.exists(comment_service.read_key(post.id))
        assert await _stored(session, post.id) == []

    async def test_disabled_comments_are_an_answer_not_a_failure(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant, platform="youtube", handle="acme", external_id=VIDEO_ID)
        worker_ctx["adapters"][Platform.youtube] = _youtube(worker_ctx, "comments_disabled.json")

        assert await _read(worker_ctx, post) == "fetched 0, new 0, changed 0, comments disabled"
        assert await redis.exists(comment_service.read_key(post.id))

    async def test_an_x_tier_without_search_waits_a_whole_period(
        self, worker_ctx, session, redis, settings, tenant
    ):
        creds = Credentials(access_token="x-bearer")
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session,
            tenant.org_id,
            creator.id,
            platform="x",
            handle="acme",
            sync_status="ok",
            credentials_encrypted=encrypt_credentials(
                creds, settings.secret_key.get_secret_value()
            ),
            credential_key=creds.key,
        )
        post = await create_post(session, account, external_id=X_POST, published_at=recently())
        worker_ctx["adapters"][Platform.x] = XAdapter(
            _replaying("x", "comments_search_not_enrolled.json"), settings
        )

        assert await _read(worker_ctx, post) == "skipped: NotConfigured"
        assert await redis.exists(comment_service.read_key(post.id))


class TestScheduleCommentReads:
    async def test_queues_the_posts_due_a_read(self, worker_ctx, session, redis, tenant):
        due = await _post(session, tenant)
        settled = await _post(session, tenant, external_id=f"{HANDLE}-19", status="stopped")
        read = await _post(session, tenant, external_id=f"{HANDLE}-18")
        await redis.set(comment_service.read_key(read.id), "earlier")
        await _post(session, tenant, external_id=f"{HANDLE}-17", status="paused")
        await _post(
            session, tenant, external_id=f"{HANDLE}-16", status="stopped", status_detail="archived"
        )
        await _post(session, tenant, external_id=f"{HANDLE}-15", published_at=recently(31))
        await _post(session, tenant, external_id=f"{HANDLE}-14", published_at=None)
        await _post(session, tenant, external_id=f"{HANDLE}-13", kind="story")
        await _post(session, tenant, platform="tiktok", external_id="7350000000000000001")

        assert await comments.schedule_comment_reads(worker_ctx) == 2

        queued = await redis.keys(f"arq:job:{comment_service.READ_COMMENTS}:*")
        assert sorted(k.decode() for k in queued) == sorted(
            f"arq:job:{comment_service.READ_COMMENTS}:{post.id}" for post in (due, settled)
        )
        # A read already queued is not queued twice.
        assert await comments.schedule_comment_reads(worker_ctx) == 2
        assert len(await redis.keys(f"arq:job:{comment_service.READ_COMMENTS}:*")) == 2

    async def test_the_newest_posts_first_when_more_are_due_than_a_run_queues(
        self, worker_ctx, session, redis, tenant
    ):
        older = await _post(session, tenant, external_id=f"{HANDLE}-12", published_at=recently(3))
        newer = await _post(session, tenant, external_id=f"{HANDLE}-11", published_at=recently(2))
        worker_ctx["settings"] = worker_ctx["settings"].model_copy(
            update={"scheduler_batch_limit": 1}
        )
        assert await comments.schedule_comment_reads(worker_ctx) == 1
        queued = await redis.keys(f"arq:job:{comment_service.READ_COMMENTS}:*")
        assert [k.decode() for k in queued] == [
            f"arq:job:{comment_service.READ_COMMENTS}:{newer.id}"
        ]
        assert older.published_at < newer.published_at

    async def test_the_walk_is_bounded_by_the_window_in_the_published_index(self, session, tenant):
        """Posts older than the window are never read: the (published_at, id) index starts
        the walk at the cursor and stops at the window's start."""
        await _post(session, tenant, external_id=f"{HANDLE}-10")
        # A few rows here, where any plan is cheap: what is checked is that the index serves
        # the walk in its order with both bounds as its Index Cond.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await session.execute(text(f"SET LOCAL {setting} = off"))
        plan = await session.scalar(
            text("EXPLAIN (FORMAT JSON) " + comment_repository.CANDIDATES.text),
            {
                "platforms": ["demo"],
                "since": recently(30),
                "before_at": datetime.max.replace(tzinfo=UTC),
                "before_id": comment_service.LAST_ID,
                "limit": 10,
            },
        )
        nodes = [plan[0]["Plan"]]
        while nodes and nodes[-1].get("Plans"):
            nodes.append(nodes[-1]["Plans"][0])
        (scan,) = [n for n in nodes if n.get("Index Name") == "ix_post_published_at_id"]
        assert scan["Node Type"] == "Index Scan" and scan["Scan Direction"] == "Backward"
        assert "published_at >=" in scan["Index Cond"], scan
        assert "ROW(published_at, id) <" in scan["Index Cond"], scan


def _youtube(worker_ctx, name: str) -> YouTubeAdapter:
    # Public comments are read with Sway's app key.
    settings = worker_ctx["settings"].model_copy(update={"youtube_api_key": SecretStr("app-key")})
    return YouTubeAdapter(_replaying("youtube", name), settings)


def _replaying(platform: str, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda _: replay(platform, name)))


class TestEndToEnd:
    async def test_the_cron_and_a_worker_read_a_posts_comments(
        self, worker_ctx, session, redis, tenant
    ):
        post = await _post(session, tenant)
        assert await comments.schedule_comment_reads(worker_ctx) == 1

        await run_burst(worker_ctx, redis)

        stored = await _stored(session, post.id)
        assert len(stored) == demo.comment_count(DEMO_POST)
        assert await redis.exists(comment_service.read_key(post.id))
        # Read within the period: the next cron run queues nothing.
        assert await comments.schedule_comment_reads(worker_ctx) == 0
