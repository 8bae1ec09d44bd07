"""Every ORM model, imported here so Alembic and relationship resolution see them all."""

from shared.models.account_snapshot import AccountSnapshot
from shared.models.api_key import ApiKey
from shared.models.campaign import Campaign
from shared.models.campaign_goal import CampaignGoal
from shared.models.campaign_kpi_snapshot import CampaignKpiSnapshot
from shared.models.collaboration import Collaboration
from shared.models.collaboration_stage_change import CollaborationStageChange
from shared.models.creator import Creator
from shared.models.creator_account import CreatorAccount
from shared.models.deliverable import Deliverable
from shared.models.emv_rate_card import EmvRateCard
from shared.models.organization import Organization
from shared.models.post import Post
from shared.models.post_snapshot import PostSnapshot

__all__ = [
    "AccountSnapshot",
    "ApiKey",
    "Campaign",
    "CampaignGoal",
    "CampaignKpiSnapshot",
    "Collaboration",
    "CollaborationStageChange",
    "Creator",
    "CreatorAccount",
    "Deliverable",
    "EmvRateCard",
    "Organization",
    "Post",
    "PostSnapshot",
]
