"""The track record's SQL: for a set of creators, one row per (creator, campaign) they took part
in (their tally of posts, collaboration's pay and deliverables' punctuality), then the
attribution of those pairs, two round trips whatever the number of creators; the creators of a
campaign; and one UPDATE writing every creator's sort columns. The tallies and the attribution
are the campaign KPIs' own SQL (shared/domain/kpi/repository.py), grouped by campaign and creator
instead of creator and platform."""

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads
from shared.domain.kpi.repository import (
    LISTENED_JOIN,
    TALLIED_POST_COLUMNS,
    TALLY_COLUMNS,
    attribution_of,
    attribution_sql,
)
from shared.metrics.campaign import FIELDS, CampaignTerms, Compensation, Tally
from shared.metrics.track_record import Participation
from shared.models.status import CollaborationStage

# $1 org, $2 creators, $3 now. Campaigns are found from the creators' collaborations (indexed by
# creator) and their posts (through their accounts: post is indexed by account, not creator).
# A deliverable is due once its due time has passed, or earlier if it is already delivered; it
# is on time when its post was published at or before the due time.
PARTICIPATIONS = f"""
WITH collab AS (
    SELECT id, campaign_id, creator_id, stage, fee, product_value, commission_rate
    FROM collaboration
    WHERE org_id = $1 AND creator_id = ANY($2::uuid[])
      AND stage <> '{CollaborationStage.declined}'
),
tally AS (
    SELECT campaign_id, creator_id, {TALLY_COLUMNS}
    FROM (
        SELECT post.campaign_id, post.creator_id, {TALLIED_POST_COLUMNS}
        FROM post {LISTENED_JOIN}
        WHERE post.org_id = $1 AND post.campaign_id IS NOT NULL
          AND post.account_id IN (SELECT id FROM creator_account
                             WHERE org_id = $1 AND creator_id = ANY($2::uuid[]))
        OFFSET 0
    ) p
    GROUP BY campaign_id, creator_id
),
punctuality AS (
    SELECT k.campaign_id, k.creator_id,
           count(*) FILTER (WHERE d.due_at <= $3 OR p.published_at <= d.due_at) AS due,
           count(*) FILTER (WHERE p.published_at <= d.due_at) AS on_time
    FROM collab k
    JOIN deliverable d ON d.org_id = $1 AND d.collaboration_id = k.id AND d.due_at IS NOT NULL
    LEFT JOIN post p ON p.org_id = $1 AND p.deliverable_id = d.id
    GROUP BY k.campaign_id, k.creator_id
),
pair AS (
    SELECT campaign_id, creator_id FROM collab
    UNION
    SELECT campaign_id, creator_id FROM tally
)
SELECT cr.id AS creator_id, c.id AS campaign_id, c.name, c.currency, c.starts_on, c.ends_on,
       c.created_at, c.status, k.stage,
       CAST(k.fee AS text) AS fee, CAST(k.product_value AS text) AS product_value,
       CAST(k.commission_rate AS text) AS commission_rate,
       coalesce(u.due, 0) AS due, coalesce(u.on_time, 0) AS on_time,
       {", ".join(f"t.{name}" for name in FIELDS)}
FROM creator cr
LEFT JOIN pair r ON r.creator_id = cr.id
LEFT JOIN campaign c ON c.org_id = $1 AND c.id = r.campaign_id
LEFT JOIN collab k ON k.campaign_id = r.campaign_id AND k.creator_id = r.creator_id
LEFT JOIN tally t ON t.campaign_id = r.campaign_id AND t.creator_id = r.creator_id
LEFT JOIN punctuality u ON u.campaign_id = r.campaign_id AND u.creator_id = r.creator_id
WHERE cr.org_id = $1 AND cr.id = ANY($2::uuid[])
"""

# $1 org, $2 campaigns, $3 creators.
ATTRIBUTION = attribution_sql(
    "{t}org_id = $1 AND {t}campaign_id = ANY($2::uuid[]) AND {t}creator_id = ANY($3::uuid[])",
    "{t}campaign_id, {t}creator_id",
)

# Everyone whose record a campaign is part of, declined collaborations included (declining
# takes the campaign out of the record).
CREATORS_OF_CAMPAIGN = """
SELECT creator_id FROM collaboration WHERE org_id = $1 AND campaign_id = $2
UNION
SELECT creator_id FROM post WHERE org_id = $1 AND campaign_id = $2
"""

# JSON travels as text: asyncpg cannot send an array of jsonb values. The rows are locked in id
# order first, so two jobs refreshing overlapping sets of creators wait for each other instead
# of deadlocking.
WRITE_SORT_COLUMNS = text("""
WITH locked AS (
    SELECT id FROM creator WHERE org_id = :org AND id = ANY(CAST(:id AS uuid[]))
    ORDER BY id FOR NO KEY UPDATE
)
UPDATE creator SET track_record = CAST(u.track_record AS jsonb),
       past_campaigns = u.past_campaigns, past_engagement_rate = u.past_engagement_rate,
       past_roi = u.past_roi, past_on_time_rate = u.past_on_time_rate
FROM unnest(CAST(:id AS uuid[]), CAST(:track_record AS text[]), CAST(:past_campaigns AS int[]),
            CAST(:past_engagement_rate AS float8[]), CAST(:past_roi AS float8[]),
            CAST(:past_on_time_rate AS float8[]))
     AS u(id, track_record, past_campaigns, past_engagement_rate, past_roi, past_on_time_rate)
JOIN locked ON locked.id = u.id
WHERE creator.org_id = :org AND creator.id = u.id
""")


def _participation(row: Any) -> Participation:
    terms = CampaignTerms(
        row["currency"], row["starts_on"], row["ends_on"], row["created_at"], row["status"]
    )
    compensation = None
    if row["stage"] is not None:
        money = (row["fee"], row["product_value"], row["commission_rate"])
        compensation = Compensation(
            row["creator_id"], *(None if v is None else Decimal(v) for v in money)
        )
    tally = Tally([row[name] for name in FIELDS]) if row["posts"] is not None else Tally()
    return Participation(
        creator_id=row["creator_id"],
        campaign_id=row["campaign_id"],
        name=row["name"],
        terms=terms,
        stage=row["stage"],
        tally=tally,
        compensation=compensation,
        deliverables_due=row["due"],
        delivered_on_time=row["on_time"],
    )


class TrackRecordReads:
    """The reads, straight on asyncpg (shared.db.RawReads), like the campaign KPIs'."""

    def __init__(self, reads: RawReads, org_id: UUID) -> None:
        self.reads = reads
        self.org_id = org_id

    async def participations(
        self, creator_ids: Sequence[UUID], now: datetime
    ) -> dict[UUID, list[Participation]]:
        """Per creator of the organization among `creator_ids` (others are left out), their
        participations with their attribution."""
        rows = await self.reads.fetch(PARTICIPATIONS, self.org_id, list(creator_ids), now)
        found: dict[UUID, list[Participation]] = {row["creator_id"]: [] for row in rows}
        pairs = {}
        for row in rows:
            if row["campaign_id"] is not None:
                participation = _participation(row)
                found[row["creator_id"]].append(participation)
                pairs[(participation.campaign_id, participation.creator_id)] = participation
        if pairs:
            await self._attribute(pairs)
        return found

    async def _attribute(self, pairs: dict[tuple[UUID, UUID], Participation]) -> None:
        campaigns = list({campaign for campaign, _ in pairs})
        creators = list({creator for _, creator in pairs})
        rows = await self.reads.fetch(ATTRIBUTION, self.org_id, campaigns, creators)
        for row in rows:
            participation = pairs.get((row[0], row[1]))
            # Attribution to a pair that is no participation (codes of a declined collaboration
            # with no post) stays out, as the pair does.
            if participation is not None:
                participation.attribution.add(attribution_of(row[2:-3], *row[-3:]))

    async def creators_of_campaign(self, campaign_id: UUID) -> list[UUID]:
        rows = await self.reads.fetch(CREATORS_OF_CAMPAIGN, self.org_id, campaign_id)
        return [row[0] for row in rows]


class TrackRecordRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def write_sort_columns(self, rows: Sequence[tuple[UUID, dict[str, Any]]]) -> None:
        """`rows`: (creator id, {track_record, past_campaigns, past_engagement_rate, past_roi,
        past_on_time_rate}), written in one statement."""
        names = ("past_campaigns", "past_engagement_rate", "past_roi", "past_on_time_rate")
        params: dict[str, Any] = {
            "org": self.org_id,
            "id": [creator_id for creator_id, _ in rows],
            "track_record": [json.dumps(columns["track_record"]) for _, columns in rows],
        }
        for name in names:
            params[name] = [columns[name] for _, columns in rows]
        await self.session.execute(WRITE_SORT_COLUMNS, params)
