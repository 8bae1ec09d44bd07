from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin


class EngagementBenchmark(IdMixin, OrgMixin, TimestampMixin, Base):
    """An organization's own engagement-rate benchmark for one platform and tier, replacing the
    cited default (shared/domain/vetting/benchmarks.py) for that pair."""

    __tablename__ = "engagement_benchmark"
    __table_args__ = (
        Index(
            "uq_engagement_benchmark_org_platform_tier", "org_id", "platform", "tier", unique=True
        ),
    )

    platform: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    engagement_rate: Mapped[float] = mapped_column(Float)
    # How the benchmark's rate is defined (by followers, by views...), so it is compared with
    # an account's rate of the same definition only.
    definition: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
