import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.organization.repository import ApiKeyRepository, OrganizationRepository
from shared.domain.organization.schemas import OrganizationUpdate, Principal, Scope
from shared.errors import Invalid, NotFound, Unauthorized
from shared.metrics.tiers import Tier, boundaries_from
from shared.models import ApiKey, Organization

KEY_PREFIX = "sway_"
# last_used_at is for people auditing keys; writing it on every request would make reads writes.
TOUCH_EVERY = timedelta(minutes=1)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_organization(
    session: AsyncSession, *, name: str, default_currency: str = "USD"
) -> Organization:
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid.field(("name",), "organization name must be 1-200 characters")
    organization = OrganizationRepository(session).add(
        Organization(name=name, default_currency=default_currency.upper(), settings={})
    )
    await session.flush()
    return organization


async def get_organization(session: AsyncSession, org_id: UUID) -> Organization:
    organization = await OrganizationRepository(session).get(org_id)
    if organization is None:
        raise NotFound(f"organization {org_id} not found")
    return organization


async def update_organization(
    session: AsyncSession, org_id: UUID, data: OrganizationUpdate
) -> Organization:
    """Change the organization's settings; new tier boundaries re-tier every account at once."""
    # Imported here: the account domain reads tier boundaries from this module.
    from shared.domain.account import metrics as account_metrics

    organization = await get_organization(session, org_id)
    if data.tiers is not None:
        tiers = data.tiers.model_dump(mode="json", exclude_none=True)
        # A new dict, so the JSONB column is seen as changed.
        organization.settings = {**(organization.settings or {}), "tiers": tiers}
        await session.flush()
        await account_metrics.retier(session, org_id, boundaries_from(tiers))
    return organization


async def tier_boundaries(session: AsyncSession, org_id: UUID) -> list[tuple[Tier, int]]:
    organization = await get_organization(session, org_id)
    return boundaries_from((organization.settings or {}).get("tiers"))


async def create_api_key(
    session: AsyncSession, org_id: UUID, *, name: str, scopes: Iterable[str]
) -> tuple[ApiKey, str]:
    """Returns the stored key and its secret; the secret exists only in this return value."""
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in set(Scope)]
    if not chosen or unknown:
        raise Invalid.field(("scopes",), f"scopes must be among read, write, admin; got {chosen}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKeyRepository(session, org_id).add(
        ApiKey(name=name, prefix=secret[:12], key_hash=hash_key(secret), scopes=chosen)
    )
    await session.flush()
    return key, secret


async def list_api_keys(session: AsyncSession, org_id: UUID) -> list[ApiKey]:
    return await ApiKeyRepository(session, org_id).list()


async def revoke_api_key(session: AsyncSession, org_id: UUID, key_id: UUID) -> ApiKey:
    key = await ApiKeyRepository(session, org_id).get(key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.flush()
    return key


async def authenticate(session: AsyncSession, secret: str | None) -> Principal:
    if not secret:
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    repository = OrganizationRepository(session)
    key = await repository.active_key_by_hash(hash_key(secret))
    if key is None:
        raise Unauthorized("invalid or revoked API key")
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        await repository.touch_key(key.id, now)
    return Principal(org_id=key.org_id, key_id=key.id, scopes=frozenset(key.scopes))
