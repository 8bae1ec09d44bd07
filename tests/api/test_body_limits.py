"""Request bodies are vetted before any route runs: a key twice in one JSON object is 422, a body
over the size limit is 413, and neither reaches the route or writes anything."""

import json

import pytest
from sqlalchemy import func, select

from services.api.body import BodyGuardMiddleware, body_limits
from shared.models import ApiKey, Campaign
from tests.factories import bearer, create_tenant

JSON = {"Content-Type": "application/json"}


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


def _duplicate_locs(response) -> list[list]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert all(e["type"] == "duplicate_key" for e in body["errors"])
    return [error["loc"] for error in body["errors"]]


class TestDuplicateKeys:
    async def test_last_key_does_not_win_an_admin_scope(self, client, session):
        tenant = await create_tenant(session)
        before = await _count(session, ApiKey)
        response = await client.post(
            "/v1/api-keys",
            content=b'{"name": "ci", "scopes": ["read"], "scopes": ["admin"]}',
            headers=bearer(tenant.admin) | JSON,
        )
        assert _duplicate_locs(response) == [["body", "scopes"]]
        assert await _count(session, ApiKey) == before

    async def test_nested_duplicate_named_by_its_path(self, client, session):
        tenant = await create_tenant(session)
        raw = (
            b'{"name": "Launch", "objective": "awareness", "goals": ['
            b'{"metric": "views", "target": 1},'
            b'{"metric": "views", "target": 1, "metric": "cpm"}]}'
        )
        response = await client.post(
            "/v1/campaigns", content=raw, headers=bearer(tenant.write) | JSON
        )
        assert _duplicate_locs(response) == [["body", "goals", 1, "metric"]]
        assert await _count(session, Campaign) == 0

    @pytest.mark.parametrize(
        "content_type", [None, "application/json; charset=utf-8", "application/merge-patch+json"]
    )
    async def test_every_json_content_type(self, client, session, content_type):
        # FastAPI parses a body with no content type as JSON too.
        tenant = await create_tenant(session)
        headers = bearer(tenant.admin) | ({"Content-Type": content_type} if content_type else {})
        response = await client.post(
            "/v1/api-keys",
            content=b'{"name": "a", "name": "b", "scopes": ["read"]}',
            headers=headers,
        )
        assert _duplicate_locs(response) == [["body", "name"]]

    async def test_refused_before_idempotency_remembers_it(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | JSON | {"Idempotency-Key": "dup-1"}
        refused = await client.post(
            "/v1/creators", content=b'{"name": "A", "name": "B"}', headers=headers
        )
        assert _duplicate_locs(refused) == [["body", "name"]]
        # The same key then works for a good body: the refusal was never stored under it.
        created = await client.post("/v1/creators", json={"name": "A"}, headers=headers)
        assert created.status_code == 201, created.text

    async def test_body_reaches_the_route_unchanged(self, client, session):
        tenant = await create_tenant(session)
        body = json.dumps({"name": "Ada", "notes": "ü" * 100}).encode()
        response = await client.post(
            "/v1/creators", content=body, headers=bearer(tenant.write) | JSON
        )
        assert response.status_code == 201, response.text
        assert response.json()["notes"] == "ü" * 100

    async def test_idempotency_still_reads_the_body(self, client, session):
        tenant = await create_tenant(session)
        headers = bearer(tenant.write) | JSON | {"Idempotency-Key": "replayed-1"}
        first = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        second = await client.post("/v1/creators", json={"name": "Ada"}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json()["id"] == first.json()["id"]

    async def test_deep_nesting_is_422_not_500(self, client, session):
        tenant = await create_tenant(session)
        raw = b'{"name": "Ada", "notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        response = await client.post("/v1/creators", content=raw, headers=bearer(tenant.write))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body"]


class TestBodySize:
    async def test_over_the_limit_is_413(self, client, session, settings):
        tenant = await create_tenant(session)
        padding = "x" * settings.api_max_body_bytes
        response = await client.post(
            "/v1/creators", json={"name": "Ada", "notes": padding}, headers=bearer(tenant.write)
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "payload_too_large"

    async def test_declared_length_refused_without_reading(self, app):
        sent = []

        async def receive():
            raise AssertionError("the body was read")

        async def send(message):
            sent.append(message)

        await app(_scope([(b"content-length", b"104857600")]), receive, send)
        assert sent[0]["status"] == 413

    async def test_chunked_body_stops_being_read_past_the_limit(self, app, settings):
        """A body with no length (chunked) is counted as it arrives; reading stops at the
        first chunk past the limit instead of at the end of 100 MB."""
        chunk, read, sent = b"x" * 65536, [], []

        async def receive():
            read.append(len(chunk))
            return {"type": "http.request", "body": chunk, "more_body": len(read) < 1600}

        async def send(message):
            sent.append(message)

        await app(_scope([(b"transfer-encoding", b"chunked")]), receive, send)
        assert sent[0]["status"] == 413
        assert sum(read) <= settings.api_max_body_bytes + len(chunk)

    def test_webhooks_have_their_own_limit(self, settings):
        custom = settings.model_copy(
            update={"api_max_body_bytes": 2048, "webhook_max_body_bytes": 4096}
        )
        guard = BodyGuardMiddleware(None, **body_limits(custom))
        assert guard.limit_for("/v1/creators") == 2048
        assert guard.limit_for("/webhooks/0190f000") == 4096


def _scope(headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/creators",
        "raw_path": b"/v1/creators",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"sway.test"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("sway.test", 80),
    }
