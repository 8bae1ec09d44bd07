"""The KPIs' SQL: one aggregate over the campaign's posts (their latest counts are on the post
row, so no snapshot history is read), one read of everything else they need (the campaign's
terms and goals, the collaborations' compensation, the EMV card), and the stored KPI snapshots
behind the timeseries. The hot reads go straight to asyncpg (KpiReads), the rest through the
session (KpiRepository)."""

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RawReads
from shared.domain.emv.repository import NEWEST_RATES_SQL
from shared.domain.pagination import decode_cursor, parse_datetime
from shared.metrics.campaign import (
    LISTENED,
    RATIOS,
    TALLIED,
    Attribution,
    AttributionGroup,
    CampaignTerms,
    Compensation,
    GoalSpec,
    Group,
    Tally,
)
from shared.metrics.engagement import engagements_sql
from shared.models import CampaignKpiSnapshot
from shared.models.post_snapshot import UNIT_COUNTS
from shared.models.status import CollaborationStage, ConversionKind


def _sum(column: str, where: str | None = None) -> str:
    only = f" FILTER (WHERE {where})" if where else ""
    return f"coalesce(sum({column}){only}, 0)::int8"


def _ratio_columns(name: str, numerator: str, denominator: str) -> str:
    known = f"{numerator} IS NOT NULL AND {denominator} > 0"
    return f"{_sum(numerator, known)} AS {name}_num, {_sum(denominator, known)} AS {name}_den"


# A tally's columns (campaign_metrics.FIELDS, in order, but for LISTENED) over rows of
# POST_COLUMNS. A disclosure's `compliant` is true or false exactly when one was required, null
# otherwise.
POST_TALLY_COLUMNS = f"""count(*) AS posts,
       {", ".join(f"{_sum(c)} AS {c}, count({c}) AS n_{c}" for c in TALLIED)},
       {", ".join(_ratio_columns(*ratio) for ratio in RATIOS)},
       count(compliant) AS disclosure_required,
       count(*) FILTER (WHERE compliant = 'true') AS disclosure_passed"""

# What a tally reads of each post row (the table `post`, unaliased).
POST_COLUMNS = f"""views, impressions, reach, likes, comments, shares, saves,
           clicks, followers_at_post, engagements_24h, engagements_7d, engagements_30d,
           {engagements_sql("post")} AS engagements, disclosure ->> 'compliant' AS compliant"""

# The same with each post's listening counts (post_listening, by LISTENED_JOIN; columns the
# two tables share are qualified): every column of FIELDS. The track record tallies this way.
TALLY_COLUMNS = f"""{POST_TALLY_COLUMNS},
       {", ".join(f"coalesce(sum(l_{c}), 0)::int8 AS {c}" for c in LISTENED)}"""
TALLIED_POST_COLUMNS = f"""{POST_COLUMNS},
           {", ".join(f"l.{c} AS l_{c}" for c in LISTENED)}"""
LISTENED_JOIN = "LEFT JOIN post_listening l ON l.post_id = post.id"

# One pass over the campaign's posts, a tally per creator and platform, beside the sums of its
# listening counts (post_listening keeps each post's campaign, creator and platform, so they are
# grouped apart: joining them to every post was a third of the statement). `OFFSET 0` keeps the
# subquery from being inlined, so each post's engagements are computed once rather than at each
# of their references (measured: a quarter of the time). The track record tallies the same way
# per campaign and creator (shared/domain/track_record/repository.py).
TALLIES = f"""
WITH tally AS (
    SELECT creator_id, platform, {POST_TALLY_COLUMNS}
    FROM (
        SELECT creator_id, platform, {POST_COLUMNS}
        FROM post WHERE org_id = $1 AND campaign_id = $2
        OFFSET 0
    ) p
    GROUP BY creator_id, platform
),
listened AS (
    SELECT creator_id, platform, {", ".join(f"sum({c})::int8 AS {c}" for c in LISTENED)}
    FROM post_listening WHERE org_id = $1 AND campaign_id = $2
    GROUP BY creator_id, platform
)
SELECT t.*, {", ".join(f"coalesce(l.{c}, 0) AS {c}" for c in LISTENED)}
FROM tally t LEFT JOIN listened l USING (creator_id, platform)
"""

# The KPI as it stood at each instant: the newest snapshot computed at or before it.
AT_INSTANTS = """
SELECT s.value, s.emv_rate_card_version
FROM unnest(CAST($3 AS timestamptz[])) WITH ORDINALITY AS i(at, n)
LEFT JOIN LATERAL (
    SELECT CAST(k.totals -> $4 AS text) AS value, k.emv_rate_card_version
    FROM campaign_kpi_snapshot k
    WHERE k.org_id = $1 AND k.campaign_id = $2 AND k.computed_at <= i.at
    ORDER BY k.computed_at DESC, k.id DESC LIMIT 1
) s ON true
ORDER BY i.n
"""


# What tracking links and promo codes add, per group of `keys`: one row per group of links
# (how many, their clicks by people, distinct visitors per link and day: each link's a scan of
# ix_link_click_link_id_visitor_hash, compared bytewise), of promo codes (how
# many), and of conversions per currency (how many rows; purchases not fully refunded, where a
# purchase's refunds are summed in its own currency; leads; Σ purchases − Σ refunds converted,
# and of those with no rate, unconverted). `scope` is a condition on a link's, code's or
# conversion's org_id, campaign_id and creator_id, and `keys` two of their columns, with `{t}`
# where each part puts its table's alias.
def attribution_sql(scope: str, keys: str) -> str:
    def of(alias: str) -> dict[str, str]:
        return {"scope": scope.format(t=alias), "keys": keys.format(t=alias)}

    links, codes, conversions, refunds = of("l."), of(""), of("v."), of("")
    return f"""
SELECT {links["keys"]}, count(*) AS links, 0 AS codes,
       sum(k.clicks)::int8 AS clicks, sum(k.unique_clicks)::int8 AS unique_clicks,
       0 AS n_rows, 0 AS conversions, 0 AS leads,
       NULL AS currency, NULL AS revenue, NULL AS unconverted
FROM tracking_link l
CROSS JOIN LATERAL (
    SELECT count(*) AS clicks, count(DISTINCT visitor_hash COLLATE "C") AS unique_clicks
    FROM link_click WHERE link_id = l.id AND NOT is_bot
) k
WHERE {links["scope"]}
GROUP BY {links["keys"]}
UNION ALL
SELECT {codes["keys"]}, 0, count(*), 0, 0, 0, 0, 0, NULL, NULL, NULL
FROM promo_code WHERE {codes["scope"]}
GROUP BY {codes["keys"]}
UNION ALL
SELECT {conversions["keys"]}, 0, 0, 0, 0, count(*),
       count(*) FILTER (WHERE v.kind = '{ConversionKind.purchase}'
                          AND (r.refunded IS NULL OR r.refunded < v.amount)),
       count(*) FILTER (WHERE v.kind = '{ConversionKind.lead}'),
       v.currency,
       CAST(sum(CASE v.kind WHEN '{ConversionKind.purchase}' THEN v.converted_amount
                            WHEN '{ConversionKind.refund}' THEN -v.converted_amount END) AS text),
       CAST(sum(CASE WHEN v.converted_amount IS NULL THEN
                CASE v.kind WHEN '{ConversionKind.purchase}' THEN v.amount
                            WHEN '{ConversionKind.refund}' THEN -v.amount END END) AS text)
FROM conversion v
LEFT JOIN (
    SELECT purchase_id, sum(amount) AS refunded FROM conversion
    WHERE {refunds["scope"]} AND kind = '{ConversionKind.refund}'
    GROUP BY purchase_id
) r ON r.purchase_id = v.id
WHERE {conversions["scope"]}
GROUP BY {conversions["keys"]}, v.currency
"""


ATTRIBUTION = attribution_sql(
    "{t}org_id = $1 AND {t}campaign_id = $2", "{t}creator_id, {t}platform"
)

# What the KPIs need besides the posts, in one round trip: the campaign's terms, its goals, the
# compensation of its collaborations that are not declined, its attribution (above) and the
# organization's newest EMV card (none: the default). Decimals travel as text, so they arrive
# exact.
INPUTS = f"""
SELECT c.currency, c.starts_on, c.ends_on, c.created_at, c.status,
       CAST((SELECT json_agg(json_build_array(g.metric, CAST(g.target AS text), g.direction)
                             ORDER BY g.created_at, g.id)
             FROM campaign_goal g WHERE g.org_id = c.org_id AND g.campaign_id = c.id)
            AS text) AS goals,
       CAST((SELECT json_agg(json_build_array(k.creator_id, CAST(k.fee AS text),
                                              CAST(k.product_value AS text),
                                              CAST(k.commission_rate AS text)))
             FROM collaboration k
             WHERE k.org_id = c.org_id AND k.campaign_id = c.id
               AND k.stage <> '{CollaborationStage.declined}')
            AS text) AS compensations,
       CAST((SELECT json_agg(json_build_array(
                a.creator_id, a.platform, a.links, a.codes, a.clicks, a.unique_clicks,
                a.n_rows, a.conversions, a.leads, a.currency, a.revenue, a.unconverted))
             FROM ({ATTRIBUTION}) a) AS text)
            AS attribution,
       card.version AS card_version, card.currency AS card_currency, card.rates AS card_rates,
       (c.brand IS NOT NULL OR c.mentions <> '{{}}'
        OR EXISTS (SELECT 1 FROM brand_profile b WHERE b.org_id = c.org_id
                   AND cardinality(b.handles || b.keywords || b.products) > 0)) AS listening
FROM campaign c
LEFT JOIN LATERAL ({NEWEST_RATES_SQL.format(org="c.org_id")}) card ON true
WHERE c.org_id = $1 AND c.id = $2
"""


REPORT_COUNTS = UNIT_COUNTS

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


@dataclass(frozen=True, slots=True)
class KpiInputs:
    terms: CampaignTerms
    compensations: list[Compensation]
    attribution: list[AttributionGroup]
    # (version, currency, rates JSON text) of the newest stored card; None: the default card.
    card: tuple[int, str, str] | None


def attribution_of(
    counts: Sequence[int], currency: str | None, revenue: str | None, unconverted: str | None
) -> Attribution:
    """One row of attribution_sql() after its two keys."""
    found = Attribution(*counts, revenue=Decimal(revenue or 0))
    if unconverted is not None:
        found.unconverted[currency] = Decimal(unconverted)
    return found


def _attribution(rows: str | None) -> list[AttributionGroup]:
    return [
        AttributionGroup(UUID(row[0]), row[1], attribution_of(row[2:-3], *row[-3:]))
        for row in json.loads(rows or "[]")
    ]


class KpiReads:
    """The KPIs' hot reads, straight on asyncpg (shared.db.RawReads): two round trips."""

    def __init__(self, reads: RawReads, org_id: UUID) -> None:
        self.reads = reads
        self.org_id = org_id

    async def inputs(self, campaign_id: UUID) -> KpiInputs | None:
        row = await self.reads.fetchrow(INPUTS, self.org_id, campaign_id)
        if row is None:
            return None
        goals = [GoalSpec(m, Decimal(t), d) for m, t, d in json.loads(row["goals"] or "[]")]
        terms = CampaignTerms(
            row["currency"], row["starts_on"], row["ends_on"], row["created_at"], row["status"],
            goals, row["listening"],
        )  # fmt: skip
        compensations = [
            Compensation(UUID(creator), *(None if v is None else Decimal(v) for v in money))
            for creator, *money in json.loads(row["compensations"] or "[]")
        ]
        card = None
        if row["card_version"] is not None:
            card = (row["card_version"], row["card_currency"], row["card_rates"])
        return KpiInputs(terms, compensations, _attribution(row["attribution"]), card)

    async def tallies(self, campaign_id: UUID) -> list[Group]:
        rows = await self.reads.fetch(TALLIES, self.org_id, campaign_id)
        return [Group(row[0], row[1], Tally(row[2:])) for row in rows]

    async def at_instants(
        self, campaign_id: UUID, metric: str, instants: Sequence[datetime]
    ) -> list[tuple[Any, int | None]]:
        rows = await self.reads.fetch(AT_INSTANTS, self.org_id, campaign_id, list(instants), metric)
        return [(None if v is None else json.loads(v), version) for v, version in rows]


class KpiRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

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
