"""webhook.process and the requeue cron against real Postgres and Redis: every marketplace event
type's effect, Shopify orders and refunds from their real payload shapes, retries, dead events,
and a crash between storing and processing that loses nothing."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from services.worker.jobs.webhooks import process_webhook_event, requeue_webhook_events
from shared.domain.webhook import inbox, processing
from shared.jobs import JobQueue
from shared.models import (
    Collaboration,
    CollaborationStageChange,
    Conversion,
    Creator,
    CreatorAccount,
    Post,
    PromoCode,
    TrackingLink,
    WebhookEvent,
)
from tests.factories import (
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_tenant,
)
from tests.factories_events import create_subscription, deliveries
from tests.factories_webhooks import create_source, shopify_headers, store_event
from tests.worker.conftest import run_burst

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def marketplace_fixture(name: str, **ids) -> dict:
    text = (FIXTURES / "marketplace" / f"{name}.json").read_text()
    for key, value in ids.items():
        text = text.replace("{" + key + "}", str(value))
    return json.loads(text)["data"]


def shopify_fixture(name: str) -> dict:
    return json.loads((FIXTURES / "shopify" / f"{name}.json").read_text())


async def _process(worker_ctx, session, event) -> WebhookEvent:
    await process_webhook_event(worker_ctx, {"event_id": str(event.id)})
    await session.refresh(event)
    return event


async def _count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
async def world(session, settings):
    tenant = await create_tenant(session)
    campaign = await create_campaign(session, tenant.org_id, currency="EUR", objective="sales")
    source, _ = await create_source(session, tenant.org_id, settings)
    return tenant, campaign, source


class TestCreatorApplied:
    async def test_new_creator_accounts_and_prospect(self, worker_ctx, session, world):
        tenant, campaign, source = world
        data = marketplace_fixture("creator_applied", campaign_id=campaign.id)
        event = await store_event(session, source, "creator.applied", data)
        event = await _process(worker_ctx, session, event)
        assert (event.status, event.attempts, event.last_error) == ("processed", 0, None)
        creator = await session.scalar(select(Creator).where(Creator.org_id == tenant.org_id))
        assert (creator.name, creator.email) == ("Ada Brews", "ada@brews.example")
        accounts = (
            await session.scalars(
                select(CreatorAccount.platform, CreatorAccount.handle).where(
                    CreatorAccount.creator_id == creator.id
                )
            )
        ).all()
        assert sorted(await _pairs(session, creator.id)) == [
            ("instagram", "ada.brews"),
            ("tiktok", "adabrews"),
        ]
        assert accounts
        collaboration = await session.scalar(
            select(Collaboration).where(Collaboration.creator_id == creator.id)
        )
        assert (collaboration.campaign_id, collaboration.stage) == (campaign.id, "prospect")

    async def test_matched_by_email_then_handle_and_existing_collaboration_kept(
        self, worker_ctx, session, world
    ):
        tenant, campaign, source = world
        by_handle = await create_creator(session, tenant.org_id, name="Ada (CRM)")
        await create_account(
            session, tenant.org_id, by_handle.id, platform="tiktok", handle="adabrews"
        )
        await create_collaboration(
            session, tenant.org_id, campaign.id, by_handle.id, stage="negotiating"
        )
        data = marketplace_fixture("creator_applied", campaign_id=campaign.id)
        event = await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        assert event.status == "processed"
        # No creator had the email; the TikTok handle found the existing one.
        assert await _count(session, Creator, Creator.org_id == tenant.org_id) == 1
        assert sorted(await _pairs(session, by_handle.id)) == [
            ("instagram", "ada.brews"),
            ("tiktok", "adabrews"),
        ]
        collaboration = await session.scalar(select(Collaboration))
        assert collaboration.stage == "negotiating"

    async def test_matched_by_email_first(self, worker_ctx, session, world):
        tenant, campaign, source = world
        by_email = await create_creator(
            session, tenant.org_id, name="Ada", email="ada@brews.example"
        )
        data = marketplace_fixture("creator_applied", campaign_id=campaign.id)
        await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        assert await _count(session, Creator, Creator.org_id == tenant.org_id) == 1
        assert len(await _pairs(session, by_email.id)) == 2
        assert await _count(session, Collaboration, Collaboration.creator_id == by_email.id) == 1

    async def test_running_twice_creates_nothing_twice(self, worker_ctx, session, world):
        tenant, campaign, source = world
        data = marketplace_fixture("creator_applied", campaign_id=campaign.id)
        event = await store_event(session, source, "creator.applied", data)
        await _process(worker_ctx, session, event)
        assert await process_webhook_event(worker_ctx, {"event_id": str(event.id)}) == (
            "already processed"
        )
        # Even processed again from scratch (a replay), the effect is the same.
        event.status = "pending"
        await session.commit()
        assert (await _process(worker_ctx, session, event)).status == "processed"
        assert await _count(session, Creator) == 1
        assert await _count(session, CreatorAccount) == 2
        assert await _count(session, Collaboration) == 1

    async def test_campaign_of_another_organization_is_dead(
        self, worker_ctx, session, world, settings
    ):
        _, _, source = world
        other = await create_tenant(session, "B")
        foreign = await create_campaign(session, other.org_id)
        data = marketplace_fixture("creator_applied", campaign_id=foreign.id)
        event = await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        assert event.status == "dead"
        assert event.last_error == f"campaign {foreign.id} not found"
        assert await _count(session, Creator) == 0
        assert await _count(session, Collaboration) == 0

    async def test_missing_field_is_dead_with_the_reason(self, worker_ctx, session, world):
        _, campaign, source = world
        data = {"campaign_id": str(campaign.id), "creator": {"email": "x@example.com"}}
        event = await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        assert event.status == "dead"
        assert event.last_error == "invalid data: data.creator.name: Field required"
        assert event.attempts == 1

    async def test_a_dead_event_is_announced_to_subscribers(
        self, worker_ctx, session, settings, world
    ):
        tenant, campaign, source = world
        await create_subscription(
            session, tenant.org_id, "http://127.0.0.1:9/", ["webhook_event.dead"], settings
        )
        data = {"campaign_id": str(campaign.id), "creator": {"email": "x@example.com"}}
        event = await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        expected = {
            "event_id": str(event.id),
            "source_id": str(source.id),
            "external_id": event.external_id,
            "type": "creator.applied",
            "attempts": 1,
            "last_error": "invalid data: data.creator.name: Field required",
            "received_at": event.received_at.isoformat().replace("+00:00", "Z"),
        }
        [delivery] = await deliveries(session, tenant.org_id)
        assert (delivery.event_type, delivery.payload["data"]) == ("webhook_event.dead", expected)


async def _pairs(session, creator_id) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(CreatorAccount.platform, CreatorAccount.handle).where(
            CreatorAccount.creator_id == creator_id
        )
    )
    return [tuple(row) for row in rows]


async def _stages(session, collaboration_id) -> list[str]:
    rows = await session.scalars(
        select(CollaborationStageChange.stage)
        .where(CollaborationStageChange.collaboration_id == collaboration_id)
        .order_by(CollaborationStageChange.at, CollaborationStageChange.id)
    )
    return list(rows)


class TestOfferAccepted:
    async def test_walks_the_legal_moves_to_contracted(self, worker_ctx, session, world):
        tenant, campaign, source = world
        creator = await create_creator(session, tenant.org_id, email="ada@brews.example")
        data = marketplace_fixture("creator_applied", campaign_id=campaign.id)
        await _process(
            worker_ctx, session, await store_event(session, source, "creator.applied", data)
        )
        data = marketplace_fixture("offer_accepted", campaign_id=campaign.id)
        event = await _process(
            worker_ctx, session, await store_event(session, source, "offer.accepted", data)
        )
        assert event.status == "processed", event.last_error
        collaboration = await session.scalar(
            select(Collaboration).where(Collaboration.creator_id == creator.id)
        )
        await session.refresh(collaboration)
        assert collaboration.stage == "contracted"
        assert (collaboration.compensation_model, collaboration.fee) == ("flat_fee", Decimal(500))
        assert await _stages(session, collaboration.id) == [
            "prospect",
            "contacted",
            "negotiating",
            "contracted",
        ]

    async def test_no_collaboration_yet_enters_at_contracted(self, worker_ctx, session, world):
        tenant, campaign, source = world
        creator = await create_creator(session, tenant.org_id)
        data = {
            "campaign_id": str(campaign.id),
            "creator_id": str(creator.id),
            "compensation": {"model": "commission", "commission_rate": "0.15"},
        }
        event = await _process(
            worker_ctx, session, await store_event(session, source, "offer.accepted", data)
        )
        assert event.status == "processed", event.last_error
        collaboration = await session.scalar(select(Collaboration))
        assert collaboration.stage == "contracted"
        assert collaboration.commission_rate == Decimal("0.15")
        assert await _stages(session, collaboration.id) == ["contracted"]

    async def test_declined_cannot_accept(self, worker_ctx, session, world):
        tenant, campaign, source = world
        creator = await create_creator(session, tenant.org_id)
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, creator.id, stage="declined"
        )
        data = {"campaign_id": str(campaign.id), "creator_id": str(creator.id)}
        event = await _process(
            worker_ctx, session, await store_event(session, source, "offer.accepted", data)
        )
        assert event.status == "dead"
        assert "cannot move from declined to contracted" in event.last_error
        await session.refresh(collaboration)
        assert collaboration.stage == "declined"

    async def test_unknown_email_is_dead(self, worker_ctx, session, world):
        _, campaign, source = world
        data = marketplace_fixture("offer_accepted", campaign_id=campaign.id)
        event = await _process(
            worker_ctx, session, await store_event(session, source, "offer.accepted", data)
        )
        assert (event.status, event.last_error) == (
            "dead",
            "no creator with email ada@brews.example",
        )


@pytest.fixture
async def deliverable(session, world):
    tenant, campaign, _ = world
    creator = await create_creator(session, tenant.org_id)
    await create_account(session, tenant.org_id, creator.id, platform="demo", handle="ada.brews")
    collaboration = await create_collaboration(
        session, tenant.org_id, campaign.id, creator.id, stage="contracted"
    )
    return await create_deliverable(session, collaboration)


class TestContentAndPosts:
    async def test_content_submitted(self, worker_ctx, session, world, deliverable):
        _, _, source = world
        data = marketplace_fixture("content_submitted", deliverable_id=deliverable.id)
        event = await _process(
            worker_ctx, session, await store_event(session, source, "content.submitted", data)
        )
        assert event.status == "processed", event.last_error
        await session.refresh(deliverable)
        assert deliverable.status == "submitted"

    async def test_post_published_by_url_publishes_the_deliverable(
        self, worker_ctx, session, world, deliverable
    ):
        _, campaign, source = world
        data = marketplace_fixture(
            "post_published", campaign_id=campaign.id, deliverable_id=deliverable.id
        )
        event = await _process(
            worker_ctx, session, await store_event(session, source, "post.published", data)
        )
        assert event.status == "processed", event.last_error
        post = await session.scalar(select(Post))
        assert (post.campaign_id, post.external_id, post.deliverable_id) == (
            campaign.id,
            "ada.brews-7",
            deliverable.id,
        )
        await session.refresh(deliverable)
        assert deliverable.status == "published"

    async def test_post_published_by_account_and_external_id(
        self, worker_ctx, session, world, deliverable
    ):
        tenant, campaign, source = world
        creator_id = (await session.get(Collaboration, deliverable.collaboration_id)).creator_id
        data = {
            "campaign_id": str(campaign.id),
            "platform": "demo",
            "external_id": "ada.brews-9",
            "creator_id": str(creator_id),
        }
        event = await store_event(session, source, "post.published", data)
        assert (await _process(worker_ctx, session, event)).status == "processed"
        event.status = "pending"  # replayed: tracking the same post again is a no-op
        await session.commit()
        assert (await _process(worker_ctx, session, event)).status == "processed"
        assert await _count(session, Post, Post.external_id == "ada.brews-9") == 1


class TestRetries:
    async def test_retried_with_backoff_then_dead(
        self, worker_ctx, session, world, settings, redis
    ):
        """content for a deliverable not made yet: it may come, so the event is retried."""
        _, _, source = world
        data = {"deliverable_id": "0190f000-0000-7000-8000-000000000001"}
        event = await store_event(session, source, "content.submitted", data)
        before = datetime.now(UTC)
        event = await _process(worker_ctx, session, event)
        assert (event.status, event.attempts) == ("failed", 1)
        assert event.last_error == "deliverable 0190f000-0000-7000-8000-000000000001 not found"
        wait = event.next_attempt_at - before
        assert timedelta(seconds=30) <= wait < timedelta(seconds=31)
        retry = f"arq:job:webhook.process:{event.id}:1"
        assert await redis.exists(retry)
        event = await _process(worker_ctx, session, event)
        assert (event.status, event.attempts) == ("failed", 2)
        assert timedelta(seconds=60) <= event.next_attempt_at - before < timedelta(seconds=62)
        for _ in range(settings.webhook_max_attempts - 2):
            event = await _process(worker_ctx, session, event)
        assert (event.status, event.attempts) == ("dead", settings.webhook_max_attempts)
        assert event.next_attempt_at is None
        # Dead is final: another run leaves it as it is.
        assert (
            await _process(worker_ctx, session, event)
        ).attempts == settings.webhook_max_attempts

    async def test_unknown_type_is_ignored(self, worker_ctx, session, world):
        _, _, source = world
        event = await store_event(session, source, "invoice.paid", {"id": 1})
        event = await _process(worker_ctx, session, event)
        assert (event.status, event.last_error) == ("ignored", None)
        assert event.processed_at is not None


class TestNothingLost:
    async def test_stored_but_never_queued_is_picked_up_by_the_cron(
        self, worker_ctx, session, world, redis
    ):
        tenant, campaign, source = world
        await _promo(session, tenant.org_id, campaign.id)
        data = marketplace_fixture("order_created")
        received = datetime.now(UTC) - timedelta(minutes=2)
        lost = await store_event(session, source, "order.created", data, received_at=received)
        fresh = await store_event(session, source, "lead.created", {"lead_id": "L"})
        assert await requeue_webhook_events(worker_ctx) == 1  # the fresh one still has its job
        assert await redis.exists(f"arq:job:webhook.process:{lost.id}:0")
        await run_burst(worker_ctx, redis)
        await session.refresh(lost)
        await session.refresh(fresh)
        assert (lost.status, fresh.status) == ("processed", "pending")
        purchase = await session.scalar(select(Conversion).where(Conversion.kind == "purchase"))
        assert (purchase.external_id, purchase.amount, purchase.event_id) == (
            "MKT-1042",
            Decimal("80.00"),
            lost.id,
        )

    async def test_failed_events_due_are_requeued(self, worker_ctx, session, world, redis):
        _, _, source = world
        event = await store_event(session, source, "content.submitted", {"deliverable_id": "x"})
        event.status, event.attempts = "failed", 3
        event.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
        later = await store_event(session, source, "content.submitted", {"deliverable_id": "y"})
        later.status, later.attempts = "failed", 1
        later.next_attempt_at = datetime.now(UTC) + timedelta(minutes=5)
        await session.commit()
        assert await requeue_webhook_events(worker_ctx) == 1
        assert await redis.exists(f"arq:job:webhook.process:{event.id}:3")


async def _promo(session, org_id, campaign_id):
    creator = await create_creator(session, org_id, name="Ada")
    promo = PromoCode(
        org_id=org_id,
        campaign_id=campaign_id,
        creator_id=creator.id,
        code="ADA10",
        code_key="ada10",
    )
    link = TrackingLink(
        org_id=org_id,
        campaign_id=campaign_id,
        creator_id=creator.id,
        code="k7Qm2xPa",
        destination_url="https://shop.example/",
        tracked_url="https://shop.example/?utm_content=k7Qm2xPa",
    )
    session.add_all([promo, link])
    await session.commit()
    return creator


class TestMarketplaceConversions:
    async def test_order_refund_and_lead(self, worker_ctx, session, world):
        tenant, campaign, source = world
        creator = await _promo(session, tenant.org_id, campaign.id)
        for name, type in (
            ("order_created", "order.created"),
            ("order_refunded", "order.refunded"),
            ("lead_created", "lead.created"),
        ):
            event = await store_event(session, source, type, marketplace_fixture(name))
            assert (await _process(worker_ctx, session, event)).status == "processed", (
                event.last_error
            )
        rows = (await session.scalars(select(Conversion).order_by(Conversion.kind))).all()
        by_kind = {row.kind: row for row in rows}
        assert set(by_kind) == {"purchase", "refund", "lead"}
        purchase, refund, lead = by_kind["purchase"], by_kind["refund"], by_kind["lead"]
        assert (purchase.amount, purchase.currency, purchase.attributed_by) == (
            Decimal("80.00"),
            "EUR",
            "promo_code",
        )
        assert (purchase.campaign_id, purchase.creator_id) == (campaign.id, creator.id)
        assert (refund.amount, refund.purchase_id, refund.campaign_id) == (
            Decimal("30.00"),
            purchase.id,
            campaign.id,
        )
        assert (lead.external_id, lead.attributed_by, lead.creator_id) == (
            "LD-77",
            "link_code",
            creator.id,
        )

    async def test_refund_before_its_order_retries(self, worker_ctx, session, world):
        _, _, source = world
        refund = await store_event(
            session, source, "order.refunded", marketplace_fixture("order_refunded")
        )
        refund = await _process(worker_ctx, session, refund)
        assert (refund.status, refund.last_error) == ("failed", "order MKT-1042 is not known yet")
        order = await store_event(
            session, source, "order.created", marketplace_fixture("order_created")
        )
        await _process(worker_ctx, session, order)
        assert (await _process(worker_ctx, session, refund)).status == "processed"
        assert await _count(session, Conversion) == 2


class TestShopify:
    @pytest.fixture
    async def shop(self, session, settings, world):
        tenant, campaign, _ = world
        source, _ = await create_source(session, tenant.org_id, settings, kind="shopify")
        creator = await _promo(session, tenant.org_id, campaign.id)
        return source, creator

    async def test_create_paid_and_refund(self, worker_ctx, session, world, shop):
        _, campaign, _ = world
        source, creator = shop
        events = [
            await store_event(session, source, topic, shopify_fixture(name))
            for topic, name in (
                ("orders/create", "orders_create"),
                ("orders/paid", "orders_paid"),
                ("refunds/create", "refunds_create"),
            )
        ]
        for event in events:
            assert (await _process(worker_ctx, session, event)).status == "processed", (
                event.last_error
            )
        purchases = (
            await session.scalars(select(Conversion).where(Conversion.kind == "purchase"))
        ).all()
        assert len(purchases) == 1  # orders/paid is the same order as orders/create
        [purchase] = purchases
        assert (purchase.external_id, purchase.amount, purchase.currency) == (
            "5820982911946154508",
            Decimal("112.20"),
            "EUR",
        )
        # 09:15:42 at UTC-5
        assert purchase.occurred_at == datetime(2026, 11, 10, 14, 15, 42, tzinfo=UTC)
        assert (purchase.promo_code, purchase.attributed_by, purchase.creator_id) == (
            "ADA10",
            "promo_code",
            creator.id,
        )
        assert purchase.campaign_id == campaign.id
        refund = await session.scalar(select(Conversion).where(Conversion.kind == "refund"))
        # The two successful refund transactions, 50.00 + 3.10; the failed one is not money back.
        assert (refund.external_id, refund.amount, refund.purchase_id) == (
            "929361465",
            Decimal("53.10"),
            purchase.id,
        )

    async def test_link_code_in_landing_site_without_a_discount(
        self, worker_ctx, session, world, shop
    ):
        source, creator = shop
        payload = shopify_fixture("orders_create") | {"discount_codes": []}
        event = await store_event(session, source, "orders/create", payload)
        assert (await _process(worker_ctx, session, event)).status == "processed"
        purchase = await session.scalar(select(Conversion))
        assert (purchase.link_code, purchase.attributed_by, purchase.creator_id) == (
            "k7Qm2xPa",
            "link_code",
            creator.id,
        )

    async def test_unhandled_topic_is_ignored(self, worker_ctx, session, shop):
        source, _ = shop
        event = await store_event(session, source, "products/update", {"id": 1})
        assert (await _process(worker_ctx, session, event)).status == "ignored"
        assert await _count(session, Conversion) == 0

    async def test_order_without_total_price_is_dead(self, worker_ctx, session, shop):
        source, _ = shop
        payload = shopify_fixture("orders_create")
        del payload["total_price"]
        event = await _process(
            worker_ctx, session, await store_event(session, source, "orders/create", payload)
        )
        assert (event.status, event.last_error) == ("dead", "the payload has no `total_price`")
        assert await _count(session, Conversion) == 0


class TestReplay:
    async def test_replaying_a_processed_event_adds_nothing(
        self, worker_ctx, session, world, redis
    ):
        tenant, campaign, source = world
        await _promo(session, tenant.org_id, campaign.id)
        event = await store_event(
            session, source, "order.created", marketplace_fixture("order_created")
        )
        await _process(worker_ctx, session, event)
        job_id = await inbox.replay(session, tenant.org_id, event.id)
        await session.commit()
        await JobQueue.of(session).flush(redis)
        assert await redis.exists(f"arq:job:{job_id}")
        await run_burst(worker_ctx, redis)
        await session.refresh(event)
        assert event.status == "processed"
        assert await _count(session, Conversion) == 1

    async def test_replaying_a_dead_event_once_the_data_is_fixed(self, worker_ctx, session, world):
        tenant, campaign, source = world
        data = marketplace_fixture("offer_accepted", campaign_id=campaign.id)
        event = await store_event(session, source, "offer.accepted", data)
        assert (await _process(worker_ctx, session, event)).status == "dead"
        # The creator's email was missing in Sway: fixed, then the event replayed.
        creator = await create_creator(session, tenant.org_id, email="ada@brews.example")
        await inbox.replay(session, tenant.org_id, event.id)
        await session.commit()
        event = await _process(worker_ctx, session, event)
        assert (event.status, event.attempts, event.last_error) == ("processed", 0, None)
        collaboration = await session.scalar(
            select(Collaboration).where(Collaboration.creator_id == creator.id)
        )
        assert collaboration.stage == "contracted"


class TestHostilePayloads:
    async def test_codes_sway_cannot_hold_attribute_nothing(
        self, worker_ctx, session, world, settings
    ):
        tenant, campaign, _ = world
        source, _ = await create_source(session, tenant.org_id, settings, kind="shopify")
        await _promo(session, tenant.org_id, campaign.id)
        payload = shopify_fixture("orders_create") | {
            "discount_codes": [{"code": "X" * 65}, {"code": "AD\u0000A10"}, {"code": "ADA10"}],
            "landing_site": "/?utm_content=" + "k" * 40,
        }
        event = await store_event(session, source, "orders/create", payload)
        assert (await _process(worker_ctx, session, event)).status == "processed", event.last_error
        purchase = await session.scalar(select(Conversion))
        assert (purchase.promo_code, purchase.link_code, purchase.attributed_by) == (
            "ADA10",
            None,
            "promo_code",
        )

    async def test_a_nul_in_an_id_is_dead_at_once(self, worker_ctx, session, world):
        _, _, source = world
        order = marketplace_fixture("order_created") | {"order_id": "MKT\u00001042"}
        event = await store_event(session, source, "order.created", order)
        event = await _process(worker_ctx, session, event)
        # The same payload is refused every time: no retries.
        assert (event.status, event.attempts) == ("dead", 1)
        assert "NUL" in event.last_error
        assert await _count(session, Conversion) == 0

    async def test_a_value_postgres_refuses_is_dead_at_once(self, session, world):
        _, _, source = world
        event = await store_event(session, source, "lead.created", {"lead_id": "L"})

        class Refused(Exception):
            sqlstate = "22021"  # character_not_in_repertoire: a NUL in text

        error = DBAPIError("INSERT ...", {}, Refused("invalid byte sequence"))
        status = await processing.record_failure(
            session, event.id, error, max_attempts=8, now=datetime.now(UTC)
        )
        assert status == "dead"
        other = await store_event(session, source, "lead.created", {"lead_id": "M"})

        class Lost(Exception):
            sqlstate = "08006"  # connection_failure: worth another try

        error = DBAPIError("INSERT ...", {}, Lost("connection lost"))
        status = await processing.record_failure(
            session, other.id, error, max_attempts=8, now=datetime.now(UTC)
        )
        assert status == "failed"


class TestEndToEnd:
    async def test_signed_shopify_order_to_an_attributed_purchase(
        self, worker_ctx, client, session, world, settings, redis
    ):
        """Through the API as Shopify sends it, then the real worker in burst mode."""
        tenant, campaign, _ = world
        source, key = await create_source(session, tenant.org_id, settings, kind="shopify")
        creator = await _promo(session, tenant.org_id, campaign.id)
        body = (FIXTURES / "shopify" / "orders_create.json").read_bytes()
        headers = shopify_headers(key, body, topic="orders/create", webhook_id="wh-e2e")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202, response.text
        await run_burst(worker_ctx, redis)
        event = await session.get(WebhookEvent, response.json()["id"])
        await session.refresh(event)
        assert event.status == "processed", event.last_error
        purchase = await session.scalar(select(Conversion))
        assert (purchase.amount, purchase.creator_id, purchase.event_id) == (
            Decimal("112.20"),
            creator.id,
            event.id,
        )
