"""Tracking links' SQL. The redirect's write is raw SQL on asyncpg (one statement: look the code
up and record the click), the rest goes through the session, filtered by organization."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select

from shared.db import RawReads, new_id
from shared.domain.link.schemas import LinkFilters
from shared.domain.pagination import SortKey, apply_keyset, parse_datetime
from shared.domain.repository import OrgRepository
from shared.metrics.attribution import CodeOwner
from shared.models import Campaign, LinkClick, LinkCode, TrackingLink

NEWEST_FIRST = SortKey(TrackingLink.created_at, descending=True, parse=parse_datetime)

# Codes are unique across organizations (the redirect has no organization to scope by): link_code
# says whose the code is, and the link is then read by (code, org_id), the key a table
# distributed by org_id can hold (shared/distribution.py). The click takes the link's org_id.
# A data-modifying CTE runs whether or not the outer query reads it: one round trip finds the
# link, records the click and returns where to go.
FOLLOW_SQL = """
WITH link AS (
    SELECT l.id, l.org_id, l.tracked_url
    FROM link_code c JOIN tracking_link l ON l.code = c.code AND l.org_id = c.org_id
    WHERE c.code = $1
),
click AS (
    INSERT INTO link_click (id, org_id, link_id, clicked_at, referrer, user_agent, visitor_hash,
                            is_bot)
    SELECT $2, org_id, id, $3, $4, $5, $6, $7 FROM link
)
SELECT tracked_url FROM link
"""


async def follow(
    raw: RawReads,
    code: str,
    *,
    clicked_at: datetime,
    referrer: str | None,
    user_agent: str | None,
    visitor_hash: str,
    is_bot: bool,
) -> str | None:
    """The link's tracked URL, the click recorded; None (and nothing written) for an unknown
    code. On the raw pool outside any transaction: the statement is atomic by itself."""
    row = await raw.fetchrow(
        FOLLOW_SQL, code, new_id(), clicked_at, referrer, user_agent, visitor_hash, is_bot
    )
    return None if row is None else row[0]


class LinkRepository(OrgRepository[TrackingLink]):
    model = TrackingLink

    def add(self, obj: TrackingLink) -> TrackingLink:
        """The link, and its code taken in link_code in the same transaction: a code another
        organization holds fails the flush, as a unique index across organizations would."""
        self.session.add(LinkCode(code=obj.code, org_id=self.org_id))
        return super().add(obj)

    async def for_campaign(self, campaign_id: UUID, filters: LinkFilters) -> Sequence[TrackingLink]:
        statement = self.select().where(TrackingLink.campaign_id == campaign_id)
        if filters.creator_id:
            statement = statement.where(TrackingLink.creator_id == filters.creator_id)
        return await self.scalars(
            apply_keyset(statement, NEWEST_FIRST, TrackingLink.id, filters.cursor, filters.limit)
        )

    async def counts(self, link_ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
        """(clicks, unique_clicks) per link, bots left out. A visitor hash is salted per UTC
        day, so distinct hashes are distinct visitors per day."""
        if not link_ids:
            return {}
        rows = await self.session.execute(
            select(
                LinkClick.link_id,
                func.count(),
                # Bytewise: the hashes are hex, and a locale's collation only costs here.
                func.count(LinkClick.visitor_hash.collate("C").distinct()),
            )
            .where(
                LinkClick.org_id == self.org_id,
                LinkClick.link_id.in_(link_ids),
                ~LinkClick.is_bot,  # as ix_link_click_link_id_visitor_hash's predicate says
            )
            .group_by(LinkClick.link_id)
        )
        return {link_id: (clicks, unique) for link_id, clicks, unique in rows}

    async def owner(self, code: str) -> CodeOwner | None:
        """Whose the organization's link `code` is, with its campaign's dates and currency; a
        code of another organization is none of this one's."""
        row = (
            await self.session.execute(
                select(
                    TrackingLink.campaign_id,
                    TrackingLink.creator_id,
                    Campaign.starts_on,
                    Campaign.ends_on,
                    TrackingLink.platform,
                    Campaign.currency,
                )
                .join(
                    Campaign,
                    (Campaign.id == TrackingLink.campaign_id) & (Campaign.org_id == self.org_id),
                )
                .where(TrackingLink.org_id == self.org_id, TrackingLink.code == code)
            )
        ).first()
        return None if row is None else CodeOwner(*row)
