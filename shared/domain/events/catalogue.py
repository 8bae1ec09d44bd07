"""The events Sway sends to subscriptions (docs/events.md describes each, with a sample)."""

from enum import StrEnum


class EventType(StrEnum):
    collaboration_stage_changed = "collaboration.stage_changed"
    post_captured = "post.captured"
    post_gone = "post.gone"
    post_disclosure_missing = "post.disclosure_missing"
    deliverable_overdue = "deliverable.overdue"
    campaign_kpis_updated = "campaign.kpis_updated"
    campaign_goal_reached = "campaign.goal_reached"
    account_authenticity_alert = "account.authenticity_alert"
    account_connected = "account.connected"
    account_connection_lost = "account.connection_lost"
    webhook_event_dead = "webhook_event.dead"


NAMES = tuple(event.value for event in EventType)
