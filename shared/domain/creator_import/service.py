"""Importing creators: `POST /v1/creators:bulk` and `sway creators import` both call
`import_rows`, a chunk at a time, with one `ImportBatch` per request or file.

A chunk is checked, matched against the organization in two queries, and written in at most
three statements (new creators, changed creators, new accounts), then the search documents of
the creators it touched are rebuilt in one more. Nothing is ever committed here."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.account import service as account_service
from shared.domain.creator_import import planning, validation
from shared.domain.creator_import import repository as import_repository
from shared.domain.creator_import.parsing import Row
from shared.domain.creator_import.planning import ImportBatch
from shared.domain.creator_import.repository import ImportRepository, organization_ids
from shared.domain.creator_import.schemas import CreatorBulk, CreatorBulkRead, RejectedItem
from shared.domain.discovery import documents
from shared.domain.organization import service as organization_service
from shared.errors import Conflict, Invalid, NotFound
from shared.jobs import JobQueue


async def import_rows(
    session: AsyncSession,
    org_id: UUID,
    rows: Sequence[Row],
    batch: ImportBatch,
    *,
    jobs: JobQueue | None,
    dry_run: bool = False,
) -> None:
    """Check, match and write one chunk; the outcome is added to `batch`.

    New accounts are due for their first sync at once (`next_sync_at` now), which the worker's
    scheduler picks up on its next tick; with `jobs`, each sync is also queued after commit, as
    adding one account does. `dry_run` decides everything and writes nothing."""
    first = len(batch.rejected)
    candidates = []
    for row in rows:
        checked = validation.check(row)
        if isinstance(checked, list):
            batch.reject(row, checked)
        else:
            candidates.append(checked)
    repository = ImportRepository(session, org_id)
    if not dry_run:
        await repository.lock()
    known = await repository.known(
        sorted({c.email_key for c in candidates if c.email_key}),
        sorted({account.key for c in candidates for account in c.accounts}),
    )
    plan = planning.plan(candidates, known, batch)
    batch.rejected[first:] = sorted(batch.rejected[first:], key=lambda r: r.index)
    if not dry_run:
        await _write(session, org_id, repository, plan, jobs)


async def _write(
    session: AsyncSession,
    org_id: UUID,
    repository: ImportRepository,
    plan: planning.Plan,
    jobs: JobQueue | None,
) -> None:
    await repository.insert_creators(plan.creators)
    await repository.update_creators(plan.updates)
    inserted = await repository.insert_accounts(plan.accounts)
    if len(inserted) < len(plan.accounts):
        # Only a request that ran between this chunk's lookup and its insert can take a handle
        # (imports of one organization take turns): nothing of the chunk is kept.
        raise Conflict(
            "an account in this import was added by another request meanwhile; send it again"
        )
    await documents.refresh_creators(session, org_id, plan.touched)
    if jobs is not None:
        for account_id in inserted:
            account_service.request_sync(jobs, org_id, account_id)


async def bulk(
    session: AsyncSession, org_id: UUID, body: CreatorBulk, *, max_items: int, jobs: JobQueue
) -> CreatorBulkRead:
    if len(body.items) > max_items:
        raise Invalid.field(
            ("body", "items"),
            f"at most {max_items} items per request (got {len(body.items)}); "
            "send the rest in further requests",
            "too_long",
        )
    batch = ImportBatch()
    rows = [Row(index, None, item) for index, item in enumerate(body.items)]
    await import_rows(session, org_id, rows, batch, jobs=jobs)
    return CreatorBulkRead(
        created=batch.created,
        updated=batch.updated,
        unchanged=batch.unchanged,
        rejected=[RejectedItem(index=r.index, errors=r.errors) for r in batch.rejected],
    )


@dataclass
class Statistics:
    """When a long import refreshes the planner's statistics. A table that grew from a few rows
    to many since its last ANALYZE is planned as if it were still small: the chunks' statements
    (the search documents' above all) then scan the organization's every account instead of
    probing the chunk's, and each chunk costs more than the last. Autovacuum's own ANALYZE comes
    a minute or more later (or never, where it is off), so the import runs one whenever it has
    created more creators than the planner counted: a few times in all (into an empty table,
    after 2,000 creators, then 5,000, 11,000, 23,000...), and never for an import small next to
    the table."""

    planned: int = 0
    created_then: int = 0

    async def start(self, session: AsyncSession) -> None:
        self.planned = await import_repository.planned_creators(session)

    def due(self, created: int, floor: int) -> bool:
        return created - self.created_then > max(self.planned, floor)

    async def refresh(self, session: AsyncSession, created: int) -> None:
        self.planned = await import_repository.analyze(session)
        self.created_then = created


def chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def organization_for_import(session: AsyncSession, org_id: UUID | None) -> UUID:
    """The organization named, or the only one there is (a first run's demo organization)."""
    if org_id is not None:
        return (await organization_service.get_organization(session, org_id)).id
    found = await organization_ids(session, limit=2)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("there is no organization yet: create one with `sway org create NAME`")
    raise Invalid.field(
        ("org",), "there are several organizations: name one with --org ID", "missing"
    )
