"""The import service below the API and the command line: a handle taken between a chunk's
lookup and its write, the planner statistics a long import keeps fresh, and the CSV reader's
handling of columns and row shapes."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared.domain.creator_import import planning, service, validation
from shared.domain.creator_import.parsing import CsvFile, FileRefused, Row
from shared.domain.creator_import.repository import ImportRepository
from shared.errors import Conflict
from shared.models import Creator, CreatorAccount
from tests.factories import create_account, create_creator, create_tenant


class TestRace:
    async def test_a_handle_taken_after_the_lookup_fails_the_chunk(self, session):
        tenant = await create_tenant(session)
        row = Row(0, None, {"name": "Ada", "accounts": [{"platform": "x", "handle": "ada"}]})
        candidate = validation.check(row)
        repository = ImportRepository(session, tenant.org_id)
        known = await repository.known([], [candidate.accounts[0].key])
        assert known.by_account == {}
        # Another request adds the handle to another creator after the lookup.
        other = await create_creator(session, tenant.org_id, name="Other")
        await create_account(session, tenant.org_id, other.id, platform="x", handle="ADA")
        plan = planning.plan([candidate], known, planning.ImportBatch())
        with pytest.raises(Conflict, match="added by another request meanwhile"):
            await service._write(session, tenant.org_id, repository, plan, None)

    async def test_a_dry_run_writes_nothing(self, session):
        tenant = await create_tenant(session)
        batch = planning.ImportBatch()
        rows = [Row(0, 2, {"name": "Ada", "accounts": [{"platform": "x", "handle": "ada"}]})]
        await service.import_rows(session, tenant.org_id, rows, batch, jobs=None, dry_run=True)
        assert (batch.created, batch.rejected) == (1, [])
        count = select(func.count()).select_from(Creator).where(Creator.org_id == tenant.org_id)
        assert await session.scalar(count) == 0


class TestStatistics:
    @pytest.mark.parametrize(
        ("planned", "created", "due"),
        [(0, 1000, False), (0, 1001, True), (5000, 4000, False), (5000, 5001, True)],
    )
    def test_due_once_the_import_outgrows_what_the_planner_counts(self, planned, created, due):
        # floor 1000: into an empty table, the first ANALYZE waits for one full chunk.
        assert service.Statistics(planned=planned).due(created, 1000) is due

    def test_counted_from_the_last_refresh(self):
        statistics = service.Statistics(planned=2000, created_then=2000)
        assert not statistics.due(4000, 1000)
        assert statistics.due(4001, 1000)

    async def test_refresh_counts_what_was_written(self, session):
        tenant = await create_tenant(session)
        rows = [Row(n, None, {"name": f"c{n}"}) for n in range(1500)]
        await service.import_rows(session, tenant.org_id, rows, planning.ImportBatch(), jobs=None)
        statistics = service.Statistics()
        await statistics.refresh(session, 1500)
        assert statistics.planned >= 1500
        assert statistics.created_then == 1500


class TestCsvShapes:
    def _write(self, tmp_path: Path, text: str) -> CsvFile:
        path = tmp_path / "creators.csv"
        path.write_text(text)
        return CsvFile(path)

    def test_columns_in_any_case_and_order_and_short_rows(self, tmp_path):
        csv_file = self._write(tmp_path, " Instagram ,NAME,Email\nada.brews,Ada\n\n,Ben,b@x.io\n")
        assert csv_file.check() == 2
        ada, ben = csv_file.rows()
        assert (ada.index, ada.line, ada.data) == (
            0,
            2,
            {"name": "Ada", "accounts": [{"platform": "instagram", "handle": "ada.brews"}]},
        )
        assert ada.account_columns == ("instagram",)
        # The blank line 3 is skipped but counted.
        assert (ben.index, ben.line, ben.data) == (1, 4, {"name": "Ben", "email": "b@x.io"})

    def test_a_column_named_twice(self, tmp_path):
        with pytest.raises(FileRefused, match="columns named more than once: name"):
            self._write(tmp_path, "name,Name\nAda,Ada\n").check()

    def test_a_value_under_a_nameless_column(self, tmp_path):
        [row] = self._write(tmp_path, "name,,x\nAda,oops,ada\n").rows()
        assert row.errors == ("column 2 has no name in the header but holds a value",)
        assert validation.check(row) == ["column 2 has no name in the header but holds a value"]

    def test_a_nameless_empty_column_is_ignored(self, tmp_path):
        [row] = self._write(tmp_path, "name,,x\nAda,,ada\n").rows()
        assert isinstance(validation.check(row), validation.Candidate)

    async def test_imported_accounts_have_the_platform_url(self, session):
        tenant = await create_tenant(session)
        accounts = [{"platform": "pinterest", "handle": "@ada_pins"}]
        rows = [Row(0, 2, {"name": "Ada", "accounts": accounts})]
        await service.import_rows(session, tenant.org_id, rows, planning.ImportBatch(), jobs=None)
        url = await session.scalar(
            select(CreatorAccount.url).where(CreatorAccount.org_id == tenant.org_id)
        )
        assert url == "https://www.pinterest.com/ada_pins/"
