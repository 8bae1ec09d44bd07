"""Deliveries to a real local receiver: signed per Standard Webhooks (checked with the
`standardwebhooks` library on the receiving side), retried on failure, logged attempt by
attempt, and a subscription disabled after its run of failures."""

from datetime import UTC, datetime

from sqlalchemy import select

from services.worker.jobs.subscriptions import requeue_due_deliveries
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import EventType
from shared.domain.subscription import delivery as delivery_service
from shared.models import DeliveryAttempt
from shared.models.status import DeliveryStatus, SubscriptionStatus
from tests.factories import (
    bearer,
    create_campaign,
    create_collaboration,
    create_creator,
    create_tenant,
)
from tests.factories_events import (
    Receiver,
    create_subscription,
    deliveries,
    make_due,
    run_delivery,
)
from tests.worker.conftest import run_burst

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
DATA = {"campaign_id": "0192f9d0-0000-7000-8000-000000000001", "goal": {"metric": "views"}}


async def _emit(session, org_id, event=EventType.campaign_goal_reached, data=DATA):
    message_id = await events_service.emit(session, org_id, event, data, now=NOW)
    await session.commit()
    return message_id


async def _attempts(session, delivery_id):
    rows = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.at, DeliveryAttempt.id)
    )
    return list(rows)


class TestDeliver:
    async def test_fails_twice_then_succeeds_signed_with_one_webhook_id(
        self, session, settings, worker_ctx
    ):
        tenant = await create_tenant(session)
        async with Receiver(answers=[500, 500]) as receiver:
            subscription, secret = await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            receiver.secret = secret
            message_id = await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            assert delivery.message_id == message_id and message_id.startswith("msg_")

            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.pending
            await make_due(session, delivery.id)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.pending
            await make_due(session, delivery.id)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.succeeded

        assert [r.answered for r in receiver.received] == [500, 500, 200]
        assert all(r.verified for r in receiver.received)
        assert {r.headers["webhook-id"] for r in receiver.received} == {message_id}
        assert all(r.headers["content-type"] == "application/json" for r in receiver.received)
        assert all(r.headers["user-agent"].startswith("Sway") for r in receiver.received)
        body = receiver.received[-1].json
        assert body == {
            "type": "campaign.goal_reached",
            "timestamp": "2026-11-20T09:00:00Z",
            "data": DATA,
        }
        [delivery] = await deliveries(session)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.succeeded, 3)
        assert delivery.last_status_code == 200 and delivery.delivered_at is not None
        attempts = await _attempts(session, delivery.id)
        assert [a.status_code for a in attempts] == [500, 500, 200]
        assert [a.error for a in attempts] == [
            "the receiver answered HTTP 500",
            "the receiver answered HTTP 500",
            None,
        ]
        assert all(a.duration_ms is not None for a in attempts)
        await session.refresh(subscription)
        assert subscription.consecutive_failures == 0

    async def test_a_wrong_secret_does_not_verify(self, session, settings, worker_ctx):
        # The receiver's check can fail: with another secret the same request is refused.
        tenant = await create_tenant(session)
        async with Receiver() as receiver:
            await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            receiver.secret = "whsec_" + "A" * 32
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            await run_delivery(worker_ctx, delivery)
        assert [r.verified for r in receiver.received] == [False]

    async def test_running_twice_sends_once(self, session, settings, worker_ctx):
        tenant = await create_tenant(session)
        async with Receiver() as receiver:
            await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.succeeded
            assert await run_delivery(worker_ctx, delivery) == "skipped"
        assert len(receiver.received) == 1

    async def test_not_yet_due_is_a_no_op(self, session, settings, worker_ctx):
        tenant = await create_tenant(session)
        async with Receiver(answers=[503]) as receiver:
            await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            await run_delivery(worker_ctx, delivery)
            # The retry is deferred by the schedule: run early, the job leaves it alone.
            assert await run_delivery(worker_ctx, delivery) == "skipped"
        assert len(receiver.received) == 1
        [delivery] = await deliveries(session)
        assert delivery.next_attempt_at > datetime.now(UTC)

    async def test_redirects_are_not_followed(self, session, settings, worker_ctx):
        tenant = await create_tenant(session)
        async with Receiver(answers=[307]) as receiver:
            await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.pending
        assert len(receiver.received) == 1
        [delivery] = await deliveries(session)
        assert delivery.last_status_code == 307

    async def test_refused_again_before_sending(self, session, settings, worker_ctx):
        """A target checked when saved is checked again at each send: with private targets no
        longer allowed, the loopback receiver is never called."""
        tenant = await create_tenant(session)
        async with Receiver() as receiver:
            await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            worker_ctx["settings"] = settings.model_copy(update={"outbound_allow_private": False})
            await run_delivery(worker_ctx, delivery)
        assert receiver.received == []
        [attempt] = await _attempts(session, delivery.id)
        assert attempt.status_code is None
        assert "127.0.0.1 is a loopback address" in attempt.error


class TestAutoDisable:
    async def test_disabled_after_the_run_of_failures_with_the_reason(
        self, session, settings, worker_ctx
    ):
        # Two attempts a delivery, two failed deliveries disable: four 500s in all.
        worker_ctx["settings"] = settings.model_copy(
            update={"outbound_max_attempts": 2, "outbound_disable_after": 2}
        )
        tenant = await create_tenant(session)
        async with Receiver(then=500) as receiver:
            subscription, _ = await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            for _ in range(3):
                await _emit(session, tenant.org_id)
            first, second, third = await deliveries(session)
            for delivery in (first, second):
                assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.pending
                await make_due(session, delivery.id)
                assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.failed
            # The third was still pending: it stops with the subscription.
            assert await run_delivery(worker_ctx, third) == "skipped"
        assert len(receiver.received) == 4
        await session.refresh(subscription)
        assert subscription.status == SubscriptionStatus.disabled
        assert subscription.consecutive_failures == 2
        assert subscription.disabled_at is not None
        reason = subscription.disabled_reason
        assert reason == (
            "disabled after 2 deliveries failed in a row (each after 2 attempts); "
            "the last: the receiver answered HTTP 500"
        )
        rows = await deliveries(session)
        assert [d.status for d in rows] == [DeliveryStatus.failed] * 3
        assert rows[2].last_error == reason
        # Disabled: new events find no subscription.
        assert await _emit(session, tenant.org_id) is None

    async def test_a_success_resets_the_run(self, session, settings, worker_ctx):
        worker_ctx["settings"] = settings.model_copy(
            update={"outbound_max_attempts": 1, "outbound_disable_after": 2}
        )
        tenant = await create_tenant(session)
        async with Receiver(answers=[500, 200, 500]) as receiver:
            subscription, _ = await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            for _ in range(3):
                await _emit(session, tenant.org_id)
            outcomes = [await run_delivery(worker_ctx, d) for d in await deliveries(session)]
        assert outcomes == [DeliveryStatus.failed, DeliveryStatus.succeeded, DeliveryStatus.failed]
        await session.refresh(subscription)
        assert (subscription.status, subscription.consecutive_failures) == ("active", 1)


class TestRequeue:
    async def test_a_lost_enqueue_is_sent_by_the_cron(self, session, settings, worker_ctx, redis):
        tenant = await create_tenant(session)
        await create_subscription(
            session, tenant.org_id, "https://hooks.example.com/x", ["post.gone"], settings
        )
        # Emitted and committed, but its job never reached Redis (nothing flushed the queue).
        await _emit(session, tenant.org_id, EventType.post_gone, {"post_id": "p"})
        [delivery] = await deliveries(session)
        assert await redis.zcard("arq:queue") == 0
        assert await requeue_due_deliveries(worker_ctx) == 1
        queued = await redis.zrange("arq:queue", 0, -1)
        assert queued == [f"subscription.deliver:{delivery.id}:0".encode()]
        # Twice: the job still queued is not queued again.
        assert await requeue_due_deliveries(worker_ctx) == 1
        assert await redis.zcard("arq:queue") == 1

    async def test_nothing_due_nothing_queued(self, session, worker_ctx, redis):
        assert await requeue_due_deliveries(worker_ctx) == 0
        assert await redis.zcard("arq:queue") == 0


class TestSchedule:
    def test_doubles_from_30_seconds_with_jitter(self):
        for failed, base in ((1, 30), (2, 60), (3, 120), (7, 1920), (20, 6 * 3600)):
            delay = delivery_service.retry_delay(failed).total_seconds()
            assert base * 0.8 <= delay <= base * 1.2


class TestRedeliver:
    async def test_a_new_round_under_the_same_webhook_id(
        self, client, session, settings, worker_ctx
    ):
        tenant = await create_tenant(session)
        async with Receiver() as receiver:
            _, secret = await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            receiver.secret = secret
            message_id = await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.succeeded
            response = await client.post(
                f"/v1/deliveries/{delivery.id}/redeliver", headers=bearer(tenant.admin)
            )
            assert response.status_code == 202, response.text
            [delivery] = await deliveries(session)
            assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, 0)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.succeeded
        assert [r.headers["webhook-id"] for r in receiver.received] == [message_id] * 2
        assert all(r.verified for r in receiver.received)
        detail = (
            await client.get(f"/v1/deliveries/{delivery.id}", headers=bearer(tenant.admin))
        ).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [200, 200]
        assert (detail["status"], detail["attempts"]) == ("succeeded", 1)

    async def test_after_auto_disable_only_once_re_enabled(
        self, client, session, settings, worker_ctx
    ):
        worker_ctx["settings"] = settings.model_copy(
            update={"outbound_max_attempts": 1, "outbound_disable_after": 1}
        )
        tenant = await create_tenant(session)
        async with Receiver(answers=[500]) as receiver:
            subscription, _ = await create_subscription(
                session, tenant.org_id, receiver.url, ["campaign.goal_reached"], settings
            )
            subscription_path = f"/v1/subscriptions/{subscription.id}"
            await _emit(session, tenant.org_id)
            [delivery] = await deliveries(session)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.failed
            path = f"/v1/deliveries/{delivery.id}/redeliver"
            refused = await client.post(path, headers=bearer(tenant.admin))
            assert refused.status_code == 409
            shown = await client.get(subscription_path, headers=bearer(tenant.admin))
            assert shown.json()["status"] == "disabled"
            assert "disabled after 1 deliveries failed in a row" in shown.json()["disabled_reason"]
            enabled = await client.patch(
                subscription_path,
                json={"status": "active"},
                headers=bearer(tenant.admin),
            )
            assert enabled.json()["disabled_reason"] is None
            assert (await client.post(path, headers=bearer(tenant.admin))).status_code == 202
            [delivery] = await deliveries(session)
            assert await run_delivery(worker_ctx, delivery) == DeliveryStatus.succeeded
        assert [r.answered for r in receiver.received] == [500, 200]


class TestEndToEnd:
    async def test_an_api_change_reaches_the_receiver_through_a_real_worker(
        self, client, session, settings, worker_ctx, redis
    ):
        """PATCH a collaboration's stage: the API commits the delivery and queues its job, a
        real arq worker (burst mode) sends it, the receiver verifies it."""
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        campaign = await create_campaign(session, tenant.org_id)
        collaboration = await create_collaboration(session, tenant.org_id, campaign.id, creator.id)
        async with Receiver() as receiver:
            _, secret = await create_subscription(
                session, tenant.org_id, receiver.url, ["collaboration.stage_changed"], settings
            )
            receiver.secret = secret
            response = await client.patch(
                f"/v1/collaborations/{collaboration.id}",
                json={"stage": "contacted"},
                headers=bearer(tenant.write),
            )
            assert response.status_code == 200
            worker = await run_burst(worker_ctx, redis)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        [received] = receiver.received
        assert received.verified
        assert received.json["type"] == "collaboration.stage_changed"
        assert (received.json["data"]["from"], received.json["data"]["to"]) == (
            "prospect",
            "contacted",
        )
        [delivery] = await deliveries(session)
        assert delivery.status == DeliveryStatus.succeeded
        assert received.headers["webhook-id"] == delivery.message_id
