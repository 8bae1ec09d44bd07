"""The hot paths (`POST /webhooks/{source_id}`, `GET /r/{code}`, `GET /v1/creators/{id}`) are
answered by BarePaths before the app's routes are tried. They are still counted in the metrics
under their route template, still 503 while Postgres or Redis is down, and still ignore
Idempotency-Key; the creator read still makes every check a Reader dependency makes; a request
they do not serve (another method, a longer path) goes on to the router as before."""

import re

import asyncpg
from arq.connections import ArqRedis
from sqlalchemy import make_url, select

from services.api.bare_route import bare_routes
from shared.db import RawReads, asyncpg_dsn
from shared.embedded import free_port
from shared.models import WebhookEvent
from tests.factories import bearer, create_account, create_campaign, create_creator, create_tenant
from tests.factories_attribution import create_link
from tests.factories_webhooks import create_source, marketplace_delivery

PROBLEM = "application/problem+json"


def _requests(metrics: str, method: str, route: str, status: int) -> float:
    """sway_http_requests_total for one label set in /metrics (0 before its first request)."""
    labels = f'method="{method}",route="{route}",status="{status}"'
    found = re.search(rf"^sway_http_requests_total\{{{re.escape(labels)}\}} (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


def _latencies(metrics: str, method: str, route: str) -> float:
    labels = f'method="{method}",route="{route}"'
    pattern = rf"^sway_http_request_duration_seconds_count\{{{re.escape(labels)}\}} (\S+)$"
    found = re.search(pattern, metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def _source(session, settings):
    tenant = await create_tenant(session)
    return await create_source(session, tenant.org_id, settings)


class TestCounted:
    async def test_webhook_answers_counted_by_route_template(self, client, session, settings):
        source, secret = await _source(session, settings)
        route = "/webhooks/{source_id}"
        before = (await client.get("/metrics")).text
        body, headers = marketplace_delivery(secret, "lead.created", {"lead_id": "L1"})
        for _ in range(2):  # accepted, then the same event again
            await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        await client.post("/webhooks/not-a-source", content=body, headers=headers)
        after = (await client.get("/metrics")).text
        # One 202, one 200 (the duplicate), one 404; three latencies, all under the template.
        for status, added in ((202, 1), (200, 1), (404, 1)):
            counted = _requests(after, "POST", route, status) - _requests(
                before, "POST", route, status
            )
            assert counted == added, status
        assert _latencies(after, "POST", route) - _latencies(before, "POST", route) == 3
        assert "/webhooks/not-a-source" not in after

    async def test_redirects_counted_by_route_template(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        campaign = await create_campaign(session, tenant.org_id)
        await create_link(session, tenant.org_id, campaign.id, creator.id, "barepath1")
        before = (await client.get("/metrics")).text
        assert (await client.get("/r/barepath1")).status_code == 302
        assert (await client.get("/r/nosuchcode")).status_code == 404
        after = (await client.get("/metrics")).text
        for status in (302, 404):
            counted = _requests(after, "GET", "/r/{code}", status)
            assert counted - _requests(before, "GET", "/r/{code}", status) == 1


class TestCreatorRead:
    ROUTE = "/v1/creators/{id}"

    async def test_served_here_and_only_for_get(self, app):
        served = {
            (s.route.path, method) for s in bare_routes(app.routes) for method in s.route.methods
        }
        assert (self.ROUTE, "GET") in served
        assert {(self.ROUTE, "PATCH"), (self.ROUTE, "DELETE")}.isdisjoint(served)

    async def test_the_readers_checks_each_answer_counted(self, client, session):
        tenant, other = await create_tenant(session, "A"), await create_tenant(session, "B")
        creator = await create_creator(session, tenant.org_id, name="Ada")
        await create_account(session, tenant.org_id, creator.id, handle="ada.reads")
        url = f"/v1/creators/{creator.id}"
        before = (await client.get("/metrics")).text
        answers = [
            (await client.get(url, headers=bearer(tenant.read)), 200),
            (await client.get(url), 401),  # no key
            (await client.get(url, headers=bearer("sway_not-a-key")), 401),
            (await client.get(url, headers=bearer(tenant.write)), 403),  # lacks `read`
            (await client.get(url, headers=bearer(other.read)), 404),  # another organization's
            (await client.get("/v1/creators/not-a-uuid", headers=bearer(tenant.read)), 404),
        ]
        for response, status in answers:
            assert response.status_code == status, response.text
            if status >= 400:
                assert response.headers["content-type"] == PROBLEM
        read = answers[0][0].json()
        assert (read["name"], [a["handle"] for a in read["accounts"]]) == ("Ada", ["ada.reads"])
        assert answers[4][0].json()["code"] == answers[5][0].json()["code"] == "not_found"
        after = (await client.get("/metrics")).text
        for status, added in ((200, 1), (401, 2), (403, 1), (404, 2)):
            counted = _requests(after, "GET", self.ROUTE, status)
            assert counted - _requests(before, "GET", self.ROUTE, status) == added, status

    async def test_other_methods_and_longer_paths_go_to_the_router(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Ada")
        url, key = f"/v1/creators/{creator.id}", bearer(tenant.read_write)
        patched = await client.patch(url, json={"name": "Ada B."}, headers=key)
        assert patched.status_code == 200, patched.text
        assert (await client.get(url, headers=key)).json()["name"] == "Ada B."
        assert (await client.get(f"{url}/similar", headers=key)).status_code == 200
        assert (await client.delete(url, headers=key)).status_code == 204


class TestNotServedHere:
    async def test_a_method_the_route_lacks_is_405_naming_the_allowed_one(self, client, session):
        for method, path, allowed in (
            ("GET", "/webhooks/5f0c6d2e-8a41-4d3b-9c7e-2b1a0f9e8d7c", "POST"),
            ("DELETE", "/r/somecode", "GET"),
        ):
            response = await client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert response.headers["allow"] == allowed
            assert response.headers["content-type"] == PROBLEM

    async def test_a_longer_path_is_404(self, client, session, settings):
        source, secret = await _source(session, settings)
        body, headers = marketplace_delivery(secret, "lead.created", {})
        response = await client.post(f"/webhooks/{source.id}/more", content=body, headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert (await client.get("/r/a/b")).status_code == 404
        assert (await session.scalars(select(WebhookEvent))).all() == []


class TestIdempotencyKey:
    async def test_ignored_on_the_webhook_and_nothing_kept_for_it(
        self, client, session, settings, redis
    ):
        source, secret = await _source(session, settings)
        body, headers = marketplace_delivery(secret, "lead.created", {"lead_id": "L2"})
        headers["Idempotency-Key"] = "retry-1"
        first = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        again = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        # The inbox says what happened, not a replayed first answer.
        assert (first.status_code, again.status_code) == (202, 200)
        assert again.json()["status"] == "duplicate"
        assert "idempotent-replayed" not in again.headers
        assert await redis.keys("idempotency:*") == []


class TestOutages:
    async def test_postgres_down_is_503_on_both_paths(self, app, client, session, database_url):
        url = make_url(database_url).set(host="127.0.0.1", port=free_port())
        pool = await asyncpg.create_pool(asyncpg_dsn(url.render_as_string(False)), min_size=0)
        app.state.reads = RawReads(pool)
        try:
            body, headers = marketplace_delivery("whsec_" + "QUJD" * 8, "lead.created", {})
            inbound = await client.post(
                "/webhooks/5f0c6d2e-8a41-4d3b-9c7e-2b1a0f9e8d7c", content=body, headers=headers
            )
            redirect = await client.get("/r/somecode")
        finally:
            await pool.close()
        for response in (inbound, redirect):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == PROBLEM
            assert response.headers["retry-after"] == "5"
            assert "postgres" in response.json()["detail"]

    async def test_redis_down_is_503_and_the_stored_event_waits_for_the_requeue(
        self, app, client, session, settings
    ):
        source, secret = await _source(session, settings)
        # No Redis listens here: the insert is done, queueing its job fails.
        app.state.redis = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
        body, headers = marketplace_delivery(secret, "lead.created", {"lead_id": "L3"})
        response = await client.post(f"/webhooks/{source.id}", content=body, headers=headers)
        await app.state.redis.aclose()
        assert response.status_code == 503, response.text
        assert "redis" in response.json()["detail"]
        # Pending, so the requeue cron queues it (processing.PENDING_GRACE after receipt).
        [event] = (await session.scalars(select(WebhookEvent))).all()
        assert (event.status, event.attempts) == ("pending", 0)
