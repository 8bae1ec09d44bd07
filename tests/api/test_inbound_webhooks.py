"""POST /webhooks/{source_id}: signed as a marketplace (Standard Webhooks) or Shopify signs, by
hand in the test. Every refusal leaves the inbox as it was."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.crypto import seal
from shared.models import WebhookEvent, WebhookSource
from tests.factories import create_tenant
from tests.factories_webhooks import (
    create_source,
    marketplace_delivery,
    shopify_headers,
    standard_headers,
)

PROBLEM = "application/problem+json"
ORDER = {
    "order_id": "A-1",
    "amount": "40.00",
    "currency": "EUR",
    "occurred_at": "2026-11-02T10:00:00Z",
}


async def _events(session) -> list[WebhookEvent]:
    return list((await session.scalars(select(WebhookEvent))).all())


async def _count(session) -> int:
    return await session.scalar(select(func.count()).select_from(WebhookEvent))


@pytest.fixture
async def marketplace(session, settings):
    tenant = await create_tenant(session)
    source, secret = await create_source(session, tenant.org_id, settings)
    return source, secret


@pytest.fixture
async def shop(session, settings):
    tenant = await create_tenant(session)
    source, key = await create_source(session, tenant.org_id, settings, kind="shopify")
    return source, key


def _refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    if code:
        assert body["code"] == code
    return body


class TestMarketplaceAccepted:
    async def test_stored_raw_and_processing_queued(self, client, session, marketplace, redis):
        source, secret = marketplace
        body, headers = marketplace_delivery(
            secret, "order.created", ORDER, msg_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"
        )
        headers |= {
            "Authorization": "Bearer not-for-storing",
            "Cookie": "session=1",
            "X-Trace": "t-1",
        }
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202, response.text
        answer = response.json()
        [event] = await _events(session)
        assert answer == {
            "id": str(event.id),
            "external_id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W",
            "status": "accepted",
            "job_id": f"webhook.process:{event.id}:0",
        }
        assert (event.org_id, event.source_id) == (source.org_id, source.id)
        assert (event.type, event.status, event.attempts) == ("order.created", "pending", 0)
        assert event.body == body.decode()  # byte for byte, not re-serialized
        assert event.headers["webhook-id"] == "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"
        assert event.headers["x-trace"] == "t-1"
        assert "authorization" not in event.headers and "cookie" not in event.headers
        assert await redis.exists(f"arq:job:{answer['job_id']}")

    async def test_charset_in_content_type_is_json_still(self, client, session, marketplace):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "lead.created", {"lead_id": "L1"})
        headers["content-type"] = "application/json; charset=utf-8"
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202, response.text

    async def test_unknown_type_is_stored_too(self, client, session, marketplace):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "invoice.paid", {"x": 1})
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202
        [event] = await _events(session)
        assert event.type == "invoice.paid"


class TestDuplicates:
    async def test_same_event_id_is_200_and_changes_nothing(
        self, client, session, marketplace, redis
    ):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "order.created", ORDER, msg_id="msg_dup")
        first = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert first.status_code == 202
        await redis.flushdb()  # so a second enqueue would show
        # The same id again, even with another (validly signed) body: the first one stands.
        other, headers = marketplace_delivery(
            secret, "order.created", ORDER | {"amount": "99.00"}, msg_id="msg_dup"
        )
        again = await client.post(f"/webhooks/{source.id}", content=other, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == {
            "id": first.json()["id"],
            "external_id": "msg_dup",
            "status": "duplicate",
            "job_id": None,
        }
        [event] = await _events(session)
        assert json.loads(event.body)["data"]["amount"] == "40.00"
        assert await redis.keys("arq:*") == []

    async def test_same_id_from_another_source_is_another_event(
        self, client, session, settings, marketplace
    ):
        source, secret = marketplace
        other, other_secret = await create_source(
            session, source.org_id, settings, secret="whsec_" + "QUJD" * 8
        )
        for target, key in ((source, secret), (other, other_secret)):
            body, headers = marketplace_delivery(key, "lead.created", {}, msg_id="msg_same")
            response = await client.post(f"/webhooks/{target.id}", content=body, headers=headers)
            assert response.status_code == 202
        assert await _count(session) == 2


class TestSignatureRefused:
    async def test_bad_signature_is_401_logged_without_the_body(
        self, client, session, marketplace, capsys
    ):
        source, secret = marketplace
        body, headers = marketplace_delivery(
            secret, "order.created", ORDER | {"note": "SECRET-BODY"}
        )
        headers["webhook-signature"] = "v1," + "A" * 44
        capsys.readouterr()
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert _refused(response, 401, "invalid_signature")
        assert "WWW-Authenticate" not in response.headers
        assert await _count(session) == 0
        # The log goes to stdout, one line per refusal (shared/logging.py).
        output = capsys.readouterr()
        [line] = [row for row in output.out.splitlines() if "webhook refused" in row]
        assert f"source_id={source.id}" in line
        assert "No matching signature found" in line
        assert "client=127.0.0.1" in line
        assert "SECRET-BODY" not in output.out + output.err

    async def test_body_changed_after_signing(self, client, session, marketplace):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "order.created", ORDER)
        tampered = body.replace(b"40.00", b"4000.00")
        response = await client.post(f"/webhooks/{source.id}", content=tampered, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0

    @pytest.mark.parametrize("missing", ["webhook-signature", "webhook-timestamp", "webhook-id"])
    async def test_missing_header(self, client, session, marketplace, missing):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "order.created", ORDER)
        del headers[missing]
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0

    @pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
    async def test_stale_or_future_timestamp(self, client, session, marketplace, offset):
        source, secret = marketplace
        at = datetime.now(UTC) + offset
        body, headers = marketplace_delivery(secret, "order.created", ORDER, at=at)
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0

    async def test_within_five_minutes_verifies(self, client, session, marketplace):
        source, secret = marketplace
        at = datetime.now(UTC) - timedelta(minutes=4)
        body, headers = marketplace_delivery(secret, "order.created", ORDER, at=at)
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202

    async def test_shopify_signature_on_a_marketplace_source(self, client, session, marketplace):
        source, secret = marketplace
        body = json.dumps({"id": 1, "total_price": "1.00"}).encode()
        headers = shopify_headers(secret, body, topic="orders/create")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0

    async def test_standard_signature_on_a_shopify_source(self, client, session, shop):
        source, key = shop
        body, headers = marketplace_delivery("whsec_" + "QUJD" * 8, "order.created", ORDER)
        headers |= {"x-shopify-topic": "orders/create", "x-shopify-webhook-id": "w1"}
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0


class TestMalformed:
    async def test_not_json(self, client, session, marketplace):
        source, secret = marketplace
        body = b"type=order.created&amount=40"
        headers = standard_headers(secret, body)
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 422, "invalid_event")
        assert await _count(session) == 0

    @pytest.mark.parametrize(
        "body", [b"[1, 2]", b'"order.created"', b'{"data": {}}', b'{"type": 7}']
    )
    async def test_not_an_event_object(self, client, session, marketplace, body):
        source, secret = marketplace
        headers = standard_headers(secret, body)
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 422, "invalid_event")
        assert await _count(session) == 0

    @pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
    async def test_wrong_content_type_is_415(self, client, session, marketplace, content_type):
        source, secret = marketplace
        body, headers = marketplace_delivery(secret, "order.created", ORDER)
        headers["content-type"] = content_type
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 415, "unsupported_media_type")
        assert await _count(session) == 0

    async def test_huge_body_is_413_before_anything(self, client, session, marketplace, settings):
        source, secret = marketplace
        padding = "x" * settings.webhook_max_body_bytes
        body, headers = marketplace_delivery(secret, "order.created", ORDER | {"pad": padding})
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 413, "payload_too_large")
        assert await _count(session) == 0

    async def test_huge_chunked_body_is_413_without_reading_it_all(
        self, client, session, marketplace, settings
    ):
        source, secret = marketplace
        chunk, sent = b"x" * 65536, []

        async def chunks():
            for _ in range(settings.webhook_max_body_bytes // len(chunk) + 50):
                sent.append(len(chunk))
                yield chunk

        headers = standard_headers(secret, b"")
        response = await client.post(f"/webhooks/{source.id}", content=chunks(), headers=headers)
        _refused(response, 413)
        assert sum(sent) <= settings.webhook_max_body_bytes + 2 * len(chunk)
        assert await _count(session) == 0


class TestUnknownSource:
    # A fixed unknown id: parallel test processes must collect the same test ids.
    @pytest.mark.parametrize(
        "source_id", ["5f0c6d2e-8a41-4d3b-9c7e-2b1a0f9e8d7c", "not-a-uuid", "0"]
    )
    async def test_unknown_or_malformed_is_404(self, client, session, marketplace, source_id):
        _, secret = marketplace
        body, headers = marketplace_delivery(secret, "order.created", ORDER)
        response = await client.post(f"/webhooks/{source_id}", content=body, headers=headers)
        _refused(response, 404, "not_found")
        assert await _count(session) == 0

    async def test_disabled_source_is_404(self, client, session, settings):
        tenant = await create_tenant(session)
        source, secret = await create_source(
            session, tenant.org_id, settings, disabled_at=datetime.now(UTC)
        )
        body, headers = marketplace_delivery(secret, "order.created", ORDER)
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 404)
        assert await _count(session) == 0


SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "created_at": "2026-11-02T05:10:15-05:00",
    "total_price": "186.90",
    "currency": "EUR",
}


class TestShopify:
    async def test_signed_order_is_stored_under_its_topic(self, client, session, shop):
        source, key = shop
        body = json.dumps(SHOPIFY_ORDER).encode()
        headers = shopify_headers(key, body, topic="orders/create", webhook_id="wh-1")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202, response.text
        [event] = await _events(session)
        assert (event.external_id, event.type) == ("wh-1", "orders/create")
        assert event.headers["x-shopify-shop-domain"] == "ada-coffee.myshopify.com"

    async def test_unhandled_topic_is_accepted_and_stored(self, client, session, shop):
        source, key = shop
        body = json.dumps({"id": 1, "title": "Mug"}).encode()
        headers = shopify_headers(key, body, topic="products/update", webhook_id="wh-2")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202
        [event] = await _events(session)
        assert event.type == "products/update"

    async def test_bad_hmac_is_401(self, client, session, shop):
        source, key = shop
        body = json.dumps(SHOPIFY_ORDER).encode()
        headers = shopify_headers("another-shops-key-0123456789", body, topic="orders/create")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)
        assert await _count(session) == 0

    async def test_missing_hmac_is_401(self, client, session, shop):
        source, key = shop
        body = json.dumps(SHOPIFY_ORDER).encode()
        headers = shopify_headers(key, body, topic="orders/create")
        del headers["x-shopify-hmac-sha256"]
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 401)

    @pytest.mark.parametrize("missing", ["x-shopify-webhook-id", "x-shopify-topic"])
    async def test_missing_id_or_topic_is_400(self, client, session, shop, missing):
        source, key = shop
        body = json.dumps(SHOPIFY_ORDER).encode()
        headers = shopify_headers(key, body, topic="orders/create")
        del headers[missing]
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        _refused(response, 400, "bad_request")
        assert await _count(session) == 0

    async def test_redelivery_is_200(self, client, session, shop):
        source, key = shop
        body = json.dumps(SHOPIFY_ORDER).encode()
        headers = shopify_headers(key, body, topic="orders/create", webhook_id="wh-3")
        assert (
            await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        ).status_code == 202
        again = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert again.status_code == 200
        assert await _count(session) == 1


class TestRotationGrace:
    async def test_old_secret_verifies_until_the_grace_ends(self, app, client, session, settings):
        tenant = await create_tenant(session)
        from tests.factories import bearer

        created = await client.post(
            "/v1/webhook-sources",
            json={"kind": "marketplace", "name": "Collabstr"},
            headers=bearer(tenant.admin),
        )
        assert created.status_code == 201, created.text
        source_id, old = created.json()["id"], created.json()["secret"]
        rotated = await client.post(
            f"/v1/webhook-sources/{source_id}/rotate-secret",
            json={"grace_s": 3600},
            headers=bearer(tenant.admin),
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old and new.startswith("whsec_")
        for number, secret in enumerate((old, new)):
            body, headers = marketplace_delivery(secret, "lead.created", {}, msg_id=f"m{number}")
            response = await client.post(f"/webhooks/{source_id}", content=body, headers=headers)
            assert response.status_code == 202, response.text
        # The grace period over: only the new secret verifies.
        source = await session.get(WebhookSource, source_id)
        source.previous_secret_expires_at = datetime.now(UTC) - timedelta(seconds=1)
        await session.commit()
        # The hour is made to pass in the database; what the API process kept of the source
        # would be read again within verifiers.TTL_S.
        app.state.webhook_verifiers.clear()
        body, headers = marketplace_delivery(old, "lead.created", {}, msg_id="m-late")
        _refused(await client.post(f"/webhooks/{source_id}", content=body, headers=headers), 401)
        body, headers = marketplace_delivery(new, "lead.created", {}, msg_id="m-new")
        response = await client.post(f"/webhooks/{source_id}", content=body, headers=headers)
        assert response.status_code == 202
        assert await _count(session) == 3


class TestKeptVerifiers:
    async def test_kept_a_few_seconds_then_read_again(self, session, settings, app):
        from shared.domain.webhook.verifiers import TTL_S, VerifierCache

        tenant = await create_tenant(session)
        source, secret = await create_source(session, tenant.org_id, settings)
        now = [100.0]
        cache = VerifierCache(clock=lambda: now[0])
        key = settings.secret_key.get_secret_value()
        first = await cache.get(app.state.reads, source.id, key)
        assert (first.fresh, first.secrets(datetime.now(UTC))) == (True, [secret])
        # Disabled by another process: this one keeps verifying for at most TTL_S.
        stored = await session.get(WebhookSource, source.id)
        stored.disabled_at = datetime.now(UTC)
        await session.commit()
        kept = await cache.get(app.state.reads, source.id, key)
        assert kept is not None and kept.fresh is False
        now[0] += TTL_S
        assert await cache.get(app.state.reads, source.id, key) is None

    async def test_a_rotation_elsewhere_verifies_at_once(self, app, client, session, settings):
        tenant = await create_tenant(session)
        source, old = await create_source(session, tenant.org_id, settings)
        body, headers = marketplace_delivery(old, "lead.created", {}, msg_id="before")
        assert (
            await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        ).status_code == 202
        # Rotated by another API process: this one still keeps the old secret alone.
        new = "whsec_" + "QUJD" * 8
        stored = await session.get(WebhookSource, source.id)
        stored.secret_sealed = seal(new, settings.secret_key.get_secret_value())
        await session.commit()
        body, headers = marketplace_delivery(new, "lead.created", {}, msg_id="after")
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        assert response.status_code == 202, response.text
