"""Instagram stories: captured by the content-capture rules, their insights kept on every poll
and once more before they expire, stopped with their final snapshot at expiry, and never
claimed by the ordinary post refresh. The Graph API is replayed from recorded responses."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select, update

from services.worker.jobs import stories
from shared.crypto import encrypt_credentials
from shared.db import unit_of_work
from shared.domain.post.ingest_repository import claim_due_posts
from shared.domain.story import service as story_service
from shared.models import Post, PostSnapshot
from shared.models.status import PostStatus
from shared.platforms.base import Credentials, Platform
from shared.platforms.instagram import InstagramAdapter
from tests.factories import (
    create_account,
    create_campaign,
    create_creator,
    create_post,
    create_tenant,
)
from tests.platforms.conftest import fixture_json

USER_ID = "17841405822304914"
STORY, QUIET = "17861937508009798", "17862253585030136"
CREDS = Credentials(access_token="ig-test-token")


class Graph:
    """The Graph API as recorded: the stories edge, then the insights batch named per call."""

    def __init__(self, *insights: str) -> None:
        self.insights = list(insights)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET" and request.url.path.endswith(f"/{USER_ID}/stories"):
            return httpx.Response(200, json=fixture_json("instagram", "stories.json"))
        if request.method == "POST":
            return httpx.Response(200, json=fixture_json("instagram", self.insights.pop(0)))
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def insight_ids(self) -> list[str]:
        posts = [r for r in self.requests if r.method == "POST"]
        form = {k: v[0] for k, v in parse_qs(posts[-1].content.decode()).items()}
        return [item["relative_url"].split("/")[0] for item in json.loads(form["batch"])]


@pytest.fixture
async def world(session, settings):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(
        session,
        tenant.org_id,
        creator.id,
        platform="instagram",
        handle="ada.brews",
        external_id=USER_ID,
        sync_status="ok",
        credentials_encrypted=encrypt_credentials(CREDS, settings.secret_key.get_secret_value()),
        credential_key=CREDS.key,
    )
    campaign = await create_campaign(
        session, tenant.org_id, status="active", hashtags=["sway"], platforms=["instagram"]
    )
    return tenant, account, campaign


async def _poll(worker_ctx, tenant, account, graph, final=False) -> str:
    worker_ctx["adapters"][Platform.instagram] = InstagramAdapter(
        httpx.AsyncClient(transport=httpx.MockTransport(graph)), worker_ctx["settings"]
    )
    payload = story_service.PollStories(org_id=tenant.org_id, account_id=account.id, final=final)
    return await stories.poll_stories(worker_ctx, payload.dump())


async def _stories(session, org_id) -> list[Post]:
    session.expire_all()
    rows = await session.scalars(select(Post).where(Post.org_id == org_id, Post.kind == "story"))
    return list(rows)


class TestPollStories:
    async def test_captures_the_campaign_story_and_keeps_its_insights(
        self, worker_ctx, session, world
    ):
        tenant, account, campaign = world
        campaign_id = campaign.id
        graph = Graph("story_insights_batch.json")
        before = datetime.now(UTC)
        result = await _poll(worker_ctx, tenant, account, graph)
        assert result == "listed 2, tracked 1, snapshots 1"
        # Only the story carrying #sway is the campaign's; only its insights are asked for.
        assert graph.insight_ids() == [STORY]
        [story] = await _stories(session, tenant.org_id)
        assert (story.external_id, story.campaign_id, story.source) == (
            STORY,
            campaign_id,
            "capture",
        )
        assert story.published_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
        assert (story.views, story.reach, story.comments, story.shares) == (1830, 1422, 7, 12)
        assert story.likes is None  # stories report no likes: unknown, not 0
        assert story.status == PostStatus.tracking and story.lease_until is None
        # The next refresh the API shows is the next poll.
        every = timedelta(seconds=worker_ctx["settings"].story_poll_every_s)
        assert before + every <= story.next_refresh_at <= datetime.now(UTC) + every
        snapshots = (await session.scalars(select(PostSnapshot))).all()
        assert [(s.post_id, s.views, s.reach) for s in snapshots] == [(story.id, 1830, 1422)]

    async def test_a_second_poll_adds_a_snapshot_not_a_post(self, worker_ctx, session, world):
        tenant, account, _ = world
        await _poll(worker_ctx, tenant, account, Graph("story_insights_batch.json"))
        again = await _poll(
            worker_ctx, tenant, account, Graph("story_insights_final_batch.json"), final=True
        )
        assert again == "listed 2, tracked 1, snapshots 1"
        [story] = await _stories(session, tenant.org_id)
        assert (story.views, story.reach, story.comments) == (2410, 1875, 9)
        views = (await session.scalars(select(PostSnapshot.views).order_by("captured_at"))).all()
        assert views == [1830, 2410]

    async def test_a_lease_that_ran_out_does_not_hold_the_story(self, worker_ctx, session, world):
        # A poll killed while it held the story: nothing sweeps its lease, so the next poll
        # takes the story once the lease has run out.
        tenant, account, _ = world
        await _poll(worker_ctx, tenant, account, Graph("story_insights_batch.json"))
        await session.execute(
            update(Post)
            .where(Post.org_id == tenant.org_id, Post.kind == "story")
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
        again = await _poll(
            worker_ctx, tenant, account, Graph("story_insights_final_batch.json"), final=True
        )
        assert again == "listed 2, tracked 1, snapshots 1"
        [story] = await _stories(session, tenant.org_id)
        assert (story.views, story.lease_until) == (2410, None)

    async def test_too_few_viewers_keeps_the_counts_it_had(self, worker_ctx, session, world):
        tenant, account, _ = world
        await _poll(worker_ctx, tenant, account, Graph("story_insights_batch.json"))
        quiet = await _poll(worker_ctx, tenant, account, Graph("story_insights_too_few_batch.json"))
        assert quiet == "listed 2, tracked 1, snapshots 0"
        [story] = await _stories(session, tenant.org_id)
        assert story.views == 1830
        assert len((await session.scalars(select(PostSnapshot))).all()) == 1

    async def test_an_expired_token_skips_the_poll(self, worker_ctx, session, world):
        tenant, account, _ = world

        def expired(request):
            return httpx.Response(400, json=fixture_json("instagram", "expired_token.json")["body"])

        assert await _poll(worker_ctx, tenant, account, expired) == "skipped: AuthExpired"
        assert await _stories(session, tenant.org_id) == []

    async def test_an_empty_budget_sends_nothing(self, worker_ctx, session, world):
        tenant, account, _ = world
        budget, bucket = worker_ctx["budget"], CREDS.key
        await budget.pause("instagram", bucket, 600)
        graph = Graph()
        result = await _poll(worker_ctx, tenant, account, graph)
        assert result.startswith("skipped: budget free in")
        assert graph.requests == []

    async def test_an_account_without_credentials_is_not_polled(self, worker_ctx, session, world):
        tenant, _, _ = world
        creator = await create_creator(session, tenant.org_id, name="Rio")
        bare = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="rio", external_id="1"
        )
        graph = Graph()
        assert await _poll(worker_ctx, tenant, bare, graph) == ("not a connected instagram account")
        assert graph.requests == []


class TestScheduleStories:
    async def test_one_poll_per_account_per_slot(self, worker_ctx, session, redis, world):
        tenant, account, _ = world
        assert await stories.schedule_story_polls(worker_ctx) == 1
        assert await stories.schedule_story_polls(worker_ctx) == 1
        jobs = await redis.keys("arq:job:story.poll:*")
        assert len(jobs) == 1 and str(account.id).encode() in jobs[0]

    async def test_no_poll_without_an_active_campaign(self, worker_ctx, session, redis, world):
        _, _, campaign = world
        campaign.status = "paused"
        await session.commit()
        assert await stories.schedule_story_polls(worker_ctx) == 0
        assert await redis.keys("arq:job:story.poll:*") == []

    async def test_a_story_about_to_expire_gets_a_final_poll(
        self, worker_ctx, session, redis, world
    ):
        tenant, account, campaign = world
        now = datetime.now(UTC)
        await create_post(
            session,
            account,
            external_id=STORY,
            kind="story",
            campaign_id=campaign.id,
            published_at=now - timedelta(hours=24) + timedelta(minutes=5),
            last_refreshed_at=now - timedelta(minutes=20),
        )
        assert await stories.schedule_story_polls(worker_ctx) == 2
        finals = await redis.keys("arq:job:story.poll:*:final:*")
        assert len(finals) == 1

    async def test_an_expired_story_stops_with_its_final_snapshot(
        self, session, sessionmaker, world, settings
    ):
        tenant, account, campaign = world
        now = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
        story = await create_post(
            session,
            account,
            external_id=STORY,
            kind="story",
            campaign_id=campaign.id,
            published_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
            views=2410,
            next_refresh_at=now,
        )
        live = await create_post(
            session,
            account,
            external_id=QUIET,
            kind="story",
            published_at=datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
        )
        async with unit_of_work(sessionmaker) as uow:
            await story_service.schedule(uow, now=now, settings=settings)
        ids = story.id, live.id
        session.expire_all()
        story, live = [await session.get(Post, id) for id in ids]
        assert (story.status, story.next_refresh_at, story.views) == (
            PostStatus.stopped,
            None,
            2410,
        )
        assert story.status_detail == story_service.EXPIRED_DETAIL
        assert live.status == PostStatus.tracking


class TestOrdinaryRefresh:
    async def test_never_claims_a_story(self, session, world):
        tenant, account, _ = world
        now = datetime.now(UTC)
        await create_post(session, account, external_id=STORY, kind="story", next_refresh_at=now)
        reel = await create_post(
            session, account, external_id="1790", kind="reel", next_refresh_at=now
        )
        claimed = await claim_due_posts(
            session, now=now, lease_until=now + timedelta(minutes=4), limit=100
        )
        assert [post.id for post in claimed] == [reel.id]
