"""The SQL behind "when must a post disclose": one read of what the rule needs for a set of posts
(their captions, whether each must disclose, the brand names of its campaign), and one write of
their checks (arrays through unnest, as the ingestion writes). docs/metrics.md, "Disclosure",
states the rule that `_REQUIRED` computes.

The read locks the posts it returns (in id order, as every recomputation does), so a
recomputation that starts while a post's first refresh is writing its caption waits for it and
checks the caption that refresh wrote, not the one it replaced."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes, util

from shared.models import Post
from shared.models.status import CollaborationStage


@dataclass(frozen=True, slots=True)
class DisclosureInput:
    id: UUID
    caption: str | None
    platform: str
    required: bool
    # The campaign's mentions, then its name: what "<Brand> partner" may name.
    brand_terms: tuple[str, ...]


# A post must disclose when its campaign says so, when its creator's collaboration on the campaign
# is not declined and pays anything, or when the deliverable it fulfils asks for a disclosure.
_REQUIRED = f"""c.id IS NOT NULL AND (
    c.disclosure_required
    OR EXISTS (
        SELECT 1 FROM collaboration co
        WHERE co.org_id = p.org_id AND co.campaign_id = p.campaign_id
          AND co.creator_id = p.creator_id AND co.stage <> '{CollaborationStage.declined}'
          AND (co.fee > 0 OR co.product_value > 0 OR co.commission_rate > 0)
    )
    OR EXISTS (
        SELECT 1 FROM deliverable d
        WHERE d.org_id = p.org_id AND d.id = p.deliverable_id AND d.disclosure
    )
)"""


def _inputs(where: str):
    return text(f"""
SELECT p.id, p.caption, p.platform, {_REQUIRED} AS required, c.mentions, c.name
FROM post p
LEFT JOIN campaign c ON c.org_id = p.org_id AND c.id = p.campaign_id
WHERE p.org_id = :org AND {where}
ORDER BY p.id
FOR UPDATE OF p
""")


INPUTS_OF_POSTS = _inputs("p.id = ANY(CAST(:ids AS uuid[]))")
INPUTS_OF_CAMPAIGN = _inputs("p.campaign_id = :campaign")
INPUTS_OF_CREATOR_ON_CAMPAIGN = _inputs("p.campaign_id = :campaign AND p.creator_id = :creator")

# Only rows whose check changed are written: renaming a campaign of thousands of posts rewrites
# the few whose "<Brand> partner" it changes. Each written row's previous `compliant` comes back
# (the self-join reads the row as it was), so a post turning non-compliant can be announced.
WRITE = text("""
UPDATE post SET disclosure = CAST(u.disclosure AS jsonb), updated_at = now()
FROM unnest(CAST(:id AS uuid[]), CAST(:disclosure AS text[])) AS u(id, disclosure), post AS old
WHERE post.org_id = :org AND post.id = u.id AND old.org_id = post.org_id AND old.id = post.id
  AND post.disclosure IS DISTINCT FROM CAST(u.disclosure AS jsonb)
RETURNING post.id, old.disclosure ->> 'compliant' AS was
""")


class DisclosureRepository:
    def __init__(self, session: AsyncSession, org_id: UUID) -> None:
        self.session = session
        self.org_id = org_id

    async def of_posts(self, post_ids: Sequence[UUID]) -> list[DisclosureInput]:
        if not post_ids:
            return []
        return await self._read(INPUTS_OF_POSTS, ids=list(post_ids))

    async def of_campaign(
        self, campaign_id: UUID, creator_id: UUID | None = None
    ) -> list[DisclosureInput]:
        if creator_id is None:
            return await self._read(INPUTS_OF_CAMPAIGN, campaign=campaign_id)
        return await self._read(
            INPUTS_OF_CREATOR_ON_CAMPAIGN, campaign=campaign_id, creator=creator_id
        )

    async def _read(self, statement, **params) -> list[DisclosureInput]:
        rows = await self.session.execute(statement, {"org": self.org_id, **params})
        return [
            DisclosureInput(
                id=row.id,
                caption=row.caption,
                platform=row.platform,
                required=row.required,
                brand_terms=(*(row.mentions or ()), *((row.name,) if row.name else ())),
            )
            for row in rows
        ]

    async def write(self, checks: dict[UUID, str]) -> dict[UUID, str | None]:
        """Store each post's check (JSON text: asyncpg cannot send an array of jsonb values).
        Returns, for each post written, its previous `compliant` ("true", "false" or None)."""
        if not checks:
            return {}
        result = await self.session.execute(
            WRITE, {"org": self.org_id, "id": list(checks), "disclosure": list(checks.values())}
        )
        return {row.id: row.was for row in result}

    def show_loaded(self, checks: dict[UUID, dict]) -> None:
        """Posts this session already holds take their new check as loaded state, so a post the
        API answers with says what the database now says (the write above bypasses the ORM)."""
        identity_map = self.session.identity_map
        for post_id, check in checks.items():
            post = identity_map.get(util.identity_key(Post, post_id))
            if post is not None:
                attributes.set_committed_value(post, "disclosure", check)
