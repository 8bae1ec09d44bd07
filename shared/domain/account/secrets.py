"""Stored platform credentials across every organization, for `sway secrets reencrypt`.

This is the one operator path that deliberately spans tenants (like the scheduler's claim in
repository.py): it reads and rewrites only the encrypted column and never hands a row to
tenant-facing code. Each call works on one chunk; the caller commits per chunk, so a large table
is never one long transaction and an interrupted run can simply be started again."""

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import Text, Uuid, column, func, select, update, values
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto import CredentialsError, rotate_credentials
from shared.models import CreatorAccount


@dataclass(frozen=True)
class Undecryptable:
    account_id: UUID
    org_id: UUID


@dataclass
class Chunk:
    seen: int = 0
    rotated: int = 0
    # Rewritten by someone else (new credentials PUT) between our read and our write.
    changed: int = 0
    undecryptable: list[Undecryptable] = field(default_factory=list)
    # Keyset cursor for the next chunk; None once the table is exhausted.
    last_id: UUID | None = None

    def add(self, other: "Chunk") -> None:
        """Fold a later chunk into this running total."""
        self.seen += other.seen
        self.rotated += other.rotated
        self.changed += other.changed
        self.undecryptable += other.undecryptable
        self.last_id = other.last_id or self.last_id


async def count_credentials(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count()).where(CreatorAccount.credentials_encrypted.is_not(None))
    )


async def _read_chunk(session: AsyncSession, after: UUID | None, limit: int):
    statement = (
        select(CreatorAccount.id, CreatorAccount.org_id, CreatorAccount.credentials_encrypted)
        .where(CreatorAccount.credentials_encrypted.is_not(None))
        .order_by(CreatorAccount.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(CreatorAccount.id > after)
    return (await session.execute(statement)).all()


async def replace_tokens(session: AsyncSession, rotated: list[tuple[UUID, str, str]]) -> int:
    """Swap each old token for its rotated one in one statement, but only where the column still
    holds the token we read: credentials PUT meanwhile were sealed by the API under its current
    key and must not be overwritten with the previous ones. Returns how many rows were swapped."""
    if not rotated:
        return 0
    table = CreatorAccount.__table__
    pairs = values(
        column("id", Uuid), column("old", Text), column("new", Text), name="rotated"
    ).data(rotated)
    statement = (
        update(table)
        .where(table.c.id == pairs.c.id, table.c.credentials_encrypted == pairs.c.old)
        # Keep updated_at: the credentials did not change, only the key sealing them.
        .values(credentials_encrypted=pairs.c.new, updated_at=table.c.updated_at)
        .returning(table.c.id)
    )
    return len((await session.execute(statement)).all())


async def reencrypt_chunk(
    session: AsyncSession, secret_key: str, *, after: UUID | None, limit: int
) -> Chunk:
    """Re-encrypt up to `limit` stored credentials with ids above `after` under the first key of
    `secret_key`. Rows no key decrypts are reported and left as they are."""
    rows = await _read_chunk(session, after, limit)
    chunk = Chunk(seen=len(rows), last_id=rows[-1].id if rows else None)
    rotated = []
    for account_id, org_id, token in rows:
        try:
            rotated.append((account_id, token, rotate_credentials(token, secret_key)))
        except CredentialsError:
            chunk.undecryptable.append(Undecryptable(account_id, org_id))
    chunk.rotated = await replace_tokens(session, rotated)
    chunk.changed = len(rotated) - chunk.rotated
    return chunk
