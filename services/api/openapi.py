"""The OpenAPI document, completed with what FastAPI cannot infer: the bearer scheme, the
Idempotency-Key header, and problem+json (not FastAPI's own shape) for validation errors.
schemathesis checks in CI that the API answers exactly what this document says."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.api.errors import Problem, responses

BEARER = "bearerAuth"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first answer for the same key and body for 24 hours; the same "
    "key with another body, or while the first request runs, is 409.",
    "schema": {"type": "string", "maxLength": 255},
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    # FastAPI's own 422 shape is never sent: errors.py renders every validation error.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "A Sway API key"}
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _complete(path, method, operation)
    return document


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs", {}), "Problem": schema}


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    answers = operation.setdefault("responses", {})
    if "422" in answers:
        answers["422"] = responses(422)[422]
    if not _takes_input(method, operation):
        # FastAPI lists 422 wherever there is a path parameter; malformed ids are 404 here.
        answers.pop("422", None)
    if not path.startswith("/v1/"):
        return  # the probes need no key
    operation["security"] = [{BEARER: []}]
    if method == "post":
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)


def _takes_input(method: str, operation: dict[str, Any]) -> bool:
    queried = any(p["in"] in ("query", "header") for p in operation.get("parameters", ()))
    return queried or "requestBody" in operation or method == "post"
