from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from shared.domain.pagination import SortKey, apply_keyset
from shared.domain.repository import OrgRepository
from shared.models import EmvRateCard, Organization

# The newest card's version, currency and rates, as a LATERAL subquery for the statements that
# read it with other figures in one round trip (the campaign KPIs); `{org}` names the column or
# parameter holding the organization.
NEWEST_RATES_SQL = """SELECT r.version, r.currency, CAST(r.rates AS text) AS rates
    FROM emv_rate_card r WHERE r.org_id = {org} ORDER BY r.version DESC LIMIT 1"""


def _parse_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a version")
    return value


NEWEST_FIRST = SortKey(EmvRateCard.version, descending=True, parse=_parse_version)


class EmvRateCardRepository(OrgRepository[EmvRateCard]):
    model = EmvRateCard

    async def newest(self) -> EmvRateCard | None:
        return await self.session.scalar(
            self.select().order_by(EmvRateCard.version.desc()).limit(1)
        )

    async def newest_rates(self) -> Row[tuple[int, str, dict[str, Any]]] | None:
        """Only what an EMV figure needs, from the newest version: one backward step on the
        (org_id, version) unique index."""
        statement = (
            select(EmvRateCard.version, EmvRateCard.currency, EmvRateCard.rates)
            .where(EmvRateCard.org_id == self.org_id)
            .order_by(EmvRateCard.version.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).first()

    async def by_version(self, version: int) -> EmvRateCard | None:
        return await self.session.scalar(self.select().where(EmvRateCard.version == version))

    async def versions(self, cursor: str | None, limit: int) -> Sequence[EmvRateCard]:
        return await self.scalars(
            apply_keyset(self.select(), NEWEST_FIRST, EmvRateCard.id, cursor, limit)
        )

    async def lock_organization(self) -> bool:
        """Hold the organization's row until the transaction ends, so writers of the next version
        take turns and never meet on the unique version index. FOR NO KEY UPDATE, not FOR UPDATE:
        the foreign-key checks of inserts elsewhere in the organization (FOR KEY SHARE) are not
        held up. False if there is no such organization."""
        statement = (
            select(Organization.id)
            .where(Organization.id == self.org_id)
            .with_for_update(key_share=True)
        )
        return await self.session.scalar(statement) is not None
