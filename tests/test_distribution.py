"""The migrated schema could be distributed by org_id with Citus as it is: the walk below reads
pg_catalog and names every table that would not distribute (shared/distribution.py says which
tables are exceptions, and why)."""

from collections.abc import Collection

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.distribution import DISTRIBUTION_COLUMN, LOCAL_TABLES, REFERENCE_TABLES
from shared.domain.link.repository import LinkRepository
from shared.models import ApiKey, TrackingLink
from tests.factories import create_campaign, create_creator, create_tenant

ORG = DISTRIBUTION_COLUMN

# Every table, partitioned parents included but not their partitions, with its columns.
_TABLES = """
SELECT c.oid, c.relname, array_agg(a.attname::text ORDER BY a.attnum) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
GROUP BY c.oid, c.relname
"""

# Primary keys and unique indexes (constraints or not), with their key columns; an expression
# column names nothing.
_UNIQUES = """
SELECT i.indrelid AS table_oid, x.relname AS name, i.indisprimary AS is_primary,
       array(SELECT a.attname::text FROM unnest(i.indkey[0 : i.indnkeyatts - 1]) k
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
WHERE i.indisunique
"""

# Foreign keys: columns paired in order, the referenced table, and which columns SET NULL or SET
# DEFAULT clears (all of them when confdelsetcols is null).
_FOREIGN_KEYS = """
SELECT f.conrelid AS table_oid, f.conname AS name, t.relname AS target,
       array(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n
             ORDER BY k.i) AS columns,
       array(SELECT a.attname::text FROM unnest(f.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n
             ORDER BY k.i) AS target_columns,
       f.confdeltype IN ('n', 'd') AS clears,
       array(SELECT a.attname::text FROM unnest(coalesce(f.confdelsetcols, f.conkey)) k
             JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k) AS cleared
FROM pg_constraint f JOIN pg_class t ON t.oid = f.confrelid
WHERE f.contype = 'f' AND f.conparentid = 0
"""


async def distribution_problems(
    connection,
    reference: Collection[str] = REFERENCE_TABLES,
    local: Collection[str] = LOCAL_TABLES,
) -> list[str]:
    """What would stop `create_distributed_table(t, 'org_id')` for every table with an org_id
    and `create_reference_table(t)` for the named ones; empty when nothing would."""
    tables = {row.oid: row for row in await connection.execute(text(_TABLES))}
    names = {row.relname for row in tables.values()}
    uniques = (await connection.execute(text(_UNIQUES))).all()
    foreign_keys = (await connection.execute(text(_FOREIGN_KEYS))).all()
    problems = [f"{name}: named an exception but absent" for name in {*reference, *local} - names]
    for oid, table in tables.items():
        name = table.relname
        if name in local:
            continue
        if name in reference:
            for fk in (fk for fk in foreign_keys if fk.table_oid == oid):
                if fk.target not in reference:
                    problems.append(f"{name}: reference table references {fk.target} ({fk.name})")
            continue
        if ORG not in table.columns:
            problems.append(f"{name}: no {ORG} and not named a reference or local table")
            continue
        for index in (index for index in uniques if index.table_oid == oid):
            if ORG not in index.columns:
                kind = "primary key" if index.is_primary else "unique index"
                problems.append(f"{name}: {kind} {index.name} lacks {ORG}")
        if not any(index.is_primary for index in uniques if index.table_oid == oid):
            problems.append(f"{name}: no primary key")
        for fk in (fk for fk in foreign_keys if fk.table_oid == oid):
            problems.extend(_foreign_key_problems(name, fk, reference, local))
    return sorted(problems)


def _foreign_key_problems(name: str, fk, reference, local) -> list[str]:
    if fk.target in reference:
        return []
    if fk.target in local:
        return [f"{name}: references local table {fk.target} ({fk.name})"]
    pairs = list(zip(fk.columns, fk.target_columns, strict=True))
    if (ORG, ORG) not in pairs:
        return [f"{name}: {fk.name} does not pair {ORG} with {fk.target}.{ORG}"]
    if fk.clears and ORG in fk.cleared:
        return [f"{name}: {fk.name} sets {ORG} to null or default on delete"]
    return []


class TestDistribution:
    async def test_every_table_distributes_by_org_id_or_is_named(self, connection):
        assert await distribution_problems(connection) == []

    async def test_the_walk_finds_each_kind_of_problem(self, connection):
        statements = [
            "CREATE TABLE bad_key (id uuid PRIMARY KEY, org_id uuid)",
            "CREATE TABLE bad_unique (id uuid, org_id uuid, code text, PRIMARY KEY (id, org_id))",
            "CREATE UNIQUE INDEX uq_bad_unique_code ON bad_unique (code)",
            "CREATE TABLE bad_pairing (id uuid, org_id uuid, other uuid, post_id uuid,"
            " PRIMARY KEY (id, org_id), CONSTRAINT fk_bad_pairing FOREIGN KEY (post_id, other)"
            " REFERENCES post (id, org_id))",
            "CREATE TABLE bad_null (id uuid, org_id uuid, campaign_id uuid,"
            " PRIMARY KEY (id, org_id), CONSTRAINT fk_bad_null FOREIGN KEY (campaign_id, org_id)"
            " REFERENCES campaign (id, org_id) ON DELETE SET NULL)",
            "CREATE TABLE good_null (id uuid, org_id uuid, campaign_id uuid,"
            " PRIMARY KEY (id, org_id), FOREIGN KEY (campaign_id, org_id)"
            " REFERENCES campaign (id, org_id) ON DELETE SET NULL (campaign_id))",
            "CREATE TABLE no_org (id uuid PRIMARY KEY)",
            "CREATE TABLE bad_reference (code text PRIMARY KEY, org_id uuid, post_id uuid,"
            " CONSTRAINT fk_bad_reference FOREIGN KEY (post_id, org_id)"
            " REFERENCES post (id, org_id))",
        ]
        for statement in statements:
            await connection.execute(text(statement))
        reference = {*REFERENCE_TABLES, "bad_reference", "gone_reference"}
        assert await distribution_problems(connection, reference=reference) == [
            f"bad_key: primary key bad_key_pkey lacks {ORG}",
            f"bad_null: fk_bad_null sets {ORG} to null or default on delete",
            f"bad_pairing: fk_bad_pairing does not pair {ORG} with post.{ORG}",
            "bad_reference: reference table references post (fk_bad_reference)",
            f"bad_unique: unique index uq_bad_unique_code lacks {ORG}",
            "gone_reference: named an exception but absent",
            f"no_org: no {ORG} and not named a reference or local table",
        ]


class TestGlobalKeys:
    """Keys that are found before the organization is known stay unique across organizations,
    although the distributed tables' unique keys now include org_id."""

    async def test_a_link_code_is_taken_once_across_organizations(self, session):
        async def add_link(name: str) -> None:
            tenant = await create_tenant(session, name)
            campaign = await create_campaign(session, tenant.org_id)
            creator = await create_creator(session, tenant.org_id)
            link = TrackingLink(
                campaign_id=campaign.id,
                creator_id=creator.id,
                code="Same1234",
                destination_url="https://a.example/",
                tracked_url="https://a.example/?utm_content=Same1234",
            )
            async with session.begin_nested():
                LinkRepository(session, tenant.org_id).add(link)
                await session.flush()

        await add_link("One")
        with pytest.raises(IntegrityError, match="pk_link_code"):
            await add_link("Two")

    async def test_an_api_key_hash_is_taken_once_across_organizations(self, session):
        first, second = [await create_tenant(session, name) for name in ("One", "Two")]

        async def add_key(org_id) -> None:
            async with session.begin_nested():
                session.add(
                    ApiKey(org_id=org_id, name="k", prefix="sway_", key_hash="f" * 64, scopes=[])
                )
                await session.flush()

        await add_key(first.org_id)
        with pytest.raises(IntegrityError, match="uq_api_key_key_hash"):
            await add_key(second.org_id)
