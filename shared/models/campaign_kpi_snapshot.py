from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, org_foreign_key


class CampaignKpiSnapshot(IdMixin, OrgMixin, Base):
    """A campaign's KPIs as the worker computed them at `computed_at`: the history behind the
    KPI timeseries. Append-only. The totals sit in their own column, so a timeseries reads one
    small value per point and never the per-creator breakdown."""

    __tablename__ = "campaign_kpi_snapshot"
    __table_args__ = (
        org_foreign_key("campaign_id", "campaign", ondelete="CASCADE"),
        Index(
            "ix_campaign_kpi_snapshot_campaign_id_computed_at", "campaign_id", "computed_at", "id"
        ),
    )

    campaign_id: Mapped[UUID]
    computed_at: Mapped[datetime]
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB)
    by_creator: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    by_platform: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    coverage: Mapped[dict[str, Any]] = mapped_column(JSONB)
    emv_rate_card_version: Mapped[int | None] = mapped_column(Integer)
