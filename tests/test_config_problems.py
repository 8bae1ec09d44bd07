"""Configuration problems: kept in Redis for every process, logged once per process."""

import json

import pytest

from shared import config_problems


class Recorder:
    def __init__(self) -> None:
        self.errors: list[dict] = []

    def error(self, event: str, **fields) -> None:
        self.errors.append({"event": event, **fields})


@pytest.fixture
def logged(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(config_problems, "log", recorder)
    monkeypatch.setattr(config_problems, "_logged", set())
    return recorder


class TestConfigProblems:
    async def test_report_is_visible_until_cleared(self, redis, logged):
        assert await config_problems.current(redis) == {}
        await config_problems.report(redis, "youtube", "youtube: SWAY_YOUTUBE_API_KEY is not set")
        assert await config_problems.current(redis) == {
            "youtube": "youtube: SWAY_YOUTUBE_API_KEY is not set"
        }
        stored = json.loads(await redis.get("sway:config_problem:youtube"))
        assert stored["message"] == "youtube: SWAY_YOUTUBE_API_KEY is not set"
        assert stored["reported_at"].endswith("+00:00")
        await config_problems.clear(redis, "youtube")
        assert await config_problems.current(redis) == {}

    async def test_report_expires_after_a_day(self, redis, logged):
        await config_problems.report(redis, "youtube", "refused")
        ttl = await redis.ttl("sway:config_problem:youtube")
        assert 24 * 3600 - 5 <= ttl <= 24 * 3600

    async def test_one_error_line_per_problem_per_process(self, redis, logged):
        for _ in range(3):
            await config_problems.report(redis, "youtube", "key refused")
        await config_problems.report(redis, "youtube", "key missing")
        assert [(e["platform"], e["problem"]) for e in logged.errors] == [
            ("youtube", "key refused"),
            ("youtube", "key missing"),
        ]
        # Fixed, then broken again: that is worth a line again.
        await config_problems.clear(redis, "youtube")
        await config_problems.report(redis, "youtube", "key refused")
        assert len(logged.errors) == 3

    async def test_clear_touches_only_its_platform(self, redis, logged):
        await config_problems.report(redis, "youtube", "key refused")
        await config_problems.report(redis, "x", "app token refused")
        await config_problems.clear(redis, "x")
        assert await config_problems.current(redis) == {"youtube": "key refused"}

    async def test_value_not_written_by_report_is_shown_as_is(self, redis, logged):
        await redis.set("sway:config_problem:linkedin", "set by hand")
        assert await config_problems.current(redis) == {"linkedin": "set by hand"}
