"""The API's raw reads pool (shared/db.create_reads_pool): a connection goes back to the pool
without asyncpg's reset query, one round trip fewer per hot statement, and a transaction left
open on it is still rolled back first."""

from uuid import uuid4

import asyncpg

from shared.db import RawReads, asyncpg_dsn, create_reads_pool


async def _last_query(database_url: str, pid: int) -> str:
    watcher = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await watcher.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await watcher.close()


class TestReadsPool:
    async def test_a_released_connection_runs_no_reset_query(self, database_url):
        pool = await create_reads_pool(database_url, max_size=2)
        try:
            marker = f"hot-{uuid4().hex}"
            row = await RawReads(pool).fetchrow(f"SELECT pg_backend_pid() AS pid, '{marker}' AS m")
            # The backend's last statement is ours: asyncpg's default would have run
            # "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;" after it.
            assert marker in await _last_query(database_url, row["pid"])
        finally:
            await pool.close()

    async def test_a_transaction_left_open_is_rolled_back_on_release(self, database_url):
        pool = await create_reads_pool(database_url, max_size=2)
        try:
            async with pool.acquire() as connection:
                await connection.execute("BEGIN")
                assert connection.is_in_transaction()
            # Both of the pool's connections, so the one left in a transaction is among them.
            async with pool.acquire() as first, pool.acquire() as second:
                for connection in (first, second):
                    assert not connection.is_in_transaction()
                    assert await connection.fetchval("SELECT 1") == 1
        finally:
            await pool.close()
