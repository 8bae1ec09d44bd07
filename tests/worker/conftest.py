from datetime import UTC, datetime

import pytest

from shared.budget import Budget
from shared.platforms.base import Platform
from shared.platforms.demo import DemoAdapter

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def worker_ctx(settings, sessionmaker, redis):
    """What services.worker.context.startup builds, bound to the test's transaction and Redis."""
    return {
        "settings": settings,
        "sessionmaker": sessionmaker,
        "redis": redis,
        "adapters": {Platform.demo: DemoAdapter(clock=lambda: NOW)},
        "job_try": 1,
        "budget": Budget(redis, settings),
    }
