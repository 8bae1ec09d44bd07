"""The campaign report: one CSV row per post with its latest counts, engagement rate,
disclosure result and deliverable, then the campaign's totals, streamed from a server-side
cursor so a campaign of any size is sent without being held in memory."""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import reads_in
from shared.domain.kpi import service as kpi_service
from shared.domain.kpi.repository import REPORT_COUNTS, KpiRepository

COLUMNS = (
    "row",
    "post_id",
    "creator_id",
    "creator_name",
    "platform",
    "url",
    "published_at",
    "status",
    *REPORT_COUNTS,
    "engagements",
    "followers_at_post",
    "engagement_rate",
    "disclosure_required",
    "disclosure_compliant",
    "disclosure_reason",
    "deliverable_id",
    "deliverable_kind",
    "deliverable_status",
)
CHUNK = 500
# A cell a spreadsheet would read as a formula is written as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def csv_chunks(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: UUID, campaign_id: UUID
) -> AsyncIterator[str]:
    """The report in pieces: the header, the posts CHUNK rows at a time, and the totals row (the
    campaign's KPIs read right after the rows, in the same transaction: a post refreshed in
    between is counted at its newer figures there)."""
    async with sessionmaker() as session, session.begin():
        yield _lines([COLUMNS])
        batch = []
        async for row in KpiRepository(session, org_id).report_rows(campaign_id):
            batch.append(_post_line(row))
            if len(batch) == CHUNK:
                yield _lines(batch)
                batch = []
        reads = await reads_in(session)
        kpis = await kpi_service.campaign_kpis(reads, org_id, campaign_id, now=datetime.now(UTC))
        batch.append(_totals_line(kpis["totals"]))
        yield _lines(batch)


def _post_line(row: Any) -> list[Any]:
    disclosure = row.disclosure or {}
    return [
        "post",
        row.id,
        row.creator_id,
        _text(row.creator_name),
        row.platform,
        _text(row.url),
        row.published_at.isoformat() if row.published_at else None,
        row.status,
        *(getattr(row, name) for name in REPORT_COUNTS),
        row.engagements,
        row.followers_at_post,
        row.engagements / row.followers_at_post
        if row.engagements is not None and row.followers_at_post
        else None,
        disclosure.get("required"),
        disclosure.get("compliant"),
        disclosure.get("reason"),
        row.deliverable_id,
        row.deliverable_kind,
        row.deliverable_status,
    ]


def _totals_line(totals: dict[str, Any]) -> list[Any]:
    values = {
        "row": "total",
        **{name: totals.get(name) for name in (*REPORT_COUNTS, "engagements")},
        "engagement_rate": totals["engagement_rate"],
        "disclosure_compliant": totals["disclosure_rate"],
    }
    # The column is the posts' own clicks, as their platforms report them: their sum is
    # `platform_clicks` (the `clicks` KPI counts the campaign's tracking links instead).
    values["clicks"] = totals.get("platform_clicks")
    return [values.get(column) for column in COLUMNS]


def _text(value: str | None) -> str | None:
    if value and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _lines(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
