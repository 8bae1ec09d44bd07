from shared import config_problems


class TestProbes:
    async def test_readyz_checks_postgres_redis_and_migrations(self, client):
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "status": "ready",
            "checks": {"postgres": "ok", "migrations": "ok", "redis": "ok", "config": "ok"},
        }

    async def test_config_problem_is_degraded_not_unready(self, client, redis):
        await config_problems.report(
            redis, "youtube", "youtube: API key refused (keyInvalid); check SWAY_YOUTUBE_API_KEY"
        )
        await config_problems.report(redis, "x", "app bearer token missing")
        response = await client.get("/readyz")
        # One platform's setting must not take the whole API out of the load balancer.
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["config"] == (
            "x: app bearer token missing; "
            "youtube: API key refused (keyInvalid); check SWAY_YOUTUBE_API_KEY"
        )
        await config_problems.clear(redis, "youtube")
        await config_problems.clear(redis, "x")
        assert (await client.get("/readyz")).json()["status"] == "ready"

    async def test_redis_down_is_not_ready(self, client, app):
        class DownRedis:
            async def ping(self):
                raise ConnectionError("redis is down")

        app.state.redis = DownRedis()
        response = await client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not ready"
        assert body["checks"]["redis"] == "error: ConnectionError"
        assert body["checks"]["config"] == "unknown"

    async def test_metrics_count_requests_by_route_template(self, client):
        await client.get("/v1/creators/0190f000-0000-7000-8000-000000000000")
        text = (await client.get("/metrics")).text
        assert 'route="/v1/creators/{id}"' in text
        assert "sway_http_request_duration_seconds_bucket" in text


class TestDocs:
    async def test_docs_served_without_cdn(self, client):
        html = (await client.get("/docs")).text
        assert "/static/swagger-ui/swagger-ui-bundle.js" in html
        assert "cdn" not in html.lower()
        assert (await client.get("/static/swagger-ui/swagger-ui-bundle.js")).status_code == 200
        assert (await client.get("/static/swagger-ui/swagger-ui.css")).status_code == 200

    async def test_openapi_lists_the_contract(self, client):
        paths = (await client.get("/openapi.json")).json()["paths"]
        for path in (
            "/v1/creators",
            "/v1/creators/{id}",
            "/v1/creators/{id}/accounts",
            "/v1/accounts/{id}",
            "/v1/accounts/{id}/snapshots",
            "/v1/accounts/{id}/refresh",
            "/v1/campaigns",
            "/v1/campaigns/{id}",
        ):
            assert path in paths

    async def test_unknown_route_is_problem_json(self, client):
        response = await client.get("/v1/nope")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
