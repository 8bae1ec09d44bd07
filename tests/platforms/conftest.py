"""Helpers for adapter tests: recorded platform responses replayed with respx at the real URLs."""

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.config import Settings
from shared.platforms.base import PostStats

FIXTURES = Path(__file__).parent.parent / "fixtures" / "platforms"


def fixture_text(platform: str, name: str) -> str:
    return (FIXTURES / platform / name).read_text()


def fixture_json(platform: str, name: str) -> Any:
    return json.loads(fixture_text(platform, name))


@pytest.fixture
def settings() -> Settings:
    # Explicit values so a developer's environment cannot redirect the replayed URLs.
    return Settings(
        _env_file=None,
        env="test",
        youtube_api_key="test-youtube-key",
        instagram_base_url="https://graph.facebook.com/v25.0",
        facebook_base_url="https://graph.facebook.com/v25.0",
        youtube_base_url="https://www.googleapis.com/youtube/v3",
        tiktok_base_url="https://open.tiktokapis.com/v2",
        x_base_url="https://api.x.com/2",
        linkedin_base_url="https://api.linkedin.com/rest",
        pinterest_base_url="https://api.pinterest.com/v5",
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def replay(platform: str, name: str) -> httpx.Response:
    """A recorded response: a body alone (HTTP 200), or {"status", "headers", "body"} where the
    status and headers matter; a string body is sent as raw text."""
    data = fixture_json(platform, name)
    if not (isinstance(data, dict) and set(data) == {"status", "headers", "body"}):
        return httpx.Response(200, json=data)
    body = data["body"]
    content = {"text": body} if isinstance(body, str) else {"json": body}
    return httpx.Response(data["status"], headers=data["headers"], **content)


def counts(stats: PostStats) -> PostStats:
    """The counts alone, to assert them apart from the post's details."""
    return replace(stats, details=None)
