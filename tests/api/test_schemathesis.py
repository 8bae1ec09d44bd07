"""The OpenAPI document is the truth: schemathesis generates requests from it (valid and
invalid), sends them to a running API as an organization's admin, and checks every answer
against the document: status codes, content types, schemas, headers, Allow on 405, auth.

Every check runs except `use_after_free`, which expects a resource to be gone (404) after
its DELETE: DELETE archives creators and campaigns, which stay readable by id by design.

Its own database (fresh, migrated) and API process, so nothing it writes reaches other tests.
Deterministic generation keeps CI stable."""

import ast
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis

from shared import migrate
from shared.embedded import free_port
from tests.conftest import TEST_DATABASE
from tests.pg import fresh_database

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
# Cases per operation in the fuzzing phase: 72 operations at 60 outran the run's ten-minute
# budget on a 2-core machine; the examples, coverage and stateful phases still run in full. Not
# fewer: at 15, the generator's filter_too_much health check stops the fuzzing of the routes
# whose id is a UUID (it draws too few valid ones in so few cases).
MAX_EXAMPLES = int(os.environ.get("SWAY_SCHEMATHESIS_MAX_EXAMPLES", "25"))
# A developer's shortcut: only the paths matching this regex (CI runs them all).
ONLY_PATHS = os.environ.get("SWAY_SCHEMATHESIS_PATHS")


def _one_parse_at_a_time(parse):
    """Python 3.11.7's ast.parse is not safe across threads: two at once can fail with
    "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905, fixed in later
    releases). Hypothesis parses its strategies' lambdas to describe them, in every schemathesis
    worker thread, so this module (which schemathesis loads as its hooks) serializes the calls."""
    lock = threading.Lock()

    def locked(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    return locked


if not getattr(ast.parse, "serialized", False):
    ast.parse = _one_parse_at_a_time(ast.parse)
    ast.parse.serialized = True


@schemathesis.hook
def before_call(context, case, kwargs):
    # A cursor is opaque and minted by the server: made-up ones are rightly 422, which the
    # document cannot express. Real cursors are covered by the pagination tests.
    if case.query:
        case.query.pop("cursor", None)
    # An Idempotency-Key names one intended request, but the generator reuses its few values
    # across unrelated ones: replaying the creation of a subscription deleted since (DELETE
    # removes it) answers an id that is rightly 404. Each request's key is made its own.
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if case.path == "/v1/subscriptions" and isinstance(key, str) and len(key) <= 200:
        case.headers["Idempotency-Key"] = f"{key}-{case.id}"


# Rules the document cannot state (they span fields or depend on stored data) are given to the
# generator instead of waived: a generated request is made to keep them, and schemathesis then
# re-checks it against the document, so a request the hook leaves invalid still counts as negative.
# Nothing is filtered out of the results.
ACCOUNT_HANDLE = "schemathesis_x"  # an X account of the organization, made by the fixture


@schemathesis.hook
def map_case(context, case):
    if case.operation.path == "/v1/campaigns/{id}/kpis/timeseries" and case.query:
        case.query = _timeseries_rules(dict(case.query))
    if not isinstance(case.body, dict):
        return case
    path, method = case.operation.path, case.operation.method.upper()
    if path in ("/v1/campaigns", "/v1/campaigns/{id}"):
        case.body = _campaign_rules(case.body, patch=method == "PATCH")
    elif path == "/v1/organization/exchange-rates":
        case.body = _exchange_rate_rules(case.body)
    elif path == "/v1/organization/benchmarks":
        case.body = _benchmark_rules(case.body)
    elif path == "/v1/organization" and isinstance(case.body.get("tiers"), dict):
        case.body = {**case.body, "tiers": _tier_rules(case.body["tiers"])}
    elif path in ("/v1/subscriptions", "/v1/subscriptions/{id}"):
        case.body = _subscription_rules(case.body)
    elif path == "/v1/campaigns/{id}/posts" and isinstance(case.body.get("url"), str):
        # Whether a URL is one Sway recognizes, naming an account of the organization, depends on
        # the parser and the data: post URLs of the organization's own account stand in for it.
        case.body = {**case.body, "url": _post_url(case.body["url"])}
    return case


def _subscription_rules(body: dict) -> dict:
    """A bracketed host is an IPv6 address, which no regex in the document pins down: a
    generated one that is not an address becomes one."""
    url = body.get("url")
    if isinstance(url, str) and "[" in url:
        try:
            _ = urlsplit(url).port  # raises for a bracketed host that is not an address
        except ValueError:
            return {**body, "url": "http://[2001:db8::1]/hooks"}
    return body


def _campaign_rules(body: dict, *, patch: bool) -> dict:
    """A campaign ends on or after it starts (a PATCH names both dates, since the stored ones
    are unknown to the generator), and targets each KPI once."""
    body = dict(body)
    starts, ends = body.get("starts_on"), body.get("ends_on")
    if isinstance(starts, str) and isinstance(ends, str) and ends < starts:
        body["starts_on"], body["ends_on"] = ends, starts
    elif patch and isinstance(ends, str) and "starts_on" not in body:
        body["starts_on"] = ends
    elif patch and isinstance(starts, str) and "ends_on" not in body:
        body["ends_on"] = starts
    goals = body.get("goals")
    if isinstance(goals, list):
        seen, kept = set(), []
        for goal in goals:
            metric = goal.get("metric") if isinstance(goal, dict) else None
            if not isinstance(metric, str):
                kept.append(goal)
            elif metric not in seen:
                kept.append(goal)
                seen.add(metric)
        body["goals"] = kept
    return body


def _timeseries_rules(query: dict) -> dict:
    """A timeseries spans at most 1,000 buckets between 1970 and 2100, `from` before `to`. A
    malformed value is left as it is, for the negative checks."""
    from datetime import UTC, datetime, timedelta

    from shared.domain.kpi.schemas import RFC3339

    if query.get("interval", "day") not in ("hour", "day"):
        return query
    bounds = {}
    for name in ("from", "to"):
        value = query.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not RFC3339.match(value):
            return query
        try:
            bounds[name] = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        except ValueError:
            return query
    step = timedelta(hours=1) if query.get("interval") == "hour" else timedelta(days=1)
    low, high = datetime(1971, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)
    to = min(max(bounds.get("to", datetime.now(UTC)), low), high)
    since = bounds.get("from", to - 30 * step)
    if not to - 900 * step < since < to:
        since = to - 30 * step
    return {**query, "from": since.isoformat(), "to": to.isoformat()}


def _benchmark_rules(body: dict) -> dict:
    """A benchmark list names each (platform, tier) pair once."""
    rows = body.get("benchmarks")
    if not isinstance(rows, list):
        return body
    seen, kept = set(), []
    for row in rows:
        pair = (row.get("platform"), row.get("tier")) if isinstance(row, dict) else None
        if pair is None or not all(isinstance(part, str) for part in pair):
            kept.append(row)
        elif pair not in seen:
            kept.append(row)
            seen.add(pair)
    return {**body, "benchmarks": kept}


def _exchange_rate_rules(body: dict) -> dict:
    """A table lists each currency once (ignoring case), never its base, and no rate of 0."""
    rates, base = body.get("rates"), body.get("base")
    if not isinstance(rates, dict):
        return body
    kept = {}
    for code, rate in rates.items():
        upper = code.upper() if isinstance(code, str) else code
        if upper in kept or (isinstance(base, str) and upper == base.upper()):
            continue
        number = isinstance(rate, int | float) and not isinstance(rate, bool)
        zero = (number and rate == 0) or (isinstance(rate, str) and rate.strip("0.") == "")
        kept[upper] = "1" if zero else rate
    return {**body, "rates": kept}


def _tier_rules(tiers: dict) -> dict:
    """Custom tier boundaries name each tier once, with follower counts rising with the tier."""
    from shared.domain.organization.schemas import TIER_ORDER

    boundaries = tiers.get("boundaries")
    if not isinstance(boundaries, list) or not all(
        isinstance(b, dict)
        and b.get("tier") in TIER_ORDER
        and isinstance(b.get("min_followers"), int | float)
        and not isinstance(b.get("min_followers"), bool)
        for b in boundaries
    ):
        return tiers
    unique = {b["tier"]: b for b in boundaries}
    ordered = sorted(unique.values(), key=lambda b: TIER_ORDER.index(b["tier"]))
    counts = sorted(b["min_followers"] for b in ordered)
    # Strictly rising: each tier starts above the one before it.
    rising = [
        {**b, "min_followers": n + i} for i, (b, n) in enumerate(zip(ordered, counts, strict=True))
    ]
    return {**tiers, "boundaries": rising}


def _post_url(generated: str) -> str:
    digits = int.from_bytes(hashlib.sha256(generated.encode()).digest()[:8], "big")
    return f"https://x.com/{ACCOUNT_HANDLE}/status/{digits}"


@pytest.fixture(scope="module")
def api(database_url: str, redis_url: str, tmp_path_factory):
    with fresh_database(database_url, f"{TEST_DATABASE}_schemathesis") as url:
        migrate.upgrade(url)
        yield from _served(url, redis_url, tmp_path_factory)


def _served(url: str, redis_url: str, tmp_path_factory):
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
        _seed_account(base, key)
        yield base, key, env, log_dir
    finally:
        server.terminate()
        server.wait(10)


def _seed_account(base: str, key: str) -> None:
    """The X account whose post URLs the generated requests use."""
    headers = {"Authorization": f"Bearer {key}"}
    creator = httpx.post(f"{base}/v1/creators", json={"name": "Schemathesis"}, headers=headers)
    creator.raise_for_status()
    account = httpx.post(
        f"{base}/v1/creators/{creator.json()['id']}/accounts",
        json={"platform": "x", "handle": ACCOUNT_HANDLE},
        headers=headers,
    )
    account.raise_for_status()


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
        # The generator's own speed check (a slow-to-build body on a busy machine) is not a
        # finding about the API: every case it builds is still run and checked.
        "--suppress-health-check=too_slow",
    ]
    if ONLY_PATHS:
        command.append(f"--include-path-regex={ONLY_PATHS}")
    # Run elsewhere: schemathesis keeps a cache of past crashes in its working directory, and
    # replaying those would make one run depend on the last.
    hooks = {"SCHEMATHESIS_HOOKS": "tests.api.test_schemathesis", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        command, env=env | hooks, cwd=work_dir, capture_output=True, text=True, timeout=900
    )
    print(run.stdout[-20000:])  # pytest shows it on failure: the failures and their curl lines
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
