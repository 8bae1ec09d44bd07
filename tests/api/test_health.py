class TestProbes:
    async def test_readyz_checks_postgres_redis_and_migrations(self, client):
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"postgres": "ok", "migrations": "ok", "redis": "ok"}

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
