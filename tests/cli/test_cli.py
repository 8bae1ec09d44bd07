"""The command line against the real test database (committed rows are cleaned up after)."""

import asyncio
import json
from uuid import UUID

import pytest
from sqlalchemy import delete
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from services.cli.main import app
from shared.config import get_settings
from shared.db import create_engine
from shared.domain.organization import service as organization_service
from shared.models import Organization


@pytest.fixture
def cli_env(monkeypatch, database_url):
    monkeypatch.setenv("SWAY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    created: list[str] = []
    yield created
    get_settings.cache_clear()

    async def cleanup():
        engine = create_engine(database_url, poolclass=NullPool)
        async with engine.begin() as connection:
            ids = [UUID(i) for i in created]
            await connection.execute(delete(Organization).where(Organization.id.in_(ids)))
        await engine.dispose()

    asyncio.run(cleanup())


async def _authenticate(database_url: str, key: str):
    from shared.db import create_sessionmaker

    engine = create_engine(database_url, poolclass=NullPool)
    async with create_sessionmaker(engine)() as session:
        principal = await organization_service.authenticate(session, key)
    await engine.dispose()
    return principal


class TestOrgCreate:
    def test_json_prints_org_and_admin_key(self, cli_env, database_url):
        result = CliRunner().invoke(app, ["org", "create", "Acme", "--json"])
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
        cli_env.append(payload["org_id"])
        assert payload.keys() == {"org_id", "api_key"}
        principal = asyncio.run(_authenticate(database_url, payload["api_key"]))
        assert str(principal.org_id) == payload["org_id"]
        assert principal.scopes == {"admin"}


class TestKeysCreate:
    def test_creates_scoped_key(self, cli_env, database_url):
        org = json.loads(CliRunner().invoke(app, ["org", "create", "Acme", "--json"]).stdout)
        cli_env.append(org["org_id"])
        result = CliRunner().invoke(
            app, ["keys", "create", "--org", org["org_id"], "--scopes", "read,write", "--json"]
        )
        assert result.exit_code == 0, result.output
        payload = json.loads(result.stdout)
        assert payload["scopes"] == ["read", "write"]
        principal = asyncio.run(_authenticate(database_url, payload["api_key"]))
        assert principal.scopes == {"read", "write"}

    @pytest.mark.parametrize(
        ("org", "scopes", "message"),
        [
            ("nope", "read", "not an organization id"),
            ("0190f000-0000-7000-8000-000000000000", "read", "not found"),
        ],
    )
    def test_bad_arguments(self, cli_env, org, scopes, message):
        result = CliRunner().invoke(app, ["keys", "create", "--org", org, "--scopes", scopes])
        assert result.exit_code != 0
        assert message in result.output

    def test_unknown_scope(self, cli_env):
        org = json.loads(CliRunner().invoke(app, ["org", "create", "Acme", "--json"]).stdout)
        cli_env.append(org["org_id"])
        result = CliRunner().invoke(
            app, ["keys", "create", "--org", org["org_id"], "--scopes", "root"]
        )
        assert result.exit_code == 1
        assert "scopes must be among" in result.output
