"""How a refresh batch ends when something goes wrong: every path leaves its posts in a state a
user can see, and no failure stops the other posts or repeats for ever."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from shared import config_problems
from shared.crypto import CredentialsError
from shared.domain.post import ingest
from shared.models import Post
from shared.platforms.base import (
    AdapterError,
    MalformedResponse,
    NotConfigured,
    Platform,
    PlatformUnavailable,
    PostDetails,
    PostRefused,
    PostStats,
)
from tests.factories import create_account, create_creator, create_tenant, update_posts
from tests.fakes import ScriptedAdapter
from tests.worker.conftest import run_burst
from tests.worker.posts import due_posts, run_batch, schedule, snapshot_count, stats_for


@pytest.fixture
async def account(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    return await create_account(
        session, tenant.org_id, creator.id, platform="x", handle="ada", credential_key="k"
    )


def scripted(worker_ctx, *outcomes, **options) -> ScriptedAdapter:
    adapter = ScriptedAdapter(Platform.x, max_batch=100, stats=list(outcomes), **options)
    worker_ctx["adapters"][Platform.x] = adapter
    return adapter


async def statuses(session, posts) -> dict[str, tuple[str, str | None]]:
    rows = await session.execute(
        select(Post.external_id, Post.status, Post.status_detail).where(
            Post.id.in_([p.id for p in posts])
        )
    )
    return {external_id: (status, detail) for external_id, status, detail in rows}


class TestOneBadPost:
    async def test_is_isolated_and_the_rest_of_the_batch_is_refreshed(
        self, worker_ctx, session, redis, account
    ):
        posts = await due_posts(session, account, 8, platform="x")

        def refuses_post_5(ids):
            if "ada-5" in ids:
                raise AdapterError("x: HTTP 400 Invalid Request: one id is malformed")
            return stats_for(ids)

        scripted(worker_ctx, *[refuses_post_5] * 20)
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "split into 2"
        worker = await run_burst(worker_ctx, redis)

        assert worker.jobs_failed == 0
        found = await statuses(session, posts)
        assert found.pop("ada-5") == (
            "error",
            "AdapterError: x: HTTP 400 Invalid Request: one id is malformed",
        )
        assert set(found.values()) == {("tracking", None)}
        assert await snapshot_count(session, [p.id for p in posts]) == 7

    async def test_an_unreadable_answer_or_a_bug_ends_in_error_too(
        self, worker_ctx, session, account
    ):
        [post] = await due_posts(session, account, 1, platform="x")
        scripted(worker_ctx, MalformedResponse("x: unexpected response shape: data"))
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "error 1"
        await session.refresh(post)
        assert (post.status, post.next_refresh_at, post.lease_until) == ("error", None, None)
        assert "unexpected response shape" in post.status_detail

    async def test_a_refusal_of_one_post_marks_only_that_post(self, worker_ctx, session, account):
        posts = await due_posts(session, account, 3, platform="x")

        def one_refused(ids):
            return {**stats_for(ids), "ada-1": PostRefused("Not authorized to access board or Pin")}

        scripted(worker_ctx, one_refused)
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 2, gone 0, error 1"
        found = await statuses(session, posts)
        assert found["ada-1"] == (
            "error",
            "x refused this post: Not authorized to access board or Pin",
        )
        assert found["ada-0"] == found["ada-2"] == ("tracking", None)
        # The account's credential is fine: nothing else stops.
        await session.refresh(account)
        assert account.sync_status == "pending"


class TestPlatformDown:
    async def test_retries_with_a_renewed_lease_then_says_so_on_the_posts(
        self, worker_ctx, session, redis, account
    ):
        posts = await due_posts(session, account, 2, platform="x")
        scripted(worker_ctx, *[PlatformUnavailable("x: HTTP 503")] * 5)
        [batch] = await schedule(worker_ctx, session)
        assert (await run_batch(worker_ctx, batch)).endswith("(try 2)")
        await session.refresh(posts[0])
        assert posts[0].lease_until > batch.lease_until  # the retry's wait is covered

        worker_ctx["settings"].refresh_max_attempts = 2
        retry = batch.but(lease_until=posts[0].lease_until, attempt=2)
        assert (await run_batch(worker_ctx, retry)).startswith("postponed 3600")
        await session.refresh(posts[0])
        assert posts[0].status == "tracking" and posts[0].lease_until is None
        assert "kept failing (2 tries)" in posts[0].status_detail


class TestMisconfiguration:
    async def test_waits_without_blaming_the_credential_and_is_reported(
        self, worker_ctx, session, redis, account
    ):
        [post] = await due_posts(session, account, 1, platform="x")
        scripted(worker_ctx, NotConfigured("youtube: SWAY_YOUTUBE_API_KEY is not set"))
        [batch] = await schedule(worker_ctx, session)
        assert (await run_batch(worker_ctx, batch)).startswith("postponed 900")
        await session.refresh(post)
        await session.refresh(account)
        assert post.status == "tracking" and "SWAY_YOUTUBE_API_KEY" in post.status_detail
        assert post.next_refresh_at > datetime.now(UTC) + timedelta(seconds=890)
        assert account.sync_status == "pending"
        assert "SWAY_YOUTUBE_API_KEY" in (await config_problems.current(redis))["x"]

    async def test_credentials_that_do_not_decrypt_wait_for_the_secret_key(
        self, worker_ctx, session, redis, account, monkeypatch
    ):
        [post] = await due_posts(session, account, 1, platform="x")

        def undecryptable(token, key):
            raise CredentialsError("stored credentials do not decrypt under SWAY_SECRET_KEY")

        monkeypatch.setattr(ingest, "decrypt_credentials", undecryptable)
        [batch] = await schedule(worker_ctx, session)
        assert (await run_batch(worker_ctx, batch)).startswith("postponed")
        await session.refresh(post)
        assert "SWAY_SECRET_KEY" in post.status_detail
        assert "SWAY_SECRET_KEY" in (await config_problems.current(redis))["secret_key"]


class TestLeaseFencesTheWrite:
    async def test_a_second_copy_of_a_batch_writes_nothing(self, worker_ctx, session, account):
        posts = await due_posts(session, account, 2, platform="x")
        scripted(worker_ctx, stats_for)
        [batch] = await schedule(worker_ctx, session)
        # A second copy read the same leased posts before the first one wrote.
        stale, _ = await ingest.load_batch(session, batch, worker_ctx["settings"])
        assert await run_batch(worker_ctx, batch) == "refreshed 2, gone 0"
        results = stats_for([p.external_id for p in stale], views=999)
        later = datetime.now(UTC) + timedelta(seconds=5)
        refreshed, gone, errors = await ingest.record_batch(
            session, batch, stale, results, now=later, settings=worker_ctx["settings"]
        )
        await session.commit()
        assert (refreshed, gone, errors) == (0, [], set())
        assert await snapshot_count(session, [p.id for p in posts]) == 2
        await session.refresh(posts[0])
        assert posts[0].views == 100

    async def test_a_lease_that_ran_out_goes_back_to_the_due_set(
        self, worker_ctx, session, account
    ):
        await due_posts(session, account, 2, platform="x")
        [batch] = await schedule(worker_ctx, session)
        assert await schedule(worker_ctx, session) == []
        await update_posts(
            session,
            Post.__table__.update()
            .where(Post.id.in_(batch.post_ids))
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1)),
        )
        [again] = await schedule(worker_ctx, session)
        assert set(again.post_ids) == set(batch.post_ids)


class TestPayload:
    def test_a_payload_that_no_longer_matches_fails_loudly(self, account):
        batch = ingest.RefreshBatch(
            org_id=account.org_id,
            platform=Platform.x,
            credential_key="k",
            post_ids=(account.id,),
            lease_until=datetime.now(UTC),
        )
        assert ingest.RefreshBatch.read(batch.dump()) == batch
        with pytest.raises(ValidationError):
            ingest.RefreshBatch.read({**batch.dump(), "post_ids": "not ids"})
        with pytest.raises(ValidationError):
            ingest.RefreshBatch.read({**batch.dump(), "unknown": 1})


class TestDetailsArrive:
    async def test_a_post_tracked_by_id_learns_its_age_and_followers(
        self, worker_ctx, session, account
    ):
        from tests.factories import create_account_snapshot, create_post

        published = datetime.now(UTC) - timedelta(days=10)
        for days_ago, followers in ((20, 1_000), (11, 1_500), (9, 2_000)):
            await create_account_snapshot(
                session, account, datetime.now(UTC) - timedelta(days=days_ago), followers
            )
        post = await create_post(
            session,
            account,
            external_id="1364275610764201984",
            next_refresh_at=datetime.now(UTC) - timedelta(minutes=1),
            followers_at_post=1_000,  # what tracking by id guessed: the earliest snapshot
        )
        details = PostDetails(
            url="https://x.com/ada/status/1364275610764201984",
            kind="tweet",
            caption="New roast! #ad #autumn",
            published_at=published,
        )
        adapter = scripted(worker_ctx, {"1364275610764201984": PostStats(likes=5, details=details)})
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 1, gone 0"
        assert adapter.details_asked == ("1364275610764201984",)
        await session.refresh(post)
        assert (post.published_at, post.kind, post.url) == (published, "tweet", details.url)
        assert post.caption == "New roast! #ad #autumn"
        # A post of no campaign need not disclose; what its caption says is still found.
        assert post.disclosure == {
            "required": False,
            "compliant": None,
            "found": ["#ad"],
            "reason": "not_required",
        }
        # The latest snapshot at or before publication: 11 days ago, 1,500 followers.
        assert post.followers_at_post == 1_500
        # Ten days old: refreshed daily, not hourly.
        assert post.next_refresh_at - post.last_refreshed_at == timedelta(days=1)

    async def test_a_caption_that_arrives_links_the_post_to_its_deliverable(
        self, worker_ctx, session, account
    ):
        from tests.factories import (
            create_campaign,
            create_collaboration,
            create_deliverable,
            create_post,
        )

        campaign = await create_campaign(session, account.org_id, status="active")
        collaboration = await create_collaboration(
            session, account.org_id, campaign.id, account.creator_id, stage="contracted"
        )
        deliverable = await create_deliverable(
            session, collaboration, platform="x", kind="tweet", hashtags=["autumnroast"]
        )
        post = await create_post(
            session,
            account,
            external_id="1364275610764201984",
            campaign_id=campaign.id,
            next_refresh_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        details = PostDetails(
            kind="tweet",
            caption="Roasting season #ad #autumnroast",
            published_at=datetime.now(UTC) - timedelta(hours=2),
        )
        scripted(worker_ctx, {"1364275610764201984": PostStats(likes=5, details=details)})
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 1, gone 0"
        await session.refresh(post)
        await session.refresh(deliverable)
        assert post.deliverable_id == deliverable.id
        assert deliverable.status == "published"
