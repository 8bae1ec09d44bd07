"""Keyset pages are index-bounded at any depth: Postgres starts the index scan at the cursor
(the row-value comparison is an Index Cond), so a deep page reads its own rows, not every row
before it. Proved on the real planner, over enough rows that a bounded scan is the cheap plan."""

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from shared.domain.history import service as history
from shared.domain.pagination import SortKey, apply_keyset, encode_cursor, parse_datetime
from shared.domain.post.repository import SNAPSHOT_ORDER
from shared.models import Campaign, PostSnapshot
from tests.factories import create_account, create_creator, create_post, create_tenant, utc

ROWS = 5_000
LIMIT = 50
START = utc(2026, 1, 1)


@pytest.fixture
async def campaigns(session):
    """ROWS campaigns of one organization, one a minute from START, the table analysed."""
    tenant = await create_tenant(session)
    await session.execute(
        text(
            "INSERT INTO campaign (id, org_id, name, objective, status, currency, hashtags,"
            " mentions, platforms, created_at, updated_at)"
            " SELECT gen_random_uuid(), :org, 'c' || n, 'awareness', 'draft', 'USD', '{}', '{}',"
            " '{}', CAST(:start AS timestamptz) + n * interval '1 minute', now()"
            " FROM generate_series(1, :rows) n"
        ),
        {"org": tenant.org_id, "start": START, "rows": ROWS},
    )
    await session.execute(text("ANALYZE campaign"))
    return tenant.org_id


async def _plan(session, statement) -> dict[str, Any]:
    compiled = statement.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    result = await session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}"))
    raw = result.scalar_one()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _nodes(plan: dict[str, Any]):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def _page_plan(session, org_id, *, descending: bool) -> dict[str, Any]:
    key = SortKey(Campaign.created_at, descending=descending, parse=parse_datetime)
    middle = (
        await session.execute(
            select(Campaign.created_at, Campaign.id)
            .where(Campaign.org_id == org_id)
            .order_by(Campaign.created_at)
            .offset(ROWS // 2)
            .limit(1)
        )
    ).one()
    cursor = encode_cursor(middle.created_at, middle.id)
    statement = apply_keyset(
        select(Campaign).where(Campaign.org_id == org_id), key, Campaign.id, cursor, LIMIT
    )
    return await _plan(session, statement)


@pytest.mark.parametrize("descending", [True, False], ids=["newest_first", "oldest_first"])
async def test_a_deep_page_starts_the_index_scan_at_the_cursor(session, campaigns, descending):
    plan = await _page_plan(session, campaigns, descending=descending)
    scans = [node for node in _nodes(plan) if node["Node Type"] == "Index Scan"]
    assert [scan["Index Name"] for scan in scans] == ["ix_campaign_org_id_created_at"]
    (scan,) = scans
    assert "ROW(created_at, id)" in scan["Index Cond"], scan
    # Bounded: the page's rows and the one that says another page exists, nothing filtered.
    assert scan.get("Rows Removed by Filter", 0) == 0
    assert scan["Actual Rows"] == LIMIT + 1


async def test_the_deep_page_is_the_next_rows_in_order(session, campaigns):
    """The row comparison pages exactly like the spelled-out one did: strictly after the
    cursor, ties on the sort column broken by id."""
    tie = START + timedelta(minutes=10)
    await session.execute(
        text(
            "UPDATE campaign SET created_at = :tie WHERE org_id = :org"
            " AND created_at BETWEEN CAST(:tie AS timestamptz) - interval '3 minutes' AND :tie"
        ),
        {"tie": tie, "org": campaigns},
    )
    ordered = (
        await session.execute(
            select(Campaign.created_at, Campaign.id)
            .where(Campaign.org_id == campaigns)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    ).all()
    at = next(i for i, row in enumerate(ordered) if row.created_at == tie) + 1
    key = SortKey(Campaign.created_at, descending=True, parse=parse_datetime)
    statement = apply_keyset(
        select(Campaign.created_at, Campaign.id).where(Campaign.org_id == campaigns),
        key,
        Campaign.id,
        encode_cursor(ordered[at].created_at, ordered[at].id),
        LIMIT,
    )
    page = (await session.execute(statement)).all()
    assert page == ordered[at + 1 : at + 2 + LIMIT]


async def test_a_page_deep_in_a_posts_history_is_bounded_by_the_primary_key(session):
    """Snapshots page by captured_at alone (unique per post, the post id the tie-breaker), in
    month partitions: the partitions newer than the cursor are pruned, and each one scanned is
    bounded by its primary key (post_id, captured_at), one row over at most."""
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    post = await create_post(session, account)
    await session.execute(
        text(
            "INSERT INTO post_snapshot (org_id, post_id, captured_at, views)"
            " SELECT :org, :post, CAST(:start AS timestamptz) + n * interval '1 hour', n"
            " FROM generate_series(1, :rows) n"
        ),
        {"org": tenant.org_id, "post": post.id, "start": START, "rows": ROWS},
    )
    # January to July 2026 get their month partitions, as the history cron gives them.
    await history.ensure_partitions(session, now=START, ahead=0)
    await session.execute(text("ANALYZE post_snapshot"))
    cursor_at = START + timedelta(hours=ROWS // 2)  # 2026-04-15
    statement = apply_keyset(
        select(PostSnapshot).where(
            PostSnapshot.org_id == tenant.org_id, PostSnapshot.post_id == post.id
        ),
        SNAPSHOT_ORDER,
        PostSnapshot.post_id,
        encode_cursor(cursor_at, post.id),
        LIMIT,
    )
    plan = await _plan(session, statement)
    scans = [node for node in _nodes(plan) if node["Node Type"] == "Index Scan"]
    scanned = {scan["Relation Name"] for scan in scans}
    assert "post_snapshot_y2026m04" in scanned
    assert scanned.isdisjoint({"post_snapshot_y2026m05", "post_snapshot_y2026m07"}), scanned
    for scan in scans:
        assert scan["Index Name"] == f"{scan['Relation Name']}_pkey"
        assert "ROW(captured_at, post_id) <" in scan["Index Cond"], scan
        assert scan.get("Rows Removed by Filter", 0) <= 1
    assert LIMIT + 1 <= sum(scan["Actual Rows"] for scan in scans) <= LIMIT + len(scans)
    page = (await session.execute(statement)).scalars().all()
    assert [s.captured_at for s in page] == [
        cursor_at - timedelta(hours=n) for n in range(1, LIMIT + 2)
    ]
