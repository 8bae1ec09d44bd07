"""YouTube Analytics API v2: a connected channel's viewer demographics (docs/platforms.md).

`GET /reports?ids=channel==MINE` answers a table, {"columnHeaders": [{name, columnType,
dataType}], "rows": [[...], ...]}. Two reports: `viewerPercentage` by `ageGroup,gender` (the
percentage of the channel's signed-in viewers in each age group and gender, summing to 100 over
the table), and `views` by `country` (shares computed here). Both need the channel owner's OAuth
token with the yt-analytics.readonly scope; an API key cannot read them. Data lags two to three
days, so the window ends three days ago and spans the 90 days before.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms import http
from shared.platforms.audience import AudienceBreakdown, shares_of
from shared.platforms.base import (
    AccountRef,
    AdapterError,
    AuthExpired,
    Credentials,
    PlatformUnavailable,
    RateLimited,
)

PLATFORM = "youtube_analytics"
SOURCE_DEMOGRAPHICS = "youtube_analytics.viewerPercentage"
SOURCE_COUNTRY = "youtube_analytics.views"
WINDOW = timedelta(days=90)
LAG = timedelta(days=3)
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
# "age18-24" → "18-24"; "age65-" (65 and over) → "65+".
AGE_GROUPS = {f"age{r}": r for r in ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64")}
AGE_GROUPS["age65-"] = "65+"
GENDERS = {"female": "female", "male": "male", "user_specified": "other"}
THROTTLE_RETRY_S = 3600.0


class YouTubeAnalytics:
    """The AudienceSource of YouTube channels connected through OAuth."""

    source_platform = PLATFORM

    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, *, today: date | None = None
    ) -> None:
        self._client = client
        self._base = settings.base_url("youtube_analytics")
        self._today = today

    def audience_cost(self) -> int:
        return 2

    async def fetch_audience(
        self, account: AccountRef, creds: Credentials | None
    ) -> list[AudienceBreakdown]:
        if creds is None or not creds.access_token:
            raise AuthExpired(
                "youtube_analytics: viewer demographics need the channel owner's OAuth token "
                "(scope yt-analytics.readonly); an API key cannot read them",
                platform=PLATFORM,
            )
        demographics = await self._report(creds.access_token, "viewerPercentage", "ageGroup,gender")
        countries = await self._report(creds.access_token, "views", "country")
        with http.reading("a YouTube Analytics report", platform=PLATFORM):
            return [*_age_and_gender(demographics), *_countries(countries)]

    async def _report(self, token: str, metrics: str, dimensions: str) -> list[list[Any]]:
        end = (self._today or datetime.now(UTC).date()) - LAG
        params = {
            "ids": "channel==MINE",
            "startDate": (end - WINDOW).isoformat(),
            "endDate": end.isoformat(),
            "metrics": metrics,
            "dimensions": dimensions,
        }
        headers = {"Authorization": f"Bearer {token}"}
        response = await http.send(
            self._client,
            "GET",
            f"{self._base}/reports",
            platform=PLATFORM,
            params=params,
            headers=headers,
        )
        http.raise_for_server_error(response, platform=PLATFORM)
        body = http.parse_json(response, platform=PLATFORM)
        if response.status_code >= 400:
            raise _error(response.status_code, body)
        return _rows(body, [*dimensions.split(","), metrics])


def _rows(body: Any, columns: list[str]) -> list[list[Any]]:
    """The table's rows, checked to have the columns asked for in that order. A channel with no
    data in the window answers no `rows` at all."""
    http.expect(isinstance(body, dict), "a report is not an object", platform=PLATFORM)
    headers = [h.get("name") for h in body.get("columnHeaders", []) if isinstance(h, dict)]
    http.expect(headers == columns, f"columns {headers}, not {columns}", platform=PLATFORM)
    rows = body.get("rows") or []
    http.expect(isinstance(rows, list), "rows is not a list", platform=PLATFORM)
    return rows


def _age_and_gender(rows: list[list[Any]]) -> list[AudienceBreakdown]:
    # The table is the joint distribution; each dimension is its marginal.
    ages: dict[str, float] = defaultdict(float)
    genders: dict[str, float] = defaultdict(float)
    for age_group, gender, percentage in rows:
        ages[AGE_GROUPS.get(age_group, age_group)] += float(percentage)
        genders[GENDERS.get(gender, "other")] += float(percentage)
    found = []
    for dimension, counts in (("age", ages), ("gender", genders)):
        shares, _ = shares_of(counts)
        if shares:
            found.append(AudienceBreakdown(dimension, SOURCE_DEMOGRAPHICS, shares))
    return found


def _countries(rows: list[list[Any]]) -> list[AudienceBreakdown]:
    views = {str(country).upper(): float(count) for country, count in rows if country}
    shares, total = shares_of(views)
    if not shares:
        return []
    return [AudienceBreakdown("country", SOURCE_COUNTRY, shares, int(total))]


def _error(status: int, body: Any) -> AdapterError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    reasons = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    what = f"youtube_analytics: HTTP {status} {sorted(reasons)}: {error.get('message', '')}"
    if reasons & THROTTLE_REASONS or status == 429:
        return RateLimited(what, retry_after_s=THROTTLE_RETRY_S, platform=PLATFORM)
    if status in (401, 403):
        # insufficientPermissions (no yt-analytics.readonly), forbidden, an expired token: only a
        # new connection with the scope can fix it.
        return AuthExpired(what, platform=PLATFORM)
    if status == 503:
        return PlatformUnavailable(what, platform=PLATFORM)
    return AdapterError(what, platform=PLATFORM)
