"""LinkedIn organization pages through the versioned Community Management REST API.

Accounts are organizations (`urn:li:organization:N`). A LinkedIn credential carries the
organization URN in `Credentials.extra["organization_urn"]`: the share-statistics finder is scoped
to one organization and the post URNs alone do not name it.

Rest.li wants URNs percent-encoded inside `List(...)` while the parentheses and commas stay literal;
httpx would encode those too, so query strings are built by hand and passed in the URL.

Share statistics carry no dates or captions: posts whose details the caller lacks are looked up in
the Posts API, 20 per call.
"""

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AccountStats,
    AdapterError,
    AuthExpired,
    Credentials,
    NotConfigured,
    NotFound,
    Platform,
    PostInfo,
    PostRefused,
    PostStats,
    RateLimited,
)
from shared.platforms.comments import CommentPage, PlatformComment
from shared.platforms.details import stats_with_details
from shared.platforms.http import (
    expect,
    optional_int,
    parse_json,
    raise_for_server_error,
    reading,
    seconds_until,
    send,
)

PLATFORM = Platform.linkedin
ORG_PREFIX = "urn:li:organization:"
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
PAGE_SIZE = 50
# A guard against a paging bug looping forever; 2,000 posts is far beyond any sync window.
MAX_PAGES = 40
# The share-statistics finder takes shares and ugcPosts in separate List(...) parameters.
POST_KINDS = {"urn:li:share:": "shares", "urn:li:ugcPost:": "ugcPosts"}
# How LinkedIn words a 403 when the token or the member's page role lacks a permission; any other
# 403 (e.g. "Unpermitted fields present in PARAMETER: ... [/shares[0]]") is about the posts asked.
TOKEN_REFUSAL = "Not enough permissions to access"
# Each monthly LinkedIn-Version is served for at least a year, then answers 426.
SUPPORTED_MONTHS = 12
VERSIONS_DOC = "https://learn.microsoft.com/en-us/linkedin/marketing/versioning"
# Comments on a share (socialActions/{urn}/comments, r_organization_social): the largest `count`
# and the order the pages come in are unconfirmed.
COMMENT_PAGE_SIZE = 50


def org_urn(value: str) -> str:
    """Normalize a numeric organization id or its full URN to the URN."""
    value = value.strip()
    if value.isdigit():
        return ORG_PREFIX + value
    if value.startswith(ORG_PREFIX) and value.removeprefix(ORG_PREFIX).isdigit():
        return value
    raise AdapterError(
        f"linkedin: {value!r} is neither an organization id nor an organization URN",
        platform=PLATFORM,
    )


def _encoded(urn: str) -> str:
    return quote(urn, safe="")


def _query(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in pairs)


def _restli_list(urns: Sequence[str]) -> str:
    return "List(" + ",".join(_encoded(urn) for urn in urns) + ")"


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _from_ms(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"epoch milliseconds out of range: {value!r}") from exc


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(response: httpx.Response) -> str:
    body = _error_body(response)
    return (
        f"linkedin: HTTP {response.status_code} {body.get('code') or ''} "
        f"(serviceErrorCode {body.get('serviceErrorCode')}): {body.get('message', '')}"
    )


def _refuses_posts(response: httpx.Response) -> bool:
    """A 403 about the posts asked for, not the token: one refused post fails a whole call."""
    message = str(_error_body(response).get("message", ""))
    return response.status_code == 403 and not message.startswith(TOKEN_REFUSAL)


def _post_info(element: dict[str, Any]) -> PostInfo:
    urn = element["id"]
    expect(
        isinstance(urn, str) and urn.startswith("urn:li:"),
        "post id is not a URN",
        platform=PLATFORM,
    )
    content = element.get("content") or {}
    return PostInfo(
        external_id=urn,
        url=POST_URL.format(urn=urn),
        kind="article" if "article" in content else "post",
        caption=element.get("commentary"),
        published_at=_from_ms(element.get("publishedAt") or element.get("createdAt")),
    )


def _last_change(element: dict[str, Any]) -> datetime | None:
    return _from_ms(
        element.get("lastModifiedAt") or element.get("publishedAt") or element.get("createdAt")
    )


def _has_next(page: dict[str, Any]) -> bool:
    links = (page.get("paging") or {}).get("links")
    # Whether the posts finder always sends `links` is unconfirmed: without it, a full page
    # is the only hint that more may follow.
    if links is None:
        return True
    return any(link.get("rel") == "next" for link in links)


def _share_stats(totals: dict[str, Any]) -> PostStats:
    return PostStats(
        impressions=optional_int(totals.get("impressionCount")),
        reach=optional_int(totals.get("uniqueImpressionsCount")),
        likes=optional_int(totals.get("likeCount")),
        comments=optional_int(totals.get("commentCount")),
        shares=optional_int(totals.get("shareCount")),
        clicks=optional_int(totals.get("clickCount")),
    )


def _stats_by_urn(page: Any, wanted: set[str]) -> dict[str, PostStats]:
    result = {}
    for element in page["elements"]:
        urn = element.get("share") or element.get("ugcPost")
        if urn in wanted:
            result[urn] = _share_stats(element["totalShareStatistics"])
    return result


class LinkedInAdapter:
    platform = PLATFORM
    # The largest URN count per share-statistics call is unconfirmed; 20 is the cautious bet.
    max_batch = 20

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # A statistics call per 20 posts and a Posts lookup per 20 needing details. A refusal of
        # one post in a call makes its posts be asked one by one, which cannot be known up front.
        return math.ceil(posts / self.max_batch) + math.ceil(details / self.max_batch)

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._base = settings.base_url("linkedin")
        self._version = settings.linkedin_version
        self._now = clock or (lambda: datetime.now(UTC))

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        urn = self._account_urn(account)
        url = f"{self._base}/networkSizes/{_encoded(urn)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        body = await self._get(url, creds)
        with reading("networkSizes", platform=PLATFORM):
            expect(
                "firstDegreeSize" in body, "networkSizes without firstDegreeSize", platform=PLATFORM
            )
            followers = optional_int(body["firstDegreeSize"])
        return AccountStats(
            external_id=urn,
            handle=account.handle or None,
            display_name=None,
            followers=followers,
            following=None,
            posts_count=None,
        )

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        author = self._account_urn(account)
        posts: list[PostInfo] = []
        start = 0
        for _ in range(MAX_PAGES):
            page = await self._get(self._posts_url(author, start), creds)
            with reading("posts page", platform=PLATFORM):
                elements = page["elements"]
                infos = [_post_info(element) for element in elements]
                changes = [_last_change(element) for element in elements]
                more = len(elements) >= PAGE_SIZE and _has_next(page)
            posts.extend(p for p in infos if _is_recent(p.published_at, since))
            # Pages come newest-*modified* first, so an old post edited yesterday can precede a
            # newer one: only a post last modified before `since` proves the rest are older.
            if not more or (since and any(c and c < since for c in changes)):
                break
            start += len(elements)
        return posts

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        # An id that is neither a share nor a ugcPost URN cannot exist on LinkedIn: it is gone.
        wanted = [i for i in dict.fromkeys(post_ids) if _post_kind(i)]
        if not wanted:
            return {}
        organization = self._credential_org(creds)
        result: dict[str, PostStats | PostRefused] = {}
        for chunk in _chunks(wanted, self.max_batch):
            result.update(await self._stats(organization, chunk, creds))
        found = [urn for urn in wanted if isinstance(result.get(urn), PostStats)]
        for chunk in _chunks([urn for urn in found if urn in details_for], self.max_batch):
            for urn, info in (await self._posts(chunk, creds)).items():
                if isinstance(stats := result.get(urn), PostStats):
                    result[urn] = stats_with_details(info, stats)
        return result

    def comments_cost(self, limit: int) -> int:
        return math.ceil(limit / COMMENT_PAGE_SIZE)

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """The share's comments (CommentSource), `count` at a time. LinkedIn gives no answer of
        its own for a post whose comments are closed, so `disabled` is never set here."""
        comments: list[PlatformComment] = []
        start = 0
        for _ in range(self.comments_cost(limit)):
            count = min(COMMENT_PAGE_SIZE, limit - len(comments))
            query = _query([("start", str(start)), ("count", str(count))])
            url = f"{self._base}/socialActions/{_encoded(post_id)}/comments?{query}"
            page = await self._get(url, creds)
            with reading("comments page", platform=PLATFORM):
                elements = page["elements"]
                comments += [c for element in elements if (c := _comment(element))]
                more = len(elements) >= count and _has_next(page)
            if not more or len(comments) >= limit:
                break
            start += len(elements)
        return CommentPage(comments=comments[:limit])

    async def _stats(
        self, organization: str, urns: Sequence[str], creds: Credentials | None
    ) -> dict[str, PostStats | PostRefused]:
        response = await self._send(self._stats_url(organization, urns), creds)
        if _refuses_posts(response):
            if len(urns) == 1:
                return {urns[0]: PostRefused(_describe(response))}
            # The refusal does not say which post it is about: ask each one on its own.
            result: dict[str, PostStats | PostRefused] = {}
            for urn in urns:
                result.update(await self._stats(organization, [urn], creds))
            return result
        page = self._body(response)
        with reading("organizationalEntityShareStatistics", platform=PLATFORM):
            return _stats_by_urn(page, set(urns))

    async def _posts(self, urns: Sequence[str], creds: Credentials | None) -> dict[str, PostInfo]:
        """The posts as the Posts API describes them. One URN is a plain GET (a one-item
        BATCH_GET is reported to be refused); a post it will not show keeps its stats and waits
        for its details."""
        if len(urns) == 1:
            url, method = f"{self._base}/posts/{_encoded(urns[0])}", None
        else:
            url, method = f"{self._base}/posts?ids={_restli_list(urns)}", "BATCH_GET"
        response = await self._send(url, creds, restli_method=method)
        if _refuses_posts(response) or response.status_code == 404:
            return {}
        body = self._body(response)
        with reading("posts", platform=PLATFORM):
            # BATCH_GET answers {"results": {urn: post}, "statuses": ..., "errors": ...}.
            elements = [body] if method is None else list((body.get("results") or {}).values())
            infos = [_post_info(element) for element in elements]
        return {info.external_id: info for info in infos}

    def _account_urn(self, account: AccountRef) -> str:
        return org_urn(account.external_id or account.handle)

    def _credential_org(self, creds: Credentials | None) -> str:
        value = creds.extra.get("organization_urn") if creds else None
        if not value:
            # Not a transient fault: the credential must be reconnected with its organization.
            raise AuthExpired(
                "linkedin: the credential has no extra['organization_urn'], which post "
                "statistics need; reconnect the organization page",
                platform=PLATFORM,
            )
        return org_urn(value)

    def _posts_url(self, author: str, start: int) -> str:
        query = _query(
            [
                ("author", _encoded(author)),
                ("q", "author"),
                ("count", str(PAGE_SIZE)),
                ("sortBy", "LAST_MODIFIED"),
                ("start", str(start)),
            ]
        )
        return f"{self._base}/posts?{query}"

    def _stats_url(self, organization: str, urns: Sequence[str]) -> str:
        pairs = [("q", "organizationalEntity"), ("organizationalEntity", _encoded(organization))]
        for prefix, name in POST_KINDS.items():
            matching = [urn for urn in urns if urn.startswith(prefix)]
            if matching:
                pairs.append((name, _restli_list(matching)))
        return f"{self._base}/organizationalEntityShareStatistics?{_query(pairs)}"

    def _headers(self, creds: Credentials | None, restli_method: str | None) -> dict[str, str]:
        if not creds or not creds.access_token:
            raise AuthExpired("linkedin: no access token", platform=PLATFORM)
        headers = {
            "Authorization": f"Bearer {creds.access_token}",
            "LinkedIn-Version": self._version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if restli_method:
            headers["X-RestLi-Method"] = restli_method
        return headers

    async def _send(
        self, url: str, creds: Credentials | None, *, restli_method: str | None = None
    ) -> httpx.Response:
        headers = self._headers(creds, restli_method)
        return await send(self._client, "GET", url, platform=PLATFORM, headers=headers)

    async def _get(self, url: str, creds: Credentials | None) -> dict[str, Any]:
        return self._body(await self._send(url, creds))

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        self._raise_for_error(response)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    def _raise_for_error(self, response: httpx.Response) -> None:
        raise_for_server_error(response, platform=PLATFORM)
        status = response.status_code
        if status < 400:
            return
        message = _describe(response)
        if status == 426 or "VERSION" in str(_error_body(response).get("code") or ""):
            raise NotConfigured(self._version_refused(message), platform=PLATFORM)
        if status == 429:
            raise RateLimited(message, retry_after_s=self._until_reset(), platform=PLATFORM)
        # 401 is an expired or revoked token (65600/65601); a 403 that reaches here ("Not enough
        # permissions to access") means the member lost the page role or the token a scope.
        # Either way a person has to reconnect, retrying won't help.
        if status in (401, 403):
            raise AuthExpired(message, platform=PLATFORM)
        if status == 404:
            raise NotFound(message, platform=PLATFORM)
        raise AdapterError(message, platform=PLATFORM)

    def _version_refused(self, message: str) -> str:
        """LinkedIn answers every call with 426 NONEXISTENT_VERSION ("Requested version 2024..01
        is not active") once the pinned version is sunset, about a year after its release, and
        for a version it never released: only the setting can fix it, so say which and how."""
        now = _month_number(self._now().astimezone(UTC).strftime("%Y%m"))
        age = now - _month_number(self._version)
        if age < 0:
            why = "is later than this month, so LinkedIn has not released it"
        elif age >= SUPPORTED_MONTHS:
            why = "is more than a year old: LinkedIn has sunset it"
        else:
            why = "is not a version LinkedIn serves (it skips some months)"
        example = _month_name(now - 1)
        return (
            f"linkedin: LinkedIn-Version {self._version} (SWAY_LINKEDIN_VERSION) {why}; set "
            "SWAY_LINKEDIN_VERSION to an active version, YYYYMM, one of the monthly releases of "
            f"the last 12 months (e.g. {example}), listed at {VERSIONS_DOC} ({message})"
        )

    def _until_reset(self) -> float:
        # LinkedIn sends no rate-limit headers; its daily limits reset at midnight UTC.
        now = self._now().astimezone(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return seconds_until(midnight.timestamp(), now=now)


def _month_number(yyyymm: str) -> int:
    return int(yyyymm[:4]) * 12 + int(yyyymm[4:6]) - 1


def _month_name(number: int) -> str:
    return f"{number // 12}{number % 12 + 1:02d}"


def _post_kind(post_id: str) -> str | None:
    for prefix, name in POST_KINDS.items():
        if post_id.startswith(prefix) and post_id.removeprefix(prefix):
            return name
    return None


def _is_recent(published_at: datetime | None, since: datetime | None) -> bool:
    return since is None or (published_at is not None and published_at >= since)


def _comment(element: dict[str, Any]) -> PlatformComment | None:
    """One comment; None for one without text (an image alone, or nothing left to read)."""
    text = (element.get("message") or {}).get("text")
    if not text:
        return None
    likes = (element.get("likesSummary") or {}).get("totalLikes")
    published = _from_ms((element.get("created") or {}).get("time"))
    expect(published is not None, "comment without created.time", platform=PLATFORM)
    return PlatformComment(
        # The URN names the comment across posts; the bare `id` only within its post.
        external_id=str(element.get("commentUrn") or element["id"]),
        text=text,
        published_at=published,
        like_count=optional_int(likes),
        author_id=element.get("actor"),
        parent_external_id=element.get("parentComment"),
    )
