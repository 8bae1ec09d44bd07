from datetime import UTC, datetime

import httpx
import pytest
from arq.worker import Worker

from services.worker.context import build_adapters
from services.worker.main import WorkerSettings
from shared.budget import Budget
from shared.platforms.base import Platform
from shared.platforms.demo import DemoAdapter

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
async def worker_ctx(settings, sessionmaker, redis):
    """What services.worker.context.startup builds, bound to the test's transaction and Redis.
    Real adapters for every platform (tests replace the one they script); no request leaves the
    machine, because a test that lets one through has no route to answer it."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(_no_network)) as http:
        adapters = build_adapters(http, settings)
        adapters[Platform.demo] = DemoAdapter(clock=lambda: NOW)
        yield {
            "settings": settings,
            "sessionmaker": sessionmaker,
            "redis": redis,
            "adapters": adapters,
            "job_try": 1,
            "budget": Budget(redis, settings),
        }


def _no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"no network in tests: {request.url.host}")


async def run_burst(worker_ctx, redis) -> Worker:
    """Run every queued job, and the jobs they queue, with a real arq worker in burst mode. One
    job at a time: every session here shares the test's single connection."""
    ctx = {k: v for k, v in worker_ctx.items() if k not in ("redis", "job_try")}
    worker = Worker(
        functions=WorkerSettings.functions,
        redis_pool=redis,
        burst=True,
        poll_delay=0,
        ctx=ctx,
        handle_signals=False,
        max_jobs=1,
    )
    ctx["redis"] = redis
    await worker.main()
    return worker
