"""`sway creators import FILE.csv` against the real test database: the organizations a test makes
are committed (the command opens its own connections) and deleted after it, with everything
they own."""

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import delete, select
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from services.cli.main import app
from shared.config import get_settings
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.domain.creator_import.parsing import MAX_FILE_BYTES
from shared.domain.organization import service as organization_service
from shared.models import Creator, CreatorAccount, Organization

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
FIELDS = ("name", "email", "niches", "country", "language", "tags", "notes")


class World:
    """Committed rows for the command to find, and reads of what it wrote."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.orgs: list[UUID] = []

    def run(self, work):
        async def go():
            engine = create_engine(self.database_url, poolclass=NullPool)
            try:
                async with unit_of_work(create_sessionmaker(engine)) as session:
                    return await work(session)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def organization(self, name: str = "Acme") -> UUID:
        async def work(session):
            return (await organization_service.create_organization(session, name=name)).id

        self.orgs.append(self.run(work))
        return self.orgs[-1]

    def creator(self, org_id: UUID, accounts: tuple[tuple[str, str], ...] = (), **fields) -> UUID:
        async def work(session):
            creator = Creator(org_id=org_id, niches=[], tags=[], **fields)
            session.add(creator)
            await session.flush()
            for platform, handle in accounts:
                account = CreatorAccount(
                    org_id=org_id, creator_id=creator.id, platform=platform, sync_status="ok"
                )
                account.handle = handle
                session.add(account)
            return creator.id

        return self.run(work)

    def creators(self, org_id: UUID) -> list[dict]:
        async def work(session):
            rows = await session.execute(
                select(Creator.__table__).where(Creator.org_id == org_id).order_by(Creator.name)
            )
            return [dict(row._mapping) for row in rows]

        return self.run(work)

    def accounts(self, org_id: UUID) -> list[tuple]:
        async def work(session):
            rows = await session.execute(
                select(
                    Creator.name,
                    CreatorAccount.platform,
                    CreatorAccount.handle,
                    CreatorAccount.external_id,
                    CreatorAccount.sync_status,
                )
                .join(Creator, Creator.id == CreatorAccount.creator_id)
                .where(CreatorAccount.org_id == org_id)
                .order_by(Creator.name, CreatorAccount.platform)
            )
            return [tuple(row) for row in rows]

        return self.run(work)


@pytest.fixture
def world(monkeypatch, database_url):
    monkeypatch.setenv("SWAY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    made = World(database_url)
    yield made
    get_settings.cache_clear()

    async def cleanup(session):
        await session.execute(delete(Organization).where(Organization.id.in_(made.orgs)))

    made.run(cleanup)


def sway(*args: str | Path):
    return CliRunner().invoke(app, ["creators", "import", *map(str, args)])


def fields(creator: dict) -> dict:
    return {name: creator[name] for name in FIELDS}


class TestImport:
    def test_good_rows_are_created_with_their_accounts(self, world):
        org = world.organization()
        result = sway(FIXTURES / "good.csv", "--org", org)
        assert result.exit_code == 0, result.output
        assert result.stdout == "3 created, 0 updated, 0 unchanged, 0 rejected\n"
        ada, ben, chloe = world.creators(org)
        assert fields(ada) == {
            "name": "Ada Brews",
            "email": "ada@example.com",
            "niches": ["coffee", "travel"],
            "country": "GB",
            "language": "en-GB",
            "tags": ["vip"],
            "notes": "met at expo, 2026",
        }
        assert fields(ben) == {
            "name": "Ben Roast",
            "email": None,
            "niches": ["coffee"],
            "country": "US",
            "language": "en",
            "tags": [],
            "notes": None,
        }
        # Empty list parts are dropped; a quoted cell keeps its line break.
        assert (chloe["niches"], chloe["country"], chloe["notes"]) == (
            ["coffee", "pastry"],
            "FR",
            "two\nlines",
        )
        assert world.accounts(org) == [
            ("Ada Brews", "instagram", "ada.brews", None, "pending"),
            ("Ada Brews", "tiktok", "adabrews", None, "pending"),
            ("Ben Roast", "instagram", "ben.roast", None, "pending"),
            ("Ben Roast", "youtube", "benroast", None, "pending"),
            ("Chloé Café", "x", "chloecafe", None, "pending"),
        ]

    def test_the_documented_template_imports_cleanly(self, world):
        org = world.organization()
        template = Path(__file__).resolve().parents[2] / "docs" / "creators-template.csv"
        result = sway(template, "--org", org)
        assert result.exit_code == 0, result.output
        assert result.stdout == "3 created, 0 updated, 0 unchanged, 0 rejected\n"
        assert len(world.accounts(org)) == 8

    def test_importing_the_same_file_again_changes_nothing(self, world):
        org = world.organization()
        assert sway(FIXTURES / "good.csv", "--org", org).exit_code == 0
        creators, accounts = world.creators(org), world.accounts(org)
        again = sway(FIXTURES / "good.csv", "--org", org)
        assert again.exit_code == 0, again.output
        assert again.stdout == "0 created, 0 updated, 3 unchanged, 0 rejected\n"
        assert world.creators(org) == creators  # updated_at included
        assert world.accounts(org) == accounts

    def test_an_update_by_email(self, world):
        org = world.organization()
        ada = world.creator(
            org, (("x", "ada"),), name="Ada", email="Ada@Example.com", country="US",
            language="en", notes="old notes",
        )  # fmt: skip
        result = sway(FIXTURES / "update.csv", "--org", org)
        assert result.exit_code == 0, result.output
        assert result.stdout == "0 created, 1 updated, 0 unchanged, 0 rejected\n"
        [after] = world.creators(org)
        assert after["id"] == ada
        # The cells given replace what was stored; the empty country cell keeps "US".
        assert fields(after) == {
            "name": "Ada Brews",
            "email": "ADA@example.com",
            "niches": ["tea"],
            "country": "US",
            "language": "en",
            "tags": [],
            "notes": "new notes",
        }
        assert world.accounts(org) == [
            ("Ada Brews", "tiktok", "adabrews", None, "pending"),
            ("Ada Brews", "x", "ada", None, "ok"),
        ]

    def test_a_bom_is_fine(self, world):
        org = world.organization()
        result = sway(FIXTURES / "bom.csv", "--org", org)
        assert result.exit_code == 0, result.output
        assert world.accounts(org) == [("Ada Brews", "instagram", "ada.brews", None, "pending")]

    def test_a_dry_run_writes_nothing(self, world):
        org = world.organization()
        result = sway(FIXTURES / "good.csv", "--org", org, "--dry-run")
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            "3 would be created, 0 would be updated, 0 unchanged, 0 rejected "
            "(dry run: nothing was written)\n"
        )
        assert world.creators(org) == []

    def test_chunks_share_what_earlier_rows_claimed(self, world, tmp_path):
        """1,005 rows make two transactions; a handle of row 2 repeated in the second chunk is
        still a repeat."""
        org = world.organization()
        rows = [f"Creator {n},c{n}@example.com,c{n}.insta" for n in range(1, 1005)]
        rows.append("Late twin,,C2.INSTA")
        path = tmp_path / "many.csv"
        path.write_text("name,email,instagram\n" + "\n".join(rows) + "\n")
        result = sway(path, "--org", org)
        assert result.exit_code == 1
        assert result.stdout == (
            "1004 created, 0 updated, 0 unchanged, 1 rejected\n"
            "line 1006: instagram: @C2.INSTA repeats line 3\n"
        )
        assert len(world.creators(org)) == 1004


class TestRejectedRows:
    def test_each_bad_row_is_reported_with_its_line(self, world):
        org = world.organization()
        world.creator(org, name="Fay", email="fay@example.com")
        other = world.creator(org, (("x", "taken"),), name="Other")
        result = sway(FIXTURES / "bad.csv", "--org", org)
        assert result.exit_code == 1, result.output
        # Lines count from the header (line 1); "Good One" spans lines 2-3.
        assert result.stdout.splitlines() == [
            "2 created, 0 updated, 0 unchanged, 7 rejected",
            "line 4: name: required",
            "line 5: country: 'USA' is not an ISO 3166-1 alpha-2 country code "
            "(two letters, e.g. US or GB)",
            "line 6: instagram: not a URL of a supported platform: snapchat.com",
            "line 8: instagram: @EVE.INSTA repeats line 7",
            f"line 9: x: @taken belongs to another creator ({other})",
            "line 10: tiktok: this URL is of a profile on instagram, not on tiktok",
            "line 11: the row has 11 values; the header names 10",
        ]
        names = [creator["name"] for creator in world.creators(org)]
        assert names == ["Eve", "Fay", "Good One", "Other"]


class TestRefusedFiles:
    @pytest.mark.parametrize(
        ("fixture", "reason"),
        [
            (
                "latin1.csv",
                "latin1.csv is not UTF-8: line 3 has the byte 0xe9 at position 5; save the "
                "file as UTF-8 (in Excel: CSV UTF-8)",
            ),
            (
                "unknown_column.csv",
                "unknown columns: snapchat, followers; the columns are name, email, niches, "
                "country, language, tags, notes, instagram, facebook, youtube, tiktok, x, "
                "linkedin, pinterest, demo (a platform column holds a handle or a profile URL)",
            ),
            ("missing_name.csv", "missing required column: name"),
            (
                "semicolons.csv",
                "the header has a single column: columns are separated by commas, not ';' or tabs",
            ),
        ],
    )
    def test_refused_whole_and_nothing_written(self, world, fixture, reason):
        org = world.organization()
        result = sway(FIXTURES / fixture, "--org", org)
        assert result.exit_code == 2
        assert result.stderr == f"refused: {reason}\n"
        assert world.creators(org) == []

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self, world, tmp_path):
        org = world.organization()
        path = tmp_path / "huge.csv"
        with path.open("wb") as file:
            file.truncate(MAX_FILE_BYTES + 1)  # sparse: NUL bytes, which reading would refuse
        result = sway(path, "--org", org)
        assert result.exit_code == 2
        assert result.stderr == (
            "refused: huge.csv is 52,428,801 bytes; the limit is 52,428,800 bytes (50 MiB): "
            "split it into smaller files\n"
        )

    def test_a_10_mb_cell_is_refused_with_its_line(self, world, tmp_path):
        org = world.organization()
        path = tmp_path / "big_cell.csv"
        path.write_text("name,notes\nAda,short\nBen," + "x" * 10_000_000 + "\n")
        result = sway(path, "--org", org)
        assert result.exit_code == 2
        assert result.stderr == (
            "refused: line 3: not valid CSV (field larger than field limit (131072))\n"
        )
        assert world.creators(org) == []

    def test_an_empty_file(self, world, tmp_path):
        org = world.organization()
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        result = sway(path, "--org", org)
        assert result.exit_code == 2
        assert result.stderr == "refused: the file is empty: the first line names the columns\n"


class TestOrganization:
    def test_the_only_organization_is_the_default(self, world):
        org = world.organization()
        result = sway(FIXTURES / "bom.csv")
        assert result.exit_code == 0, result.output
        assert [c["name"] for c in world.creators(org)] == ["Ada Brews"]

    def test_several_organizations_need_org(self, world):
        first, second = world.organization("A"), world.organization("B")
        result = sway(FIXTURES / "bom.csv")
        assert result.exit_code == 2
        assert result.stderr == "error: there are several organizations: name one with --org ID\n"
        assert world.creators(first) == world.creators(second) == []

    @pytest.mark.parametrize(
        ("org", "message"),
        [("nope", "'nope' is not an organization id"), (str(UUID(int=7)), "not found")],
    )
    def test_a_bad_org(self, world, org, message):
        world.organization()
        result = sway(FIXTURES / "bom.csv", "--org", org)
        assert result.exit_code == 2
        assert message in result.output

    def test_matching_never_crosses_organizations(self, world):
        a, b = world.organization("A"), world.organization("B")
        accounts = (("instagram", "ada.brews"),)
        theirs = world.creator(a, accounts, name="A's Ada", email="ada@example.com")
        before = (world.creators(a), world.accounts(a))
        result = sway(FIXTURES / "good.csv", "--org", b)
        assert result.stdout.startswith("3 created, 0 updated"), result.output
        assert (world.creators(a), world.accounts(a)) == before
        assert world.creators(a)[0]["id"] == theirs
        assert ("Ada Brews", "instagram", "ada.brews", None, "pending") in world.accounts(b)
