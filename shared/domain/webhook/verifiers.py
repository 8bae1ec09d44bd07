"""What verifying a source's calls needs (its kind and unsealed secrets), kept a few seconds per
process: a sender's calls come in bursts, and each would otherwise pay a round trip to Postgres
and an unsealing before its signature can be checked.

Kept short and checked against the database whenever it matters: a signature that does not
verify with what is kept is tried once more with the source read afresh (so a rotation counts at
once), and the process that disables or rotates a source forgets it on commit. Another process
may accept a disabled source's calls for at most TTL_S more seconds."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

import structlog

from shared.crypto import CredentialsError, unseal
from shared.db import RawReads
from shared.domain.webhook import repository
from shared.domain.webhook.repository import InboundSource

log = structlog.get_logger()
TTL_S = 5.0
# Enough for every busy source; past it the oldest half is dropped.
MAX_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Verifier:
    source: InboundSource
    secret: str
    previous: str | None
    loaded_at: float
    fresh: bool  # read from the database for this call

    def secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its grace period runs."""
        expires = self.source.previous_secret_expires_at
        if self.previous is None or expires is None or expires <= now:
            return [self.secret]
        return [self.secret, self.previous]


class VerifierCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._kept: dict[UUID, Verifier] = {}

    async def get(
        self, reads: RawReads, source_id: UUID, secret_key: str, *, fresh: bool = False
    ) -> Verifier | None:
        """The source's verifier; None for an unknown or disabled source (never kept)."""
        kept = None if fresh else self._kept.get(source_id)
        if kept is not None and self.clock() - kept.loaded_at < TTL_S:
            return kept
        source = await repository.inbound_source(reads, source_id)
        if source is None:
            self._kept.pop(source_id, None)
            return None
        verifier = _unsealed(source, secret_key, self.clock())
        if len(self._kept) >= MAX_KEPT:
            for stale in list(self._kept)[: MAX_KEPT // 2]:
                del self._kept[stale]
        self._kept[source_id] = replace(verifier, fresh=False)
        return verifier

    def forget(self, source_id: UUID) -> None:
        self._kept.pop(source_id, None)

    def clear(self) -> None:
        self._kept.clear()


def _unsealed(source: InboundSource, secret_key: str, loaded_at: float) -> Verifier:
    try:
        secret = unseal(source.secret_sealed, secret_key)
        previous = (
            unseal(source.previous_secret_sealed, secret_key)
            if (source.previous_secret_sealed)
            else None
        )
    except CredentialsError:
        # SWAY_SECRET_KEY lost the key this was sealed under: nothing can verify (401 to the
        # sender), and the operator must restore the key or rotate the source's secret.
        log.error("webhook source secret does not unseal", source_id=str(source.id))
        secret, previous = "", None
    return Verifier(source, secret, previous, loaded_at, fresh=True)
