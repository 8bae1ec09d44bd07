"""Each event type's `data`, built here and nowhere else, so what a receiver gets is stated
once (docs/events.md shows a sample of each). Pure: plain JSON values from the rows given."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

# The headline totals a `campaign.kpis_updated` carries; the rest is one GET of the KPIs away.
HEADLINE = (
    "posts",
    "creators",
    "views",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate",
    "clicks",
    "conversions",
    "leads",
    "revenue",
    "cost",
    "emv",
    "roi",
    "roas",
)


def instant(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with `Z`, as everywhere in the API."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


class PostLike(Protocol):
    id: UUID
    campaign_id: UUID | None
    creator_id: UUID
    account_id: UUID
    platform: str
    external_id: str
    url: str | None
    kind: str | None
    published_at: datetime | None
    status: str


def post(row: PostLike) -> dict[str, Any]:
    """`post.captured` and `post.gone`: the post as Sway tracks it."""
    return {
        "post_id": str(row.id),
        "campaign_id": _id(row.campaign_id),
        "creator_id": str(row.creator_id),
        "account_id": str(row.account_id),
        "platform": row.platform,
        "external_id": row.external_id,
        "url": row.url,
        "kind": row.kind,
        "published_at": instant(row.published_at),
        "status": row.status,
    }


def post_captured(row: PostLike, *, source: str) -> dict[str, Any]:
    """`source`: `capture` (found by an account sync) or `api` (tracked through the API)."""
    return {**post(row), "source": source}


def disclosure_missing(row: PostLike, check: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **post(row),
        "disclosure": {
            "reason": check.get("reason"),
            "found": list(check.get("found") or []),
        },
    }


def stage_changed(
    *,
    collaboration_id: UUID,
    campaign_id: UUID,
    creator_id: UUID,
    from_stage: str | None,
    to_stage: str,
    at: datetime,
    by: UUID | None,
) -> dict[str, Any]:
    return {
        "collaboration_id": str(collaboration_id),
        "campaign_id": str(campaign_id),
        "creator_id": str(creator_id),
        "from": from_stage,
        "to": to_stage,
        "at": instant(at),
        "by": _id(by),
    }


def deliverable_overdue(
    *,
    deliverable_id: UUID,
    collaboration_id: UUID,
    campaign_id: UUID,
    creator_id: UUID,
    platform: str,
    kind: str,
    due_at: datetime | None,
    status: str,
) -> dict[str, Any]:
    """`status` is `late` (past due) or `missed` (past due plus the grace period)."""
    return {
        "deliverable_id": str(deliverable_id),
        "collaboration_id": str(collaboration_id),
        "campaign_id": str(campaign_id),
        "creator_id": str(creator_id),
        "platform": platform,
        "kind": kind,
        "due_at": instant(due_at),
        "status": status,
    }


def kpis_updated(
    *,
    campaign_id: UUID,
    snapshot_id: UUID,
    computed_at: datetime,
    currency: str | None,
    totals: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "campaign_id": str(campaign_id),
        "snapshot_id": str(snapshot_id),
        "computed_at": instant(computed_at),
        "currency": currency,
        "totals": {name: totals.get(name) for name in HEADLINE},
    }


def goal_reached(
    *,
    campaign_id: UUID,
    snapshot_id: UUID,
    computed_at: datetime,
    currency: str | None,
    goal: Mapping[str, Any],
) -> dict[str, Any]:
    """`currency` is what a money goal's target and actual are in."""
    return {
        "campaign_id": str(campaign_id),
        "snapshot_id": str(snapshot_id),
        "computed_at": instant(computed_at),
        "currency": currency,
        "goal": {
            "metric": goal.get("metric"),
            "direction": goal.get("direction"),
            "target": goal.get("target"),
            "actual": goal.get("actual"),
        },
    }


def authenticity_alert(
    *,
    account_id: UUID,
    creator_id: UUID,
    platform: str,
    handle: str,
    score: float | None,
    reasons: Sequence[str],
    at: datetime,
) -> dict[str, Any]:
    """For the account vetting to come: an account whose audience looks inauthentic."""
    return {
        "account_id": str(account_id),
        "creator_id": str(creator_id),
        "platform": platform,
        "handle": handle,
        "score": score,
        "reasons": list(reasons),
        "at": instant(at),
    }


class AccountLike(Protocol):
    id: UUID
    creator_id: UUID
    platform: str
    handle: str
    external_id: str | None
    token_expires_at: datetime | None
    granted_scopes: list[str] | None


def account_connected(account: AccountLike, *, at: datetime) -> dict[str, Any]:
    """An account connected (or reconnected) through its platform's consent screen."""
    return {
        "account_id": str(account.id),
        "creator_id": str(account.creator_id),
        "platform": account.platform,
        "handle": account.handle,
        "external_id": account.external_id,
        "scopes": list(account.granted_scopes or []),
        "token_expires_at": instant(account.token_expires_at),
        "at": instant(at),
    }


def account_connection_lost(account: AccountLike, *, reason: str, at: datetime) -> dict[str, Any]:
    """A connection Sway can no longer keep alive: a person must connect the account again."""
    return {
        "account_id": str(account.id),
        "creator_id": str(account.creator_id),
        "platform": account.platform,
        "handle": account.handle,
        "reason": reason,
        "at": instant(at),
    }


def webhook_event_dead(
    *,
    event_id: UUID,
    source_id: UUID,
    external_id: str,
    type: str,
    attempts: int,
    last_error: str | None,
    received_at: datetime,
) -> dict[str, Any]:
    """An inbound event Sway gave up on: someone must fix its cause and replay it."""
    return {
        "event_id": str(event_id),
        "source_id": str(source_id),
        "external_id": external_id,
        "type": type,
        "attempts": attempts,
        "last_error": last_error,
        "received_at": instant(received_at),
    }
