"""Brand listening's scan (shared/domain/listening/scan.py): a job per organization, queued when
comments arrive or the brand changes, and by a cron every five minutes for every organization
with something to listen to (a caption pass comes due, comments wait)."""

from typing import Any

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.listening import profile as profile_service
from shared.domain.listening import scan
from shared.domain.listening.repository import listening_orgs
from shared.jobs import JobQueue

log = structlog.get_logger()


async def schedule_listening(ctx: WorkerContext) -> int:
    async with unit_of_work(ctx["sessionmaker"], ctx["redis"]) as session:
        orgs = await listening_orgs(session)
        for org_id in orgs:
            profile_service.defer_scan(session, org_id)
    return len(orgs)


async def scan_organization(ctx: WorkerContext, payload: dict[str, Any]) -> str:
    """Scan batches for up to SWAY_LISTENING_JOB_S, then queue the next job if work remains.
    Safe to run twice: each batch makes its texts' mention rows what matching finds now."""
    request = profile_service.ScanOrganization.read(payload)

    def transaction():
        return unit_of_work(ctx["sessionmaker"], ctx["redis"])

    batches, more = await scan.run(transaction, request.org_id, ctx["settings"])
    texts = sum(batch.texts for batch in batches)
    mentions = sum(batch.mentions for batch in batches)
    log.info(
        "listening scanned",
        org_id=str(request.org_id),
        batches=len(batches),
        texts=texts,
        mentions_added=mentions,
        steps=sorted({batch.step for batch in batches}),
        more=more,
    )
    if more:
        # This job's id is still taken while it runs: the next one gets its own.
        async with transaction() as session:
            JobQueue.of(session).defer(
                profile_service.SCAN,
                request,
                job_id=f"{profile_service.SCAN}:{request.org_id}:{ctx.get('job_id', '')}:next",
            )
    return f"{len(batches)} batches, {texts} texts, {mentions} mentions added"
