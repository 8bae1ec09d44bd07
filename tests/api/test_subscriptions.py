"""Outbound subscriptions through the API: created with a secret shown once, their events from
the catalogue, their targets guarded, their delivery log read back and redelivered."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shared.crypto import unseal
from shared.domain.events import service as events_service
from shared.domain.events.catalogue import NAMES, EventType
from shared.models import Delivery, DeliveryAttempt, Subscription
from shared.models.status import DeliveryStatus
from tests.factories import bearer, create_tenant

URL = "https://hooks.example.com/sway"
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


async def _count(session, model=Subscription):
    return await session.scalar(select(func.count()).select_from(model))


async def _create(client, tenant, **body):
    body = {"url": URL, "events": ["post.captured"]} | body
    return await client.post("/v1/subscriptions", json=body, headers=bearer(tenant.admin))


@pytest.fixture
def no_private(app, settings):
    """The production default: private targets refused."""
    app.state.settings = settings.model_copy(update={"outbound_allow_private": False})


class TestCreateSubscription:
    async def test_created_with_its_secret_shown_once(self, client, session, settings):
        tenant = await create_tenant(session)
        response = await _create(
            client,
            tenant,
            events=["post.captured", "campaign.goal_reached", "post.captured"],
            description="CRM sync",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["url"] == URL and body["description"] == "CRM sync"
        assert body["events"] == ["post.captured", "campaign.goal_reached"]
        assert (body["status"], body["disabled_reason"]) == ("active", None)
        assert body["secret"].startswith("whsec_")
        stored = await session.get(Subscription, body["id"])
        assert stored.secret_sealed != body["secret"]
        key = settings.secret_key.get_secret_value()
        assert unseal(stored.secret_sealed, key) == body["secret"]
        again = await client.get(f"/v1/subscriptions/{body['id']}", headers=bearer(tenant.admin))
        assert again.status_code == 200 and "secret" not in again.json()

    async def test_unknown_events_are_named(self, client, session):
        tenant = await create_tenant(session)
        response = await _create(client, tenant, events=["post.captured", "post.exploded"])
        assert response.status_code == 422
        assert "post.exploded" in response.text
        assert await _count(session) == 0

    @pytest.mark.parametrize("events", [[], None, "post.captured"])
    async def test_events_are_a_non_empty_list(self, client, session, events):
        tenant = await create_tenant(session)
        response = await _create(client, tenant, events=events)
        assert response.status_code == 422
        assert await _count(session) == 0

    @pytest.mark.parametrize(
        "url", ["ftp://hooks.example.com/x", "https://", "hooks.example.com/x", "javascript:x"]
    )
    async def test_only_http_urls_with_a_host(self, client, session, url):
        tenant = await create_tenant(session)
        response = await _create(client, tenant, url=url)
        assert response.status_code == 422, response.text
        assert await _count(session) == 0

    async def test_needs_the_admin_scope(self, client, session):
        tenant = await create_tenant(session)
        body = {"url": URL, "events": ["post.gone"]}
        for key in (tenant.read, tenant.write, tenant.read_write):
            response = await client.post("/v1/subscriptions", json=body, headers=bearer(key))
            assert response.status_code == 403
            listed = await client.get("/v1/subscriptions", headers=bearer(key))
            assert listed.status_code == 403
        assert await _count(session) == 0


PRIVATE = [
    "http://127.0.0.1:8000/x",
    "http://localhost/x",
    "http://10.0.0.5/x",
    "http://192.168.1.1/x",
    "http://172.16.0.1/x",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[fe80::1]/x",
    "http://[fc00::1]/x",
    "http://0.0.0.0/x",
    "http://224.0.0.1/x",
    "http://240.0.0.1/x",
    "http://100.64.0.1/x",
    "http://2130706433/x",  # 127.0.0.1 as one number: what it resolves to is checked
]


class TestTargets:
    @pytest.mark.parametrize("url", PRIVATE)
    async def test_private_targets_refused_when_not_allowed(self, client, session, no_private, url):
        tenant = await create_tenant(session)
        response = await _create(client, tenant, url=url)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "url"]
        assert await _count(session) == 0

    async def test_public_address_accepted_when_private_refused(self, client, session, no_private):
        tenant = await create_tenant(session)
        response = await _create(client, tenant, url="https://8.8.8.8/hooks")
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost/x"])
    async def test_private_targets_allowed_when_settings_allow(self, client, session, url):
        tenant = await create_tenant(session)  # tests run with env=test: allowed
        response = await _create(client, tenant, url=url)
        assert response.status_code == 201, response.text

    async def test_patch_checks_the_new_url(self, client, session, no_private):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant, url="https://8.8.8.8/hooks")).json()
        response = await client.patch(
            f"/v1/subscriptions/{created['id']}",
            json={"url": "http://[::ffff:10.0.0.1]/x"},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 422
        stored = await session.get(Subscription, created["id"])
        await session.refresh(stored)
        assert stored.url == "https://8.8.8.8/hooks"


class TestListAndChange:
    async def test_list_is_paged_newest_first(self, client, session):
        tenant = await create_tenant(session)
        ids = [(await _create(client, tenant)).json()["id"] for _ in range(3)]
        first = (await client.get("/v1/subscriptions?limit=2", headers=bearer(tenant.admin))).json()
        assert [s["id"] for s in first["items"]] == ids[::-1][:2]
        rest = await client.get(
            f"/v1/subscriptions?limit=2&cursor={first['next_cursor']}",
            headers=bearer(tenant.admin),
        )
        assert [s["id"] for s in rest.json()["items"]] == [ids[0]]
        assert rest.json()["next_cursor"] is None

    async def test_patch_changes_only_what_is_sent(self, client, session):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant, description="a")).json()
        response = await client.patch(
            f"/v1/subscriptions/{created['id']}",
            json={"events": ["post.gone", "deliverable.overdue"]},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["events"] == ["post.gone", "deliverable.overdue"]
        assert (body["url"], body["description"]) == (URL, "a")

    @pytest.mark.parametrize("field", ["url", "events", "status"])
    async def test_patch_null_is_refused(self, client, session, field):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant)).json()
        response = await client.patch(
            f"/v1/subscriptions/{created['id']}", json={field: None}, headers=bearer(tenant.admin)
        )
        assert response.status_code == 422

    async def test_reactivating_clears_the_failure_run(self, client, session):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant)).json()
        stored = await session.get(Subscription, created["id"])
        stored.status, stored.consecutive_failures = "disabled", 20
        stored.disabled_reason, stored.disabled_at = "disabled after 20 deliveries failed", NOW
        await session.commit()
        response = await client.patch(
            f"/v1/subscriptions/{created['id']}",
            json={"status": "active"},
            headers=bearer(tenant.admin),
        )
        body = response.json()
        assert (body["status"], body["disabled_reason"], body["disabled_at"]) == (
            "active",
            None,
            None,
        )
        assert body["consecutive_failures"] == 0

    async def test_disabling_by_hand_says_so(self, client, session):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant)).json()
        response = await client.patch(
            f"/v1/subscriptions/{created['id']}",
            json={"status": "disabled"},
            headers=bearer(tenant.admin),
        )
        assert response.json()["status"] == "disabled"
        assert response.json()["disabled_reason"] == "disabled through the API"

    async def test_delete_takes_its_deliveries(self, client, session):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant)).json()
        await events_service.emit(session, tenant.org_id, EventType.post_captured, {}, now=NOW)
        await session.commit()
        assert await _count(session, Delivery) == 1
        response = await client.delete(
            f"/v1/subscriptions/{created['id']}", headers=bearer(tenant.admin)
        )
        assert response.status_code == 204
        assert await _count(session) == 0 and await _count(session, Delivery) == 0
        gone = await client.get(f"/v1/subscriptions/{created['id']}", headers=bearer(tenant.admin))
        assert gone.status_code == 404

    async def test_rotate_secret(self, client, session, settings):
        tenant = await create_tenant(session)
        created = (await _create(client, tenant)).json()
        response = await client.post(
            f"/v1/subscriptions/{created['id']}/rotate-secret", headers=bearer(tenant.admin)
        )
        assert response.status_code == 200
        secret = response.json()["secret"]
        assert secret.startswith("whsec_") and secret != created["secret"]
        stored = await session.get(Subscription, created["id"])
        await session.refresh(stored)
        assert unseal(stored.secret_sealed, settings.secret_key.get_secret_value()) == secret


class TestDeliveryLog:
    async def _two_deliveries(self, client, session, tenant):
        created = (await _create(client, tenant, events=["post.gone", "post.captured"])).json()
        await events_service.emit(
            session, tenant.org_id, EventType.post_captured, {"post_id": "a"}, now=NOW
        )
        await events_service.emit(
            session, tenant.org_id, EventType.post_gone, {"post_id": "b"}, now=NOW
        )
        await session.commit()
        return created["id"]

    async def test_listed_newest_first_and_filtered(self, client, session):
        tenant = await create_tenant(session)
        subscription_id = await self._two_deliveries(client, session, tenant)
        path = f"/v1/subscriptions/{subscription_id}/deliveries"
        body = (await client.get(path, headers=bearer(tenant.admin))).json()
        assert [d["event_type"] for d in body["items"]] == ["post.gone", "post.captured"]
        item = body["items"][0]
        assert item["status"] == "pending" and item["attempts"] == 0
        assert item["message_id"].startswith("msg_")
        assert set(item) >= {
            "id",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        }
        only = await client.get(f"{path}?event_type=post.captured", headers=bearer(tenant.admin))
        assert [d["event_type"] for d in only.json()["items"]] == ["post.captured"]
        none = await client.get(f"{path}?status=succeeded", headers=bearer(tenant.admin))
        assert none.json()["items"] == []
        paged = await client.get(f"{path}?limit=1", headers=bearer(tenant.admin))
        assert paged.json()["next_cursor"] is not None

    async def test_delivery_detail_has_payload_and_attempt_log(self, client, session):
        tenant = await create_tenant(session)
        subscription_id = await self._two_deliveries(client, session, tenant)
        delivery = await session.scalar(select(Delivery).where(Delivery.event_type == "post.gone"))
        session.add(
            DeliveryAttempt(
                org_id=tenant.org_id,
                delivery_id=delivery.id,
                at=NOW,
                status_code=502,
                error="the receiver answered HTTP 502",
                duration_ms=12,
            )
        )
        await session.commit()
        response = await client.get(f"/v1/deliveries/{delivery.id}", headers=bearer(tenant.admin))
        assert response.status_code == 200
        body = response.json()
        assert body["subscription_id"] == subscription_id
        assert body["payload"] == {
            "type": "post.gone",
            "timestamp": "2026-11-20T09:00:00Z",
            "data": {"post_id": "b"},
        }
        assert body["attempt_log"] == [
            {
                "at": "2026-11-20T09:00:00Z",
                "status_code": 502,
                "error": "the receiver answered HTTP 502",
                "duration_ms": 12,
            }
        ]

    async def test_redeliver_refused_while_disabled_or_pending(self, client, session, redis):
        tenant = await create_tenant(session)
        subscription_id = await self._two_deliveries(client, session, tenant)
        delivery = await session.scalar(select(Delivery).where(Delivery.event_type == "post.gone"))
        path = f"/v1/deliveries/{delivery.id}/redeliver"
        pending = await client.post(path, headers=bearer(tenant.admin))
        assert pending.status_code == 409
        delivery.status, delivery.next_attempt_at = DeliveryStatus.failed, None
        await session.commit()
        await client.patch(
            f"/v1/subscriptions/{subscription_id}",
            json={"status": "disabled"},
            headers=bearer(tenant.admin),
        )
        disabled = await client.post(path, headers=bearer(tenant.admin))
        assert disabled.status_code == 409 and "disabled" in disabled.json()["detail"]
        await session.refresh(delivery)
        assert delivery.status == DeliveryStatus.failed

    async def test_redeliver_queues_a_new_round(self, client, session, redis):
        tenant = await create_tenant(session)
        await self._two_deliveries(client, session, tenant)
        delivery = await session.scalar(select(Delivery).where(Delivery.event_type == "post.gone"))
        delivery.status, delivery.attempts, delivery.next_attempt_at = "failed", 8, None
        message_id = delivery.message_id
        await session.commit()
        await redis.flushdb()
        response = await client.post(
            f"/v1/deliveries/{delivery.id}/redeliver", headers=bearer(tenant.admin)
        )
        assert response.status_code == 202
        assert response.json()["job_id"] == f"subscription.deliver:{delivery.id}:0"
        await session.refresh(delivery)
        assert (delivery.status, delivery.attempts, delivery.message_id) == (
            "pending",
            0,
            message_id,
        )
        assert await redis.zrange("arq:queue", 0, -1) == [response.json()["job_id"].encode()]


class TestCatalogue:
    def test_every_event_of_the_document_is_in_the_catalogue(self):
        # API.md's list, and more for integrations: an inbound event Sway gave up on, an account
        # connected through OAuth.
        assert set(NAMES) == {
            "webhook_event.dead",
            "post.captured",
            "post.gone",
            "campaign.kpis_updated",
            "campaign.goal_reached",
            "deliverable.overdue",
            "post.disclosure_missing",
            "account.authenticity_alert",
            "account.connected",
            "account.connection_lost",
            "collaboration.stage_changed",
        }
