"""The OpenAPI document says what the API does (tests/api/test_schemathesis.py checks the rest
by generating requests from it)."""

import pytest

from tests.factories import bearer, create_creator, create_tenant

PROBLEM = "application/problem+json"


@pytest.fixture
async def document(client) -> dict:
    return (await client.get("/openapi.json")).json()


def _operations(document: dict):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


class TestDocument:
    async def test_problem_answers_use_the_problem_schema(self, document):
        assert {"Problem", "ProblemError"} <= set(document["components"]["schemas"])
        assert "HTTPValidationError" not in document["components"]["schemas"]
        for path, _, operation in _operations(document):
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and path.startswith("/v1/"):
                    schema = answer["content"][PROBLEM]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (path, status)

    async def test_every_v1_operation_lists_auth_rate_limit_and_outage(self, document):
        for path, method, operation in _operations(document):
            if not path.startswith("/v1/"):
                continue
            statuses = set(operation["responses"])
            assert {"401", "403", "429", "503"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= statuses, (method, path)
            if "{id}" in path:
                assert "404" in statuses, (method, path)
            assert "Retry-After" in operation["responses"]["503"]["headers"]

    async def test_bearer_scheme_on_v1_routes_only(self, document):
        scheme = document["components"]["securitySchemes"]["bearerAuth"]
        assert scheme == {"type": "http", "scheme": "bearer", "description": "A Sway API key"}
        for path, _, operation in _operations(document):
            expected = [{"bearerAuth": []}] if path.startswith("/v1/") else None
            assert operation.get("security") == expected, path

    async def test_idempotency_key_on_every_post(self, document):
        for path, method, operation in _operations(document):
            # POST /webhooks/{source_id} takes no API key: it dedups by the sender's event id.
            keyed = method == "post" and path.startswith("/v1/")
            names = [p["name"] for p in operation.get("parameters", ())]
            assert ("Idempotency-Key" in names) == keyed, (method, path)
            if keyed:
                assert {"409", "422"} <= set(operation["responses"]), path

    async def test_retracking_a_post_is_a_listed_200(self, document):
        answers = document["paths"]["/v1/campaigns/{id}/posts"]["post"]["responses"]
        for status in ("200", "201"):
            schema = answers[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/PostRead"}

    async def test_metrics_are_text_and_probes_say_503(self, document):
        metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
        assert list(metrics) == ["text/plain"]
        readyz = document["paths"]["/readyz"]["get"]["responses"]
        assert readyz["503"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Readiness"
        }

    async def test_no_422_where_only_an_id_is_taken(self, document):
        assert "422" not in document["paths"]["/v1/creators/{id}"]["get"]["responses"]
        assert "422" not in document["paths"]["/v1/creators/{id}"]["delete"]["responses"]


class TestAnswersTheDocumentPromises:
    async def test_body_that_is_not_utf8_is_422(self, client, session):
        tenant = await create_tenant(session)
        response = await client.post(
            "/v1/creators",
            content=b"\xff\xfe{",
            headers=bearer(tenant.write) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["loc"] == ["body"]

    async def test_405_allows_every_method_of_the_path(self, client, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        response = await client.options(f"/v1/creators/{creator.id}", headers=bearer(tenant.admin))
        assert response.status_code == 405
        assert response.headers["allow"] == "DELETE, GET, PATCH"
        response = await client.put("/v1/creators", headers=bearer(tenant.admin))
        assert response.headers["allow"] == "GET, POST"


class TestInputRulesInTheDocument:
    async def test_account_create_is_one_model_per_platform(self, document):
        schemas = document["components"]["schemas"]
        account = schemas["AccountCreate"]
        assert account["discriminator"]["propertyName"] == "platform"
        x = schemas["AccountCreate_x"]
        assert x["properties"]["platform"]["const"] == "x"
        assert x["properties"]["handle"]["pattern"] == r"^\s*@?[A-Za-z0-9_]{1,15}\s*$"
        assert len(account["oneOf"]) == len(account["discriminator"]["mapping"]) == 8

    async def test_post_create_is_url_or_account_and_id(self, document):
        body = document["paths"]["/v1/campaigns/{id}/posts"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        refs = {variant["$ref"].rsplit("/", 1)[-1] for variant in schema["oneOf"]}
        assert refs == {"PostByUrl", "PostById"}

    async def test_credentials_need_a_token_or_a_key(self, document):
        schema = document["components"]["schemas"]["CredentialsUpdate"]
        assert schema["anyOf"] == [{"required": ["access_token"]}, {"required": ["api_key"]}]
        assert "anyOf" not in schema["properties"]["access_token"]  # not nullable
        assert "pattern" in schema["properties"]["extra"]["propertyNames"]

    async def test_sort_is_an_enum(self, document):
        parameters = document["paths"]["/v1/creators"]["get"]["parameters"]
        (sort,) = [p for p in parameters if p["name"] == "sort"]
        assert {"followers", "-followers", "created_at"} <= set(sort["schema"]["enum"])

    async def test_patch_fields_that_cannot_be_null_are_not_nullable(self, document):
        schemas = document["components"]["schemas"]
        assert schemas["CreatorUpdate"]["properties"]["name"]["type"] == "string"
        assert "type" not in schemas["CampaignUpdate"]["properties"]["objective"] or (
            schemas["CampaignUpdate"]["properties"]["objective"].get("type") != "null"
        )
        assert "anyOf" not in schemas["CampaignUpdate"]["properties"]["objective"]
        assert schemas["CreatorCreate"]["properties"]["name"]["pattern"].startswith("^[^\\x00]")
