"""`sway secrets reencrypt` against the real test database. The command commits one transaction
per chunk, so its rows are committed for real here and deleted (with their organizations) after."""

import asyncio
from dataclasses import dataclass, field
from uuid import UUID

import pytest
from sqlalchemy import delete, literal_column, select
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from services.cli.main import app
from shared.config import get_settings
from shared.crypto import CredentialsError, decrypt_credentials, encrypt_credentials, generate_key
from shared.db import create_engine, create_sessionmaker
from shared.domain.account.secrets import replace_tokens
from shared.models import CreatorAccount, Organization
from shared.platforms.base import Credentials
from tests.factories import create_account, create_creator, create_tenant

NEW, OLD, LOST = generate_key(), generate_key(), generate_key()


@dataclass
class Seeded:
    org_ids: list[UUID] = field(default_factory=list)
    # account id -> the credentials sealed on it (under OLD)
    sealed: dict[UUID, Credentials] = field(default_factory=dict)
    lost: list[UUID] = field(default_factory=list)  # sealed under a key nobody has any more
    bare: list[UUID] = field(default_factory=list)  # no credentials at all


@dataclass(frozen=True)
class Row:
    token: str | None
    updated_at: object
    xmin: str


@pytest.fixture
def reencrypt(monkeypatch, database_url):
    """Invoke the command with SWAY_SECRET_KEY=NEW,OLD; seeded organizations are removed after."""
    monkeypatch.setenv("SWAY_DATABASE_URL", database_url)
    monkeypatch.setenv("SWAY_SECRET_KEY", f"{NEW},{OLD}")
    get_settings.cache_clear()
    seeded = Seeded()

    def invoke(*args: str):
        return CliRunner().invoke(app, ["secrets", "reencrypt", *args])

    yield seeded, invoke
    get_settings.cache_clear()
    asyncio.run(_delete_organizations(database_url, seeded.org_ids))


async def _delete_organizations(database_url: str, org_ids: list[UUID]) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(delete(Organization).where(Organization.id.in_(org_ids)))
    await engine.dispose()


async def _seed(database_url: str, seeded: Seeded, orgs: int, sealed: int, lost: int = 0):
    """`orgs` organizations, each with `sealed` accounts under OLD, `lost` under LOST and one
    account without credentials."""
    engine = create_engine(database_url, poolclass=NullPool)
    async with create_sessionmaker(engine)() as session:
        for o in range(orgs):
            tenant = await create_tenant(session, name=f"Org {o}")
            seeded.org_ids.append(tenant.org_id)
            creator = await create_creator(session, tenant.org_id)
            add = _account_adder(session, tenant.org_id, creator.id)
            for a in range(sealed):
                credentials = Credentials(access_token=f"token-{o}-{a}")
                token = encrypt_credentials(credentials, OLD)
                seeded.sealed[await add(f"sealed-{a}", token)] = credentials
            for a in range(lost):
                token = encrypt_credentials(Credentials(access_token="gone"), LOST)
                seeded.lost.append(await add(f"lost-{a}", token))
            seeded.bare.append(await add("bare", None))
    await engine.dispose()


def _account_adder(session, org_id: UUID, creator_id: UUID):
    async def add(handle: str, token: str | None) -> UUID:
        row = await create_account(
            session, org_id, creator_id, handle=handle, credentials_encrypted=token
        )
        return row.id

    return add


async def _rows(database_url: str, org_ids: list[UUID]) -> dict[UUID, Row]:
    engine = create_engine(database_url, poolclass=NullPool)
    async with create_sessionmaker(engine)() as session:
        result = await session.execute(
            select(
                CreatorAccount.id,
                CreatorAccount.credentials_encrypted,
                CreatorAccount.updated_at,
                # The id of the transaction that last wrote the row.
                literal_column("xmin::text"),
            ).where(CreatorAccount.org_id.in_(org_ids))
        )
        rows = {id: Row(token, updated_at, xmin) for id, token, updated_at, xmin in result}
    await engine.dispose()
    return rows


def _summary(rotated: int, lost: int) -> str:
    return f"re-encrypted {rotated} credentials; {lost} could not be decrypted with any key"


class TestReencrypt:
    def test_every_organization_is_readable_under_the_new_key_alone(self, reencrypt, database_url):
        seeded, invoke = reencrypt
        asyncio.run(_seed(database_url, seeded, orgs=3, sealed=3))
        before = asyncio.run(_rows(database_url, seeded.org_ids))

        result = invoke("--chunk-size", "2")

        assert result.exit_code == 0, result.output
        assert _summary(9, 0) in result.stdout
        after = asyncio.run(_rows(database_url, seeded.org_ids))
        for account_id, credentials in seeded.sealed.items():
            assert decrypt_credentials(after[account_id].token, NEW) == credentials
            with pytest.raises(CredentialsError):
                decrypt_credentials(after[account_id].token, OLD)
            assert after[account_id].updated_at == before[account_id].updated_at
        assert all(after[account_id].token is None for account_id in seeded.bare)

    def test_each_chunk_is_its_own_transaction(self, reencrypt, database_url):
        seeded, invoke = reencrypt
        asyncio.run(_seed(database_url, seeded, orgs=3, sealed=3))

        assert invoke("--chunk-size", "2").exit_code == 0

        after = asyncio.run(_rows(database_url, seeded.org_ids))
        # 9 rows, 2 per chunk: 5 transactions wrote them.
        assert len({after[account_id].xmin for account_id in seeded.sealed}) == 5

    def test_running_twice_is_safe(self, reencrypt, database_url):
        seeded, invoke = reencrypt
        asyncio.run(_seed(database_url, seeded, orgs=2, sealed=3))

        first, second = invoke("--chunk-size", "2"), invoke("--chunk-size", "2")

        assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
        assert _summary(6, 0) in second.stdout
        after = asyncio.run(_rows(database_url, seeded.org_ids))
        for account_id, credentials in seeded.sealed.items():
            assert decrypt_credentials(after[account_id].token, NEW) == credentials

    def test_undecryptable_rows_are_listed_and_left_untouched(self, reencrypt, database_url):
        seeded, invoke = reencrypt
        asyncio.run(_seed(database_url, seeded, orgs=2, sealed=2, lost=1))
        before = asyncio.run(_rows(database_url, seeded.org_ids))

        result = invoke("--chunk-size", "2")

        assert result.exit_code == 1, result.output
        assert _summary(4, 2) in result.stdout
        for account_id in seeded.lost:
            assert str(account_id) in result.stdout
        after = asyncio.run(_rows(database_url, seeded.org_ids))
        assert [after[i] for i in seeded.lost] == [before[i] for i in seeded.lost]
        for account_id, credentials in seeded.sealed.items():
            assert decrypt_credentials(after[account_id].token, NEW) == credentials


class TestReplaceTokens:
    async def test_credentials_written_meanwhile_are_not_overwritten(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        current = encrypt_credentials(Credentials(access_token="put-meanwhile"), NEW)
        account = await create_account(
            session, tenant.org_id, creator.id, credentials_encrypted=current
        )
        stale = encrypt_credentials(Credentials(access_token="read-earlier"), OLD)

        assert await replace_tokens(session, [(account.id, stale, "rotated-stale")]) == 0
        assert await replace_tokens(session, [(account.id, current, "rotated-current")]) == 1

        stored = await session.scalar(
            select(CreatorAccount.credentials_encrypted).where(CreatorAccount.id == account.id)
        )
        assert stored == "rotated-current"
