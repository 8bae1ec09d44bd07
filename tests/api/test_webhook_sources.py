"""The admin API of webhook sources and of the inbox: secrets shown once and sealed at rest,
Shopify's key taken not made, rotation, disabling, the event list and replay."""

import base64
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shared.crypto import unseal
from shared.models import WebhookEvent, WebhookSource
from tests.factories import bearer, create_tenant
from tests.factories_webhooks import (
    SHOPIFY_KEY,
    create_source,
    marketplace_delivery,
    store_event,
)

SOURCES = "/v1/webhook-sources"


async def _stored(session, source_id) -> WebhookSource:
    source = await session.get(WebhookSource, source_id)
    await session.refresh(source)
    return source


class TestCreateSource:
    async def test_marketplace_secret_made_shown_once_and_sealed(self, client, session, settings):
        tenant = await create_tenant(session)
        response = await client.post(
            SOURCES, json={"kind": "marketplace", "name": "Collabstr"}, headers=bearer(tenant.admin)
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["url"] == f"{settings.public_url}/webhooks/{body['id']}"
        assert (body["kind"], body["name"], body["disabled_at"]) == (
            "marketplace",
            "Collabstr",
            None,
        )
        secret = body["secret"]
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
        stored = await _stored(session, body["id"])
        assert secret not in stored.secret_sealed
        assert unseal(stored.secret_sealed, settings.secret_key.get_secret_value()) == secret
        # Never shown again.
        for url in (f"{SOURCES}/{body['id']}", SOURCES):
            text = (await client.get(url, headers=bearer(tenant.admin))).text
            assert secret not in text and 'secret"' not in text.replace("previous_secret", "")

    async def test_shopify_takes_shopifys_key_and_never_shows_it(self, client, session, settings):
        tenant = await create_tenant(session)
        response = await client.post(
            SOURCES,
            json={"kind": "shopify", "name": "Ada Coffee shop", "secret": SHOPIFY_KEY},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 201, response.text
        assert response.json()["secret"] is None
        assert SHOPIFY_KEY not in response.text
        stored = await _stored(session, response.json()["id"])
        assert unseal(stored.secret_sealed, settings.secret_key.get_secret_value()) == SHOPIFY_KEY

    async def test_shopify_without_key_and_marketplace_with_one_are_422(self, client, session):
        tenant = await create_tenant(session)
        for body in (
            {"kind": "shopify", "name": "shop"},
            {"kind": "marketplace", "name": "m", "secret": "whsec_" + "QUJD" * 8},
        ):
            response = await client.post(SOURCES, json=body, headers=bearer(tenant.admin))
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["loc"][-1] == "secret"
        assert await session.scalar(select(func.count()).select_from(WebhookSource)) == 0

    async def test_admin_scope_needed(self, client, session):
        tenant = await create_tenant(session)
        body = {"kind": "marketplace", "name": "m"}
        response = await client.post(SOURCES, json=body, headers=bearer(tenant.read_write))
        assert response.status_code == 403
        assert (await client.get(SOURCES, headers=bearer(tenant.read))).status_code == 403


class TestReadUpdateDisable:
    async def test_list_get_rename(self, client, session, settings):
        tenant = await create_tenant(session)
        first, _ = await create_source(session, tenant.org_id, settings, name="first")
        second, _ = await create_source(session, tenant.org_id, settings, kind="shopify")
        page = (await client.get(f"{SOURCES}?limit=1", headers=bearer(tenant.admin))).json()
        assert [item["id"] for item in page["items"]] == [str(second.id)]
        rest = await client.get(
            f"{SOURCES}?limit=1&cursor={page['next_cursor']}", headers=bearer(tenant.admin)
        )
        assert [item["id"] for item in rest.json()["items"]] == [str(first.id)]
        shops = await client.get(f"{SOURCES}?kind=shopify", headers=bearer(tenant.admin))
        assert [item["id"] for item in shops.json()["items"]] == [str(second.id)]
        renamed = await client.patch(
            f"{SOURCES}/{first.id}", json={"name": "Collabstr EU"}, headers=bearer(tenant.admin)
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Collabstr EU"

    async def test_delete_disables_and_the_url_answers_404(self, client, session, settings):
        tenant = await create_tenant(session)
        source, secret = await create_source(session, tenant.org_id, settings)
        deleted = await client.delete(f"{SOURCES}/{source.id}", headers=bearer(tenant.admin))
        assert deleted.status_code == 204
        assert (
            await client.delete(f"{SOURCES}/{source.id}", headers=bearer(tenant.admin))
        ).status_code == 204
        shown = (await client.get(f"{SOURCES}/{source.id}", headers=bearer(tenant.admin))).json()
        assert shown["disabled_at"] is not None
        body, headers = marketplace_delivery(secret, "lead.created", {})
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 404
        rotated = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret", headers=bearer(tenant.admin)
        )
        assert rotated.status_code == 409


class TestRotateSecret:
    async def test_default_grace_and_its_expiry(self, client, session, settings):
        tenant = await create_tenant(session)
        source, old = await create_source(session, tenant.org_id, settings)
        before = datetime.now(UTC)
        response = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret", headers=bearer(tenant.admin)
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["secret"].startswith("whsec_") and body["secret"] != old
        expires = datetime.fromisoformat(body["previous_secret_expires_at"])
        grace = timedelta(seconds=settings.webhook_secret_grace_s)
        assert before + grace <= expires <= datetime.now(UTC) + grace
        stored = await _stored(session, source.id)
        key = settings.secret_key.get_secret_value()
        assert unseal(stored.previous_secret_sealed, key) == old
        assert unseal(stored.secret_sealed, key) == body["secret"]

    async def test_zero_grace_ends_the_old_secret_at_once(self, client, session, settings):
        tenant = await create_tenant(session)
        source, old = await create_source(session, tenant.org_id, settings)
        response = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret",
            json={"grace_s": 0},
            headers=bearer(tenant.admin),
        )
        assert response.json()["previous_secret_expires_at"] is None
        body, headers = marketplace_delivery(old, "lead.created", {})
        assert (
            await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        ).status_code == 401

    async def test_grace_above_the_maximum_is_422(self, client, session, settings):
        tenant = await create_tenant(session)
        source, _ = await create_source(session, tenant.org_id, settings)
        response = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret",
            json={"grace_s": 7 * 24 * 3600 + 1},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 422

    async def test_shopify_rotation_takes_the_new_key(self, client, session, settings):
        tenant = await create_tenant(session)
        source, _ = await create_source(session, tenant.org_id, settings, kind="shopify")
        missing = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret", headers=bearer(tenant.admin)
        )
        assert missing.status_code == 409
        assert "send it as `secret`" in missing.json()["detail"]
        new_key = "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"
        response = await client.post(
            f"{SOURCES}/{source.id}/rotate-secret",
            json={"secret": new_key},
            headers=bearer(tenant.admin),
        )
        assert response.status_code == 200, response.text
        assert response.json()["secret"] is None
        stored = await _stored(session, source.id)
        key = settings.secret_key.get_secret_value()
        assert (unseal(stored.secret_sealed, key), unseal(stored.previous_secret_sealed, key)) == (
            new_key,
            SHOPIFY_KEY,
        )


class TestEvents:
    async def test_list_newest_first_with_filters_and_detail(self, client, session, settings):
        tenant = await create_tenant(session)
        source, _ = await create_source(session, tenant.org_id, settings)
        now = datetime.now(UTC)
        old = await store_event(
            session, source, "order.created", {"a": 1}, received_at=now - timedelta(hours=1)
        )
        new = await store_event(session, source, "lead.created", {"b": 2}, received_at=now)
        old.status, old.last_error, old.attempts = "failed", "order X is not known yet", 2
        await session.commit()
        page = (await client.get("/v1/webhook-events", headers=bearer(tenant.admin))).json()
        assert [item["id"] for item in page["items"]] == [str(new.id), str(old.id)]
        item = page["items"][1]
        assert {k: item[k] for k in ("source_id", "type", "status", "attempts", "last_error")} == {
            "source_id": str(source.id),
            "type": "order.created",
            "status": "failed",
            "attempts": 2,
            "last_error": "order X is not known yet",
        }
        assert "body" not in item
        for query, expected in (
            ("status=failed", [old.id]),
            ("type=lead.created", [new.id]),
            (f"source_id={source.id}", [new.id, old.id]),
            ("status=dead", []),
        ):
            found = await client.get(f"/v1/webhook-events?{query}", headers=bearer(tenant.admin))
            assert [i["id"] for i in found.json()["items"]] == [str(e) for e in expected], query
        detail = await client.get(f"/v1/webhook-events/{old.id}", headers=bearer(tenant.admin))
        assert json.loads(detail.json()["body"]) == {"type": "order.created", "data": {"a": 1}}
        assert detail.json()["headers"] == {"content-type": "application/json"}

    async def test_replay_requeues_with_fresh_tries(self, client, session, settings, redis):
        tenant = await create_tenant(session)
        source, _ = await create_source(session, tenant.org_id, settings)
        event = await store_event(session, source, "order.created", {})
        event.status, event.attempts, event.last_error = "dead", 8, "invalid data"
        await session.commit()
        response = await client.post(
            f"/v1/webhook-events/{event.id}/replay", headers=bearer(tenant.admin)
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        assert job_id.startswith(f"webhook.process:{event.id}:replay:")
        assert await redis.exists(f"arq:job:{job_id}")
        await session.refresh(event)
        assert (event.status, event.attempts) == ("pending", 0)
        second = await client.post(
            f"/v1/webhook-events/{event.id}/replay", headers=bearer(tenant.admin)
        )
        assert second.json()["job_id"] != job_id  # each replay is its own request
        assert await session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
