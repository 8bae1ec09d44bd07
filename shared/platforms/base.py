"""The contract every platform adapter keeps (see DESIGN.md, "Platform adapters").

Adapters translate one platform's HTTP API into the common model below. They never touch the
database and never sleep: throttles and expired tokens are raised as typed errors and the worker
decides what they mean.
"""

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Platform(StrEnum):
    instagram = "instagram"
    facebook = "facebook"
    youtube = "youtube"
    tiktok = "tiktok"
    x = "x"
    linkedin = "linkedin"
    pinterest = "pinterest"
    demo = "demo"


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which account to read: the platform's stable id when known, else the handle."""

    platform: Platform
    handle: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a platform call authenticates with. `extra` carries platform specifics
    (e.g. a LinkedIn organization URN or a Pinterest ad account id). A connection made through
    OAuth also keeps its `refresh_token` and `subject`, the platform's id of the user who granted
    it."""

    access_token: str | None = None
    api_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    refresh_token: str | None = None
    subject: str | None = None

    @property
    def key(self) -> str:
        """A stable, non-secret name for budgeting this credential (never the token itself). A
        grant is named by its subject, so its budget survives the refreshes that replace its
        access token."""
        material = self.access_token or self.api_key or "anonymous"
        if self.subject:
            material = f"subject:{self.subject}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    @property
    def params_key(self) -> str | None:
        """A non-secret name for the request parameters in `extra` (a LinkedIn organization, a
        Pinterest ad account): posts whose parameters differ never share a batch, even when one
        token (and so one budget) serves them all."""
        if not self.extra:
            return None
        material = json.dumps(self.extra, sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class AccountStats:
    external_id: str
    handle: str | None
    display_name: str | None
    followers: int | None
    following: int | None
    posts_count: int | None


@dataclass(frozen=True, slots=True)
class PostDetails:
    """What a stats call also says about the post itself, where the platform says it: a post
    tracked by id learns its age (which drives its cadence), kind, caption and URL from these."""

    url: str | None = None
    kind: str | None = None  # post|reel|story|video|short|tweet|pin|article|live
    caption: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PostStats:
    """Counts as the platform reported them: None where it reports nothing, never a made-up 0."""

    views: int | None = None
    impressions: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    watch_time_seconds: float | None = None
    details: PostDetails | None = None


@dataclass(frozen=True, slots=True)
class PostRefused:
    """The platform refused this one post for a reason of the post's own (not the token's fault,
    e.g. a Pin on a board the token may not read): the post is marked `error` with `reason`, and
    the rest of its batch carries on."""

    reason: str


@dataclass(frozen=True, slots=True)
class PostInfo:
    external_id: str
    url: str | None
    kind: str | None  # post|reel|story|video|short|tweet|pin|article|live
    caption: str | None
    published_at: datetime | None
    stats: PostStats | None = None


class AdapterError(Exception):
    """Base of every error an adapter raises; `platform` says whose API misbehaved."""

    def __init__(self, message: str, *, platform: str | None = None) -> None:
        super().__init__(message)
        self.platform = platform


class RateLimited(AdapterError):
    def __init__(self, message: str, *, retry_after_s: float, platform: str | None = None) -> None:
        super().__init__(message, platform=platform)
        self.retry_after_s = retry_after_s


class AuthExpired(AdapterError):
    """The token is expired, revoked or lacks permission: a person must reconnect it."""


class NotConfigured(AdapterError):
    """Sway's own configuration is missing or refused (an app-level API key in settings): an
    operator must fix a setting; no user's credential is at fault. Work resumes by itself once the
    setting is fixed."""


class InvalidInput(AdapterError):
    """The stored input cannot make a valid request (a handle with a control character, say): it
    can never work until a person corrects it, so retrying is pointless."""


class NotFound(AdapterError):
    """The account itself does not exist (a missing post is simply absent from the result)."""


class PlatformUnavailable(AdapterError):
    """5xx, timeouts, connection errors: transient, worth retrying later."""


class MalformedResponse(AdapterError):
    """The body could not be understood (not JSON, or not the documented shape)."""


@runtime_checkable
class PlatformAdapter(Protocol):
    platform: Platform
    max_batch: int

    async def fetch_account(
        self, account: AccountRef, creds: Credentials | None
    ) -> AccountStats: ...

    async def list_posts(
        self, account: AccountRef, creds: Credentials | None, *, since: datetime | None
    ) -> list[PostInfo]: ...

    async def fetch_post_stats(
        self,
        post_ids: Sequence[str],
        creds: Credentials | None,
        *,
        details_for: Collection[str] = frozenset(),
    ) -> dict[str, PostStats | PostRefused]:
        """A post id missing from the result is gone (deleted, private); the caller marks it.
        A PostRefused value is that one post's problem. `details_for` names the ids whose
        PostDetails are still unknown: adapters whose stats call does not carry them anyway make
        one cheap lookup for those ids only."""
        ...

    def quota_cost(self, posts: int, details: int = 0) -> int:
        """Quota units one fetch_post_stats call spends on `posts` ids, `details` of them also
        needing PostDetails: what the budget is charged before the call."""
        ...
