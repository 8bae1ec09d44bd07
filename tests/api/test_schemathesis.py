"""The OpenAPI document is the truth: schemathesis generates requests from it (valid and
invalid), sends them to a running API as an organization's admin, and checks every answer
against the document: status codes, content types, schemas, headers, Allow on 405, auth.

Every check runs except `use_after_free`, which expects a resource to be gone (404) after
its DELETE: DELETE archives creators and campaigns, which stay readable by id by design.

Its own database (fresh, migrated) and API process, so nothing it writes reaches other tests.
Deterministic generation keeps CI stable."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import schemathesis

from shared import migrate
from shared.embedded import free_port
from tests.conftest import TEST_DATABASE
from tests.pg import on_server, with_database

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("SWAY_SCHEMATHESIS_MAX_EXAMPLES", "60"))


@schemathesis.hook
def before_call(context, case, kwargs):
    # A cursor is opaque and minted by the server: made-up ones are rightly 422, which the
    # document cannot express. Real cursors are covered by the pagination tests.
    if case.query:
        case.query.pop("cursor", None)


# What the document cannot say, waived by name (ST202, a schema-valid request answered 422), and
# nothing else: rules across fields or items of one body (an end date before the start date, one
# KPI targeted twice), and post URLs, whose 422 depends on whether the URL is one Sway recognizes
# and names an account of the organization.
CROSS_FIELD_RULES = (
    "ends_on is before starts_on",
    "appears more than once",
    "must rise with the tier",
)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if type(failure).__name__ != "RejectedPositiveData" or response.status_code != 422:
        return True
    errors = response.json().get("errors", [])
    if errors and all(any(rule in e["msg"] for rule in CROSS_FIELD_RULES) for e in errors):
        return False
    posts = case.operation.path == "/v1/campaigns/{id}/posts"
    return not (posts and errors and all(e["loc"] == ["body", "url"] for e in errors))


@pytest.fixture(scope="module")
def api(database_url: str, redis_url: str, tmp_path_factory):
    name = f"{TEST_DATABASE}_schemathesis"
    asyncio.run(
        on_server(
            database_url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        )
    )
    url = with_database(database_url, name)
    migrate.upgrade(url)
    env = os.environ | {
        "SWAY_DATABASE_URL": url,
        "SWAY_REDIS_URL": redis_url,
        "SWAY_API_RATE_LIMIT_PER_MINUTE": "1000000",
        # Its invalid-auth checks fail on purpose, once per operation, from one address.
        "SWAY_API_FAILED_AUTH_LIMIT_PER_MINUTE": "1000000",
        "SWAY_ENV": "test",
    }
    created = subprocess.run(
        [BIN / "sway", "org", "create", "Schemathesis", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = json.loads(created.stdout)["api_key"]
    port = free_port()
    log_dir = tmp_path_factory.mktemp("schemathesis")
    log = (log_dir / "api.log").open("w")
    server = subprocess.Popen(
        [BIN / "sway", "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        yield base, key, env, log_dir
    finally:
        server.terminate()
        server.wait(10)
        asyncio.run(on_server(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _wait_ready(base: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not become ready")


def test_api_answers_what_its_openapi_document_says(api):
    base, key, env, work_dir = api
    command = [
        BIN / "schemathesis",
        "run",
        f"{base}/openapi.json",
        "--checks=all",
        "--exclude-checks=use_after_free",
        f"--header=Authorization: Bearer {key}",
        f"--max-examples={MAX_EXAMPLES}",
        "--generation-deterministic",
        "--workers=2",
        "--no-color",
    ]
    # Run elsewhere: schemathesis keeps a cache of past crashes in its working directory, and
    # replaying those would make one run depend on the last.
    hooks = {"SCHEMATHESIS_HOOKS": "tests.api.test_schemathesis", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        command, env=env | hooks, cwd=work_dir, capture_output=True, text=True, timeout=300
    )
    print(run.stdout[-20000:])  # pytest shows it on failure: the failures and their curl lines
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
