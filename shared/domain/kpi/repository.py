"""The KPIs' SQL: one aggregate over the campaign's posts (their latest counts are on the post
row, so no snapshot history is read), the collaborations' compensation, and the stored KPI
snapshots behind the timeseries."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.pagination import decode_cursor, parse_datetime
from shared.metrics.campaign import RATIOS, TALLIED, Compensation, Group, Tally
from shared.metrics.engagement import engagements_sql
from shared.models import CampaignKpiSnapshot, Collaboration
from shared.models.status import CollaborationStage


def _sum(column: str, where: str | None = None) -> str:
    only = f" FILTER (WHERE {where})" if where else ""
    return f"coalesce(sum({column}){only}, 0)::int8"


def _ratio_columns(name: str, numerator: str, denominator: str) -> str:
    known = f"{numerator} IS NOT NULL AND {denominator} > 0"
    return f"{_sum(numerator, known)} AS {name}_num, {_sum(denominator, known)} AS {name}_den"


# One pass over the campaign's posts, a tally (campaign_metrics.FIELDS, in order) per creator
# and platform. `OFFSET 0` keeps the subquery from being inlined, so each post's engagements
# are computed once rather than at each of their references (measured: a quarter of the time).
# A disclosure's `compliant` is true or false exactly when one was required, null otherwise.
TALLIES = text(f"""
SELECT creator_id, platform, count(*) AS posts,
       {", ".join(f"{_sum(c)} AS {c}, count({c}) AS n_{c}" for c in TALLIED)},
       {", ".join(_ratio_columns(*ratio) for ratio in RATIOS)},
       count(compliant) AS disclosure_required,
       count(*) FILTER (WHERE compliant = 'true') AS disclosure_passed
FROM (
    SELECT creator_id, platform, views, impressions, reach, likes, comments, shares, saves,
           clicks, followers_at_post, engagements_24h, engagements_7d, engagements_30d,
           {engagements_sql("post")} AS engagements, disclosure ->> 'compliant' AS compliant
    FROM post WHERE org_id = :org AND campaign_id = :campaign
    OFFSET 0
) p
GROUP BY creator_id, platform
""")

# The KPI as it stood at each instant: the newest snapshot computed at or before it.
AT_INSTANTS = text("""
SELECT s.value, s.emv_rate_card_version
FROM unnest(CAST(:instants AS timestamptz[])) WITH ORDINALITY AS i(at, n)
LEFT JOIN LATERAL (
    SELECT k.totals -> :metric AS value, k.emv_rate_card_version FROM campaign_kpi_snapshot k
    WHERE k.org_id = :org AND k.campaign_id = :campaign AND k.computed_at <= i.at
    ORDER BY k.computed_at DESC, k.id DESC LIMIT 1
) s ON true
ORDER BY i.n
""")


REPORT_COUNTS = ("views", "impressions", "reach", "likes", "comments", "shares", "saves", "clicks")

REPORT_ROWS = text(f"""
SELECT p.id, p.creator_id, c.name AS creator_name, p.platform, p.url, p.published_at, p.status,
       {", ".join(f"p.{name}" for name in REPORT_COUNTS)},
       {engagements_sql("p")} AS engagements,
       p.followers_at_post, p.disclosure, p.deliverable_id,
       d.kind AS deliverable_kind, d.status AS deliverable_status
FROM post p
JOIN creator c ON c.org_id = p.org_id AND c.id = p.creator_id
LEFT JOIN deliverable d ON d.org_id = p.org_id AND d.id = p.deliverable_id
WHERE p.org_id = :org AND p.campaign_id = :campaign
ORDER BY p.created_at, p.id
""")


class KpiRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def tallies(self, campaign_id: UUID) -> list[Group]:
        rows = await self.session.execute(TALLIES, {"org": self.org_id, "campaign": campaign_id})
        return [Group(row[0], row[1], Tally(row[2:])) for row in rows.all()]

    async def compensations(self, campaign_id: UUID) -> list[Compensation]:
        c = Collaboration
        rows = await self.session.execute(
            select(c.creator_id, c.fee, c.product_value, c.commission_rate).where(
                c.org_id == self.org_id,
                c.campaign_id == campaign_id,
                c.stage != CollaborationStage.declined,
            )
        )
        return [Compensation(*row) for row in rows]

    async def report_rows(self, campaign_id: UUID) -> AsyncIterator[Any]:
        """The campaign's posts for the report, from a server-side cursor (needs a transaction)."""
        result = await self.session.stream(
            REPORT_ROWS.execution_options(yield_per=500),
            {"org": self.org_id, "campaign": campaign_id},
        )
        async for row in result:
            yield row

    def add_snapshot(self, snapshot: CampaignKpiSnapshot) -> CampaignKpiSnapshot:
        snapshot.org_id = self.org_id
        self.session.add(snapshot)
        return snapshot

    async def snapshots(
        self,
        campaign_id: UUID,
        *,
        since: datetime | None,
        until: datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Sequence[CampaignKpiSnapshot]:
        """Newest first, `limit + 1` rows (the extra one says another page exists)."""
        k = CampaignKpiSnapshot
        statement = select(k).where(k.org_id == self.org_id, k.campaign_id == campaign_id)
        if since is not None:
            statement = statement.where(k.computed_at >= since)
        if until is not None:
            statement = statement.where(k.computed_at <= until)
        if cursor is not None:
            at, last_id = decode_cursor(cursor, parse_datetime)
            # A row-value comparison, which the (campaign_id, computed_at, id) index bounds.
            statement = statement.where(tuple_(k.computed_at, k.id) < tuple_(at, last_id))
        statement = statement.order_by(k.computed_at.desc(), k.id.desc()).limit(limit + 1)
        return (await self.session.scalars(statement)).all()

    async def at_instants(
        self, campaign_id: UUID, metric: str, instants: Sequence[datetime]
    ) -> list[tuple[Any, int | None]]:
        rows = await self.session.execute(
            AT_INSTANTS,
            {
                "org": self.org_id,
                "campaign": campaign_id,
                "metric": metric,
                "instants": list(instants),
            },
        )
        return [(value, version) for value, version in rows]
