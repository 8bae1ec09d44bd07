"""The states a post, an account, a collaboration and a deliverable can be in (and how a
collaboration pays): one enum each, used by the models, the schemas and the SQL, so a new state
cannot be half added."""

from enum import StrEnum


class PostStatus(StrEnum):
    pending = "pending"  # tracked by a URL whose API id the next account sync resolves
    tracking = "tracking"  # refreshed on its cadence
    paused = "paused"  # its credential (or Sway's configuration) must be fixed; resumes then
    stopped = "stopped"  # past the refresh horizon, or its campaign or creator is archived
    gone = "gone"  # missing from two refreshes in a row (deleted, private)
    error = "error"  # its own platform call keeps failing; `status_detail` says why


class SyncStatus(StrEnum):
    pending = "pending"  # never synced, or new credentials await their first sync
    ok = "ok"
    rate_limited = "rate_limited"  # retried after the platform's hint
    auth_expired = "auth_expired"  # a person must PUT new credentials
    not_found = "not_found"  # the platform has no such account
    config_error = "config_error"  # a Sway setting is missing or refused; retried by itself
    error = "error"  # anything else; `sync_error` says what, retried on the usual interval
    archived = "archived"  # its creator is archived: no more syncs


class CollaborationStage(StrEnum):
    """The pipeline, in order; `declined` leaves it from any stage before `published`
    (shared/domain/collaboration/stages.py holds the moves)."""

    prospect = "prospect"
    contacted = "contacted"
    negotiating = "negotiating"
    contracted = "contracted"
    content_submitted = "content_submitted"
    approved = "approved"
    published = "published"
    completed = "completed"
    declined = "declined"


class CompensationModel(StrEnum):
    flat_fee = "flat_fee"  # fee
    product = "product"  # product_value
    commission = "commission"  # commission_rate × attributed revenue
    hybrid = "hybrid"  # two or more of the above


class DeliverableStatus(StrEnum):
    pending = "pending"  # not yet delivered
    submitted = "submitted"  # a draft is in
    approved = "approved"  # the draft is approved
    published = "published"  # its linked post is tracked
    late = "late"  # past due and not published
    missed = "missed"  # past due plus the grace period (SWAY_DELIVERABLE_GRACE_S), not published


class WebhookSourceKind(StrEnum):
    marketplace = "marketplace"  # Standard Webhooks signatures
    shopify = "shopify"  # X-Shopify-Hmac-Sha256


class WebhookEventStatus(StrEnum):
    pending = "pending"  # stored, waiting for (or in) its processing job
    processed = "processed"  # its effect is done
    ignored = "ignored"  # a type or topic Sway does not act on; kept, not an error
    failed = "failed"  # the last try failed; retried with backoff (`last_error` says why)
    dead = "dead"  # out of tries; only a replay processes it again


class ConversionKind(StrEnum):
    purchase = "purchase"
    lead = "lead"
    refund = "refund"


class AttributionRule(StrEnum):
    promo_code = "promo_code"
    link_code = "link_code"


class SubscriptionStatus(StrEnum):
    active = "active"
    disabled = "disabled"  # by a person, or after a run of failures (`disabled_reason`)


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    succeeded = "succeeded"  # the receiver answered 2xx
    failed = "failed"  # out of attempts, or its subscription was disabled
