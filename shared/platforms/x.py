"""X API v2: user public metrics, recent posts and post public metrics, with a Bearer token.

Errors are RFC 7807 problems whose `type` URIs name the problem under either api.x.com or
api.twitter.com, so both hosts are recognised. Reads are billed per resource, which is why posts are
read 100 per call, video view counts (an extra media expansion) are not requested, and post authors
(user reads) are expanded only when some post still needs its URL.
"""

import math
import re
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, time, timedelta
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
    InvalidInput,
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

PLATFORM = Platform.x
USER_FIELDS = "public_metrics,created_at,verified"
POST_FIELDS = {"tweet.fields": "public_metrics,created_at,text"}
# The author expansion names each post's author in `includes.users`, so a post read by id gets the
# URL its username makes. Each user an answer includes is billed as a user read, so it is asked for
# only when the caller still lacks some post's details.
AUTHOR_EXPANSION = {"expansions": "author_id", "user.fields": "username"}
PAGE_SIZE = 100
# With exclude=replies the user timeline reaches back 800 posts at most (3,200 without it), and
# pages past that answer empty: 8 pages of 100.
MAX_PAGES = 8
# Limits are counted per 15-minute window; without the reset header, wait one whole window.
RATE_WINDOW_S = 900.0
# A monthly usage cap follows the billing cycle, whose start the API does not tell: check again
# once a day, which costs one rejected request, rather than guess a date weeks away.
UNKNOWN_CAP_END_S = 86_400.0
PROBLEM_TYPE = re.compile(r"^https://api\.(?:x|twitter)\.com/2/problems/([a-z-]+)$")
# The app or token is not allowed to call this at all: a person must fix the credential.
AUTH_PROBLEMS = {"client-forbidden", "unsupported-authentication"}
POST_URL = "https://x.com/{username}/status/{post_id}"
# A post whose author is not known still has a working link.
WEB_URL = "https://x.com/i/web/status/{post_id}"
USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# Replies are found by recent search on the post's conversation (the last 7 days only), which
# only some access tiers include; search pages hold 10 to 100 posts.
REPLY_FIELDS = "created_at,public_metrics,author_id,in_reply_to_user_id,referenced_tweets"
SEARCH_PAGE = (10, 100)
POST_ID = re.compile(r"^[0-9]{1,19}$")


def problem_slug(problem: Any) -> str | None:
    """'resource-not-found' from a problem whose type is .../2/problems/resource-not-found."""
    uri = problem.get("type") if isinstance(problem, dict) else None
    match = PROBLEM_TYPE.match(uri) if isinstance(uri, str) else None
    return match.group(1) if match else None


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stats(metrics: dict[str, Any]) -> PostStats:
    retweets = optional_int(metrics.get("retweet_count"))
    quotes = optional_int(metrics.get("quote_count"))  # optional in the spec
    return PostStats(
        impressions=optional_int(metrics.get("impression_count")),
        likes=optional_int(metrics.get("like_count")),
        comments=optional_int(metrics.get("reply_count")),
        shares=None if retweets is None else retweets + (quotes or 0),
        saves=optional_int(metrics.get("bookmark_count")),
    )


def _post_info(post: dict[str, Any], username: str | None) -> PostInfo:
    url = POST_URL if username else WEB_URL
    return PostInfo(
        external_id=str(post["id"]),
        url=url.format(username=username, post_id=post["id"]),
        kind="tweet",
        caption=post.get("text"),
        published_at=datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")),
        stats=_stats(post["public_metrics"]),
    )


def _account_stats(user: dict[str, Any]) -> AccountStats:
    metrics = user["public_metrics"]
    return AccountStats(
        external_id=str(user["id"]),
        handle=user.get("username"),
        display_name=user.get("name"),
        followers=optional_int(metrics.get("followers_count")),
        following=optional_int(metrics.get("following_count")),
        posts_count=optional_int(metrics.get("tweet_count")),
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _usernames(body: dict[str, Any]) -> dict[str, str]:
    """Author id -> username from the author expansion."""
    users = (body.get("includes") or {}).get("users") or []
    return {str(user["id"]): user["username"] for user in users}


def _username(handle: str) -> str:
    """The handle as an X username; anything else could never name an account."""
    username = handle.lstrip("@")
    if not USERNAME.match(username):
        raise InvalidInput(
            f"x: {handle!r} cannot be an X username (1 to 15 letters, digits or underscores)",
            platform=PLATFORM,
        )
    return username


def _first_error(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors")
    return errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}


class XAdapter:
    platform = PLATFORM
    max_batch = 100

    def quota_cost(self, posts: int, details: int = 0) -> int:
        # One call carries 100 ids, details included (X bills the posts it returns, not calls).
        return math.ceil(posts / self.max_batch)

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._base = settings.base_url("x")
        self._now = clock or (lambda: datetime.now(UTC))

    async def fetch_account(self, account: AccountRef, creds: Credentials | None) -> AccountStats:
        if account.external_id:
            path = f"/users/{quote(account.external_id, safe='')}"
        else:
            path = f"/users/by/username/{_username(account.handle)}"
        body = await self._get(path, {"user.fields": USER_FIELDS}, creds)
        if body.get("data") is None:
            # Unknown and suspended users answer 200 with only an errors list.
            detail = _first_error(body).get("detail", "no data")
            who = account.external_id or account.handle
            raise NotFound(f"x: user {who}: {detail}", platform=PLATFORM)
        with reading("user", platform=PLATFORM):
            return _account_stats(body["data"])

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]:
        """Original posts newest first, down to `since`; without `since`, only the newest page."""
        user_id, username = account.external_id, account.handle.lstrip("@")
        if not user_id:
            found = await self.fetch_account(account, creds)
            user_id, username = found.external_id, found.handle or username
        params = {
            "max_results": PAGE_SIZE,
            "tweet.fields": "created_at,public_metrics",
            "exclude": "retweets,replies",
        }
        if since is not None:
            params["start_time"] = rfc3339(since)
        posts: list[PostInfo] = []
        for _ in range(MAX_PAGES):
            body = await self._get(f"/users/{quote(user_id, safe='')}/tweets", params, creds)
            if "data" not in body and problem_slug(_first_error(body)) == "resource-not-found":
                raise NotFound(f"x: user {user_id} not found", platform=PLATFORM)
            with reading("user posts", platform=PLATFORM):
                posts += [_post_info(post, username) for post in body.get("data", [])]
                next_token = body.get("meta", {}).get("next_token")
            if not next_token or since is None:
                break
            params["pagination_token"] = next_token
        return posts

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        if len(post_ids) > self.max_batch:
            raise ValueError(f"x: at most {self.max_batch} ids per call, got {len(post_ids)}")
        if not post_ids:
            return {}
        params = {"ids": ",".join(post_ids), **POST_FIELDS}
        if any(post_id in details_for for post_id in post_ids):
            params |= AUTHOR_EXPANSION
        body = await self._get("/tweets", params, creds)
        with reading("posts", platform=PLATFORM):
            # Deleted (resource-not-found) and protected (not authorized) posts come back in
            # `errors` instead of `data`; leaving them out of the result marks them gone.
            authors = _usernames(body)
            return {
                str(post["id"]): stats_with_details(
                    _post_info(post, authors.get(str(post.get("author_id"))))
                )
                for post in body.get("data", [])
            }

    def comments_cost(self, limit: int) -> int:
        return math.ceil(limit / SEARCH_PAGE[1])

    async def list_comments(
        self, post_id: str, creds: Credentials | None, *, limit: int
    ) -> CommentPage:
        """Replies in the post's conversation, newest first (CommentSource), from recent search:
        replies older than 7 days are not found."""
        if not POST_ID.match(post_id):
            raise InvalidInput(f"x: {post_id!r} is not a post id", platform=PLATFORM)
        params: dict[str, Any] = {
            "query": f"conversation_id:{post_id}",
            "tweet.fields": REPLY_FIELDS,
        }
        replies: list[PlatformComment] = []
        for _ in range(self.comments_cost(limit)):
            low, high = SEARCH_PAGE
            params["max_results"] = max(low, min(high, limit - len(replies)))
            body = await self._search(params, creds)
            with reading("conversation search", platform=PLATFORM):
                found = [_reply(post) for post in body.get("data", [])]
                next_token = body.get("meta", {}).get("next_token")
            # The conversation's first post is the tracked post itself.
            replies += [reply for reply in found if reply.external_id != post_id]
            if not next_token or len(replies) >= limit:
                break
            params["next_token"] = next_token
        return CommentPage(comments=replies[:limit])

    async def _search(self, params: dict[str, Any], creds: Credentials | None) -> dict[str, Any]:
        if not (creds and creds.access_token):
            raise AuthExpired("x: a Bearer token is required", platform=PLATFORM)
        response = await send(
            self._client,
            "GET",
            self._base + "/tweets/search/recent",
            platform=PLATFORM,
            params=params,
            headers={"Authorization": f"Bearer {creds.access_token}"},
        )
        if response.status_code == 403:
            # client-not-enrolled: the app's access tier does not include search. Sway's (the
            # operator's) choice of tier, not the account's credential, so no reconnect helps.
            problem = _problem(response)
            raise NotConfigured(
                "x: the X API access tier of this app does not include recent search, which "
                f"reading replies needs ({problem.get('reason') or problem.get('title')}: "
                f"{problem.get('detail')})",
                platform=PLATFORM,
            )
        self._raise_for_error(response)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    async def _get(
        self, path: str, params: dict[str, Any], creds: Credentials | None
    ) -> dict[str, Any]:
        if not (creds and creds.access_token):
            raise AuthExpired("x: a Bearer token is required", platform=PLATFORM)
        response = await send(
            self._client,
            "GET",
            self._base + path,
            platform=PLATFORM,
            params=params,
            headers={"Authorization": f"Bearer {creds.access_token}"},
        )
        self._raise_for_error(response)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    def _raise_for_error(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        raise_for_server_error(response, platform=PLATFORM)
        problem = _problem(response)
        slug = problem_slug(problem)
        detail = f"x: HTTP {status} {problem.get('title')}: {problem.get('detail')}"
        if slug == "usage-capped":
            wait = self._until_cap_resets(problem.get("period"))
            raise RateLimited(detail, retry_after_s=wait, platform=PLATFORM)
        if status == 429:
            wait = self._until_window_resets(response)
            raise RateLimited(detail, retry_after_s=wait, platform=PLATFORM)
        if status == 401 or slug in AUTH_PROBLEMS:
            raise AuthExpired(detail, platform=PLATFORM)
        raise AdapterError(detail, platform=PLATFORM)

    def _until_window_resets(self, response: httpx.Response) -> float:
        try:
            reset = float(response.headers["x-rate-limit-reset"])  # epoch seconds
        except (KeyError, ValueError):
            return RATE_WINDOW_S
        # Never 0: a reset already past on a skewed clock must not turn into a hot retry loop.
        return max(1.0, seconds_until(reset, now=self._now()))

    def _until_cap_resets(self, period: Any) -> float:
        if period != "Daily":
            return UNKNOWN_CAP_END_S
        # Daily caps are assumed to roll over at midnight UTC, like X's 24-hour billing window.
        now = self._now().astimezone(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
        return (midnight - now).total_seconds()


def _reply(post: dict[str, Any]) -> PlatformComment:
    parent = next(
        (ref["id"] for ref in post.get("referenced_tweets", []) if ref.get("type") == "replied_to"),
        None,
    )
    return PlatformComment(
        external_id=str(post["id"]),
        text=post["text"],
        published_at=datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")),
        like_count=optional_int((post.get("public_metrics") or {}).get("like_count")),
        author_id=str(post["author_id"]) if post.get("author_id") else None,
        parent_external_id=None if parent is None else str(parent),
    )
