"""Every ORM model, imported here so Alembic and relationship resolution see them all."""

from shared.models.account_recent_post import AccountRecentPost
from shared.models.account_snapshot import AccountSnapshot
from shared.models.api_key import ApiKey
from shared.models.audience_collection import AudienceCollection
from shared.models.audience_snapshot import AudienceSnapshot
from shared.models.campaign import Campaign
from shared.models.campaign_goal import CampaignGoal
from shared.models.campaign_kpi_snapshot import CampaignKpiSnapshot
from shared.models.collaboration import Collaboration
from shared.models.collaboration_stage_change import CollaborationStageChange
from shared.models.conversion import Conversion
from shared.models.creator import Creator
from shared.models.creator_account import CreatorAccount
from shared.models.deliverable import Deliverable
from shared.models.delivery import Delivery, DeliveryAttempt
from shared.models.emv_rate_card import EmvRateCard
from shared.models.engagement_benchmark import EngagementBenchmark
from shared.models.link_click import LinkClick
from shared.models.link_code import LinkCode
from shared.models.listening import BrandProfile, Comment, ListeningScan, Mention, PostListening
from shared.models.oauth import ConnectLink, OAuthState
from shared.models.organization import Organization
from shared.models.post import Post
from shared.models.post_schedule import PostSchedule
from shared.models.post_snapshot import PostSnapshot
from shared.models.promo_code import PromoCode
from shared.models.subscription import Subscription
from shared.models.tracking_link import TrackingLink
from shared.models.webhook_event import WebhookEvent
from shared.models.webhook_source import WebhookSource

__all__ = [
    "AccountRecentPost",
    "AccountSnapshot",
    "ApiKey",
    "AudienceCollection",
    "AudienceSnapshot",
    "BrandProfile",
    "Campaign",
    "CampaignGoal",
    "CampaignKpiSnapshot",
    "Collaboration",
    "CollaborationStageChange",
    "Comment",
    "ConnectLink",
    "Conversion",
    "Creator",
    "CreatorAccount",
    "Deliverable",
    "Delivery",
    "DeliveryAttempt",
    "EmvRateCard",
    "EngagementBenchmark",
    "LinkClick",
    "LinkCode",
    "ListeningScan",
    "Mention",
    "OAuthState",
    "Organization",
    "Post",
    "PostSchedule",
    "PostListening",
    "PostSnapshot",
    "PromoCode",
    "Subscription",
    "TrackingLink",
    "WebhookEvent",
    "WebhookSource",
]
