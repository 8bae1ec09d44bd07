"""YouTube Analytics viewer demographics, replayed from recorded reports."""

from datetime import date

import pytest

from shared.platforms.audience import AudienceBreakdown, AudienceSource
from shared.platforms.base import AccountRef, AuthExpired, Credentials, Platform, RateLimited
from shared.platforms.youtube_analytics import YouTubeAnalytics
from tests.platforms.conftest import replay

pytestmark = pytest.mark.respx(assert_all_called=True, assert_all_mocked=True)

URL = "https://youtubeanalytics.googleapis.com/v2/reports"
ACCOUNT = AccountRef(Platform.youtube, "adabrews", "UC_x5XG1OV2P6uZZ5FSM9Ttw")
CREDS = Credentials(access_token="ya29.test")


@pytest.fixture
def analytics(http, settings) -> YouTubeAnalytics:
    return YouTubeAnalytics(http, settings, today=date(2026, 3, 4))


def by_report(name_for):
    def answer(request):
        return replay("youtube_analytics", name_for[request.url.params["dimensions"]])

    return answer


class TestFetchAudience:
    def test_is_an_audience_source(self, analytics):
        assert isinstance(analytics, AudienceSource)
        assert analytics.audience_cost() == 2

    async def test_age_and_gender_marginals_and_country_shares(self, analytics, respx_mock):
        route = respx_mock.get(URL).mock(
            side_effect=by_report({"ageGroup,gender": "age_gender.json", "country": "country.json"})
        )
        found = await analytics.fetch_audience(ACCOUNT, CREDS)
        first = route.calls[0].request
        assert first.headers["authorization"] == "Bearer ya29.test"
        assert dict(first.url.params) == {
            "ids": "channel==MINE",
            "startDate": "2025-12-01",
            "endDate": "2026-03-01",
            "metrics": "viewerPercentage",
            "dimensions": "ageGroup,gender",
        }
        assert route.calls[1].request.url.params["metrics"] == "views"
        source = "youtube_analytics.viewerPercentage"
        # By hand: each age group's percentages summed over genders, and each gender's over ages.
        assert found == [
            AudienceBreakdown(
                "age", source, {"18-24": 0.25, "25-34": 0.45, "35-44": 0.2, "65+": 0.1}
            ),
            AudienceBreakdown("gender", source, {"female": 0.38, "male": 0.52, "other": 0.1}),
            AudienceBreakdown(
                "country", "youtube_analytics.views", {"US": 0.5, "GB": 0.3, "IN": 0.2}, 10000
            ),
        ]

    async def test_a_channel_without_data_reports_nothing(self, analytics, respx_mock):
        respx_mock.get(URL).mock(
            side_effect=by_report(
                {"ageGroup,gender": "age_gender_empty.json", "country": "country.json"}
            )
        )
        found = await analytics.fetch_audience(ACCOUNT, CREDS)
        assert [b.dimension for b in found] == ["country"]

    async def test_token_without_the_analytics_scope(self, analytics, respx_mock):
        respx_mock.get(URL).mock(
            return_value=replay("youtube_analytics", "insufficient_scope.json")
        )
        with pytest.raises(AuthExpired, match="insufficientPermissions"):
            await analytics.fetch_audience(ACCOUNT, CREDS)

    async def test_throttled(self, analytics, respx_mock):
        respx_mock.get(URL).mock(return_value=replay("youtube_analytics", "rate_limited.json"))
        with pytest.raises(RateLimited):
            await analytics.fetch_audience(ACCOUNT, CREDS)

    async def test_an_api_key_cannot_read_demographics(self, analytics):
        with pytest.raises(AuthExpired, match="yt-analytics.readonly"):
            await analytics.fetch_audience(ACCOUNT, Credentials(api_key="AIza-test"))
