"""Each event of the catalogue, emitted once by its real trigger: an API call, an account sync,
a post refresh, the deliverables sweep or the KPI job; and nothing at all when nobody
subscribes."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from services.worker.jobs import campaigns as campaign_jobs
from services.worker.jobs import deliverables as deliverable_jobs
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.post.ingest import RecomputeKpis
from shared.models import ApiKey, CollaborationStageChange, Delivery, Post
from shared.platforms.base import Platform, PostDetails, PostStats
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    update_posts,
    utc,
)
from tests.factories_events import create_subscription
from tests.fakes import ScriptedAdapter
from tests.worker.posts import due_posts, run_batch, schedule
from tests.worker.test_capture import _sync, info

URL = "https://hooks.example.com/sway"


async def _sent(session, event_type: str) -> list[dict]:
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.event_type == event_type)
        .order_by(Delivery.created_at, Delivery.id)
    )
    return [row.payload for row in rows]


async def _all_deliveries(session) -> int:
    return await session.scalar(select(func.count()).select_from(Delivery))


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    campaign = await create_campaign(session, tenant.org_id, status="active")
    return tenant, creator, campaign


class TestCollaborationStageChanged:
    async def test_every_recorded_move(self, client, session, settings, world):
        tenant, creator, campaign = world
        await create_subscription(
            session, tenant.org_id, URL, ["collaboration.stage_changed"], settings
        )
        created = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id)},
            headers=bearer(tenant.write),
        )
        collaboration_id = created.json()["id"]
        path = f"/v1/collaborations/{collaboration_id}"
        await client.patch(path, json={"stage": "contacted"}, headers=bearer(tenant.write))
        await client.patch(path, json={"notes": "no move"}, headers=bearer(tenant.write))
        await client.patch(path, json={"stage": "contacted"}, headers=bearer(tenant.write))
        sent = await _sent(session, "collaboration.stage_changed")
        history = (
            await session.scalars(
                select(CollaborationStageChange)
                .where(CollaborationStageChange.collaboration_id == collaboration_id)
                .order_by(CollaborationStageChange.at)
            )
        ).all()
        key_id = await session.scalar(
            select(ApiKey.id).where(ApiKey.org_id == tenant.org_id, ApiKey.name == "write")
        )
        moves = [(None, "prospect"), ("prospect", "contacted")]
        assert [p["data"] for p in sent] == [
            {
                "collaboration_id": collaboration_id,
                "campaign_id": str(campaign.id),
                "creator_id": str(creator.id),
                "from": before,
                "to": after,
                "at": change.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "by": str(key_id),
            }
            for (before, after), change in zip(moves, history, strict=True)
        ]
        assert {p["type"] for p in sent} == {"collaboration.stage_changed"}


class TestPostCaptured:
    async def test_tracked_through_the_api_once(self, client, session, settings, world):
        tenant, creator, campaign = world
        account = await create_account(
            session, tenant.org_id, creator.id, platform="demo", handle="a.handle"
        )
        await create_subscription(session, tenant.org_id, URL, ["post.captured"], settings)
        body = {"url": "https://demo.sway.test/@a.handle/posts/a.handle-7"}
        path = f"/v1/campaigns/{campaign.id}/posts"
        first = await client.post(path, json=body, headers=bearer(tenant.write))
        assert first.status_code == 201, first.text
        again = await client.post(path, json=body, headers=bearer(tenant.write))
        assert again.status_code == 200, again.text
        [sent] = await _sent(session, "post.captured")
        assert sent["data"] == {
            "post_id": first.json()["id"],
            "campaign_id": str(campaign.id),
            "creator_id": str(creator.id),
            "account_id": str(account.id),
            "platform": "demo",
            "external_id": "a.handle-7",
            "url": body["url"],
            "kind": first.json()["kind"],
            "published_at": None,
            "status": "tracking",
            "source": "url",
        }

    async def test_captured_by_an_account_sync_once(self, worker_ctx, session, settings):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        campaign = await create_campaign(
            session,
            tenant.org_id,
            status="active",
            hashtags=["autumnroast"],
            platforms=["instagram"],
            starts_on=date(2026, 11, 1),
            disclosure_required=True,
        )
        await create_subscription(
            session, tenant.org_id, URL, ["post.captured", "post.disclosure_missing"], settings
        )
        listed = [
            info("Hashtag01", "New beans! #AutumnRoast #ad"),
            info("Hashtag02", "Morning cup #autumnroast"),
            info("Nothing01", "Just my morning cup #coffee"),
        ]
        await _sync(worker_ctx, tenant, account, listed)
        await _sync(worker_ctx, tenant, account, listed)
        captured = await _sent(session, "post.captured")
        assert sorted(p["data"]["external_id"] for p in captured) == ["Hashtag01", "Hashtag02"]
        assert {p["data"]["source"] for p in captured} == {"capture"}
        assert {p["data"]["campaign_id"] for p in captured} == {str(campaign.id)}
        assert captured[0]["data"]["published_at"] == "2026-11-10T09:00:00Z"
        # The one without "#ad" must disclose and does not: announced once.
        [missing] = await _sent(session, "post.disclosure_missing")
        assert missing["data"]["external_id"] == "Hashtag02"
        assert missing["data"]["disclosure"] == {"reason": "missing", "found": []}


class TestDisclosureMissing:
    async def test_on_the_transition_not_every_check(self, client, session, settings, world):
        tenant, creator, campaign = world
        account = await create_account(session, tenant.org_id, creator.id)
        post = await create_post(
            session, account, campaign_id=campaign.id, caption="Loving this coffee"
        )
        await create_subscription(
            session, tenant.org_id, URL, ["post.disclosure_missing"], settings
        )
        path = f"/v1/campaigns/{campaign.id}"
        for change in (
            {"disclosure_required": True},  # turns non-compliant: announced
            {"name": "Renamed"},  # checked again, still non-compliant: not announced
            {"disclosure_required": False},
            {"disclosure_required": True},  # non-compliant again: announced again
        ):
            response = await client.patch(path, json=change, headers=bearer(tenant.write))
            assert response.status_code == 200, response.text
        sent = await _sent(session, "post.disclosure_missing")
        assert [p["data"]["post_id"] for p in sent] == [str(post.id)] * 2
        assert sent[0]["data"]["disclosure"] == {"reason": "missing", "found": []}

    async def test_when_the_caption_first_arrives(self, worker_ctx, session, settings, world):
        tenant, creator, _ = world
        account = await create_account(session, tenant.org_id, creator.id, handle="ada")
        campaign = await create_campaign(session, tenant.org_id, disclosure_required=True)
        due = datetime.now(UTC) - timedelta(minutes=1)
        posts = [
            await create_post(
                session, account, external_id=id, campaign_id=campaign.id, next_refresh_at=due
            )
            for id in ("1", "2")
        ]
        await create_subscription(
            session, tenant.org_id, URL, ["post.disclosure_missing"], settings
        )
        published = datetime.now(UTC) - timedelta(hours=2)
        outcomes = {
            "1": PostStats(
                likes=1, details=PostDetails(caption="#ad beans", published_at=published)
            ),
            "2": PostStats(
                likes=1, details=PostDetails(caption="#sp beans", published_at=published)
            ),
        }
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(stats=[outcomes])
        [batch] = await schedule(worker_ctx, session)
        assert await run_batch(worker_ctx, batch) == "refreshed 2, gone 0"
        [sent] = await _sent(session, "post.disclosure_missing")
        assert sent["data"]["post_id"] == str(posts[1].id)
        assert sent["data"]["disclosure"] == {"reason": "shorthand_only", "found": ["#sp"]}

    async def test_a_caption_learned_again_is_not_news(self, worker_ctx, session, settings, world):
        # No publish time from the platform: every refresh learns the details again.
        tenant, creator, _ = world
        account = await create_account(session, tenant.org_id, creator.id, handle="ada")
        campaign = await create_campaign(session, tenant.org_id, disclosure_required=True)
        post = await create_post(
            session, account, campaign_id=campaign.id, next_refresh_at=datetime.now(UTC)
        )
        await create_subscription(
            session, tenant.org_id, URL, ["post.disclosure_missing"], settings
        )
        details = PostDetails(caption="#sp beans", published_at=None)
        outcome = {post.external_id: PostStats(likes=1, details=details)}
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(stats=[outcome, outcome])
        for _ in range(2):
            await update_posts(
                session,
                Post.__table__.update()
                .where(Post.id == post.id)
                .values(next_refresh_at=datetime.now(UTC) - timedelta(seconds=1)),
            )
            [batch] = await schedule(worker_ctx, session)
            assert await run_batch(worker_ctx, batch) == "refreshed 1, gone 0"
        assert len(await _sent(session, "post.disclosure_missing")) == 1


class TestPostGone:
    async def test_missing_twice_is_gone_once(self, worker_ctx, session, settings, world):
        tenant, creator, campaign = world
        account = await create_account(session, tenant.org_id, creator.id, handle="ada")
        [post] = await due_posts(session, account, 1, campaign_id=campaign.id)
        await create_subscription(session, tenant.org_id, URL, ["post.gone"], settings)
        worker_ctx["adapters"][Platform.demo] = ScriptedAdapter(stats=[{}, {}])
        for _ in range(2):
            await update_posts(
                session,
                Post.__table__.update()
                .where(Post.id == post.id)
                .values(next_refresh_at=datetime.now(UTC) - timedelta(seconds=1)),
            )
            [batch] = await schedule(worker_ctx, session)
            await run_batch(worker_ctx, batch)
        [sent] = await _sent(session, "post.gone")
        assert sent["data"]["post_id"] == str(post.id)
        assert sent["data"]["status"] == "gone"
        assert sent["data"]["campaign_id"] == str(campaign.id)


class TestDeliverableOverdue:
    async def test_late_then_missed_each_once(self, worker_ctx, session, settings, world, redis):
        tenant, creator, campaign = world
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, stage="contracted"
        )
        due = datetime.now(UTC) - timedelta(hours=1)
        deliverable = await create_deliverable(session, collaboration, due_at=due)
        await create_subscription(session, tenant.org_id, URL, ["deliverable.overdue"], settings)
        await deliverable_jobs.mark_overdue_deliverables(worker_ctx)
        await deliverable_jobs.mark_overdue_deliverables(worker_ctx)
        [late] = await _sent(session, "deliverable.overdue")
        assert late["data"] == {
            "deliverable_id": str(deliverable.id),
            "collaboration_id": str(collaboration.id),
            "campaign_id": str(campaign.id),
            "creator_id": str(creator.id),
            "platform": "demo",
            "kind": "post",
            "due_at": due.isoformat().replace("+00:00", "Z"),
            "status": "late",
        }
        # Queued after the sweep's commit.
        queued = [job.decode() for job in await redis.zrange("arq:queue", 0, -1)]
        [delivery_id] = await session.scalars(select(Delivery.id))
        assert f"subscription.deliver:{delivery_id}:0" in queued, queued
        worker_ctx["settings"] = settings.model_copy(update={"deliverable_grace_s": 60})
        await deliverable_jobs.mark_overdue_deliverables(worker_ctx)
        await deliverable_jobs.mark_overdue_deliverables(worker_ctx)
        statuses = [p["data"]["status"] for p in await _sent(session, "deliverable.overdue")]
        assert statuses == ["late", "missed"]


class TestCampaignKpis:
    async def test_updated_every_snapshot_goal_reached_once(self, worker_ctx, session, settings):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(session, tenant.org_id, creator.id)
        campaign = await create_campaign(
            session,
            tenant.org_id,
            currency="EUR",
            goals=[{"metric": "engagements", "target": Decimal(50), "direction": "at_least"}],
        )
        post = await create_post(
            session, account, campaign_id=campaign.id, likes=40, comments=2, views=1000
        )
        await create_subscription(
            session,
            tenant.org_id,
            URL,
            ["campaign.kpis_updated", "campaign.goal_reached"],
            settings,
        )
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=campaign.id).dump()
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "recorded"
        assert await _sent(session, "campaign.goal_reached") == []  # 42 of 50
        post.likes = 60  # 62 engagements: the goal is reached
        await session.commit()
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "recorded"
        assert await campaign_jobs.recompute_kpis(worker_ctx, payload) == "recorded"
        updates = await _sent(session, "campaign.kpis_updated")
        assert [u["data"]["totals"]["engagements"] for u in updates] == [42, 62, 62]
        assert updates[0]["data"]["currency"] == "EUR"
        assert updates[0]["data"]["totals"]["views"] == 1000
        assert updates[0]["data"]["totals"]["posts"] == 1
        [reached] = await _sent(session, "campaign.goal_reached")
        assert reached["data"]["campaign_id"] == str(campaign.id)
        assert reached["data"]["currency"] == "EUR"
        goal = reached["data"]["goal"]
        assert (goal["metric"], goal["direction"], goal["actual"]) == (
            "engagements",
            "at_least",
            62,
        )
        assert Decimal(goal["target"]) == 50
        assert reached["data"]["snapshot_id"] == updates[1]["data"]["snapshot_id"]


class TestNobodySubscribes:
    async def test_no_delivery_from_any_trigger(self, client, worker_ctx, session, world):
        tenant, creator, campaign = world
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, stage="contracted"
        )
        await create_deliverable(
            session, collaboration, due_at=datetime.now(UTC) - timedelta(hours=1)
        )
        await client.patch(
            f"/v1/collaborations/{collaboration.id}",
            json={"stage": "content_submitted"},
            headers=bearer(tenant.write),
        )
        await deliverable_jobs.mark_overdue_deliverables(worker_ctx)
        payload = RecomputeKpis(org_id=tenant.org_id, campaign_id=campaign.id).dump()
        await campaign_jobs.recompute_kpis(worker_ctx, payload)
        assert await _all_deliveries(session) == 0

    async def test_another_types_subscription_gets_nothing(self, client, session, settings, world):
        tenant, creator, campaign = world
        await create_subscription(session, tenant.org_id, URL, ["post.gone"], settings)
        await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(creator.id)},
            headers=bearer(tenant.write),
        )
        assert await _all_deliveries(session) == 0

    async def test_one_small_query_per_transaction(self, session, connection, world):
        tenant, *_ = world
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(connection.sync_connection, "before_cursor_execute", record)
        try:
            for _ in range(3):
                await events_service.emit(
                    session, tenant.org_id, EventType.post_gone, {}, now=utc(2026, 11, 20)
                )
        finally:
            event.remove(connection.sync_connection, "before_cursor_execute", record)
        queries = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
        assert len(queries) == 1 and "FROM subscription" in queries[0]
        assert await _all_deliveries(session) == 0
