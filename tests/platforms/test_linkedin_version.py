"""A LinkedIn-Version LinkedIn no longer (or never) serves is an operator's setting to fix:
NotConfigured naming SWAY_LINKEDIN_VERSION and what to set it to, on every call."""

from datetime import UTC, datetime

import httpx
import pytest
import respx

from shared.platforms.base import AccountRef, Credentials, NotConfigured, Platform
from shared.platforms.linkedin import LinkedInAdapter
from tests.platforms.conftest import fixture_json

BASE = "https://api.linkedin.com/rest"
ORG = "urn:li:organization:2414183"
CREDS = Credentials(access_token="AQXdSP_W41_1K7dGZ3kE5j2bG8vVg", extra={"organization_urn": ORG})
ACCOUNT = AccountRef(Platform.linkedin, "acme-coffee", external_id="2414183")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SUNSET = httpx.Response(426, json=fixture_json("linkedin", "error_426_nonexistent_version.json"))


def adapter(http, settings, version: str) -> LinkedInAdapter:
    pinned = settings.model_copy(update={"linkedin_version": version})
    return LinkedInAdapter(http, pinned, clock=lambda: NOW)


class TestVersionRefused:
    @pytest.mark.parametrize(
        ("version", "why"),
        [
            ("202410", "is more than a year old: LinkedIn has sunset it"),
            ("202701", "is later than this month, so LinkedIn has not released it"),
            ("202606", "is not a version LinkedIn serves (it skips some months)"),
        ],
        ids=["sunset", "unreleased", "not-served"],
    )
    @respx.mock
    async def test_account_sync(self, http, settings, version, why):
        route = respx.get(url__startswith=f"{BASE}/networkSizes/").mock(return_value=SUNSET)
        with pytest.raises(NotConfigured) as refused:
            await adapter(http, settings, version).fetch_account(ACCOUNT, CREDS)
        message = str(refused.value)
        assert message.startswith(
            f"linkedin: LinkedIn-Version {version} (SWAY_LINKEDIN_VERSION) {why}; "
            "set SWAY_LINKEDIN_VERSION to an active version, YYYYMM, one of the monthly releases "
            "of the last 12 months (e.g. 202611), listed at "
            "https://learn.microsoft.com/en-us/linkedin/marketing/versioning"
        )
        assert "NONEXISTENT_VERSION" in message and "Requested version 20241001" in message
        assert route.calls.last.request.headers["linkedin-version"] == version
        assert refused.value.platform == Platform.linkedin

    @respx.mock
    async def test_post_statistics(self, http, settings):
        respx.get(url__startswith=f"{BASE}/organizationalEntityShareStatistics").mock(
            return_value=SUNSET
        )
        with pytest.raises(NotConfigured, match="SWAY_LINKEDIN_VERSION"):
            await adapter(http, settings, "202410").fetch_post_stats(
                ["urn:li:share:7212345678901234567"], CREDS
            )

    @respx.mock
    async def test_post_listing(self, http, settings):
        respx.get(url__startswith=f"{BASE}/posts").mock(return_value=SUNSET)
        with pytest.raises(NotConfigured, match="has sunset it"):
            await adapter(http, settings, "202410").list_posts(ACCOUNT, CREDS, since=None)
