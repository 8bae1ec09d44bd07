"""What each checked item becomes, decided in Python before anything is written: created,
updated, unchanged or rejected (docs/import.md, "Matching"). Pure: it reads what the
organization has (`Known`) and what earlier items of the same import claimed (`ImportBatch`)."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import uuid_utils

from shared.domain.creator_import.parsing import Row
from shared.domain.creator_import.repository import STORED_FIELDS, Known, Stored
from shared.domain.creator_import.validation import Account, Candidate
from shared.platforms.profiles import profile_url


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    line: int | None
    errors: list[str]


@dataclass
class ImportBatch:
    """One import (a request, a file) across its chunks: which emails, accounts and stored
    creators earlier items claimed, and the running totals."""

    emails: dict[str, str] = field(default_factory=dict)
    accounts: dict[tuple[str, str], str] = field(default_factory=dict)
    targets: dict[UUID, str] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def reject(self, row: Row, errors: list[str]) -> None:
        self.rejected.append(Rejection(row.index, row.line, errors))

    def mark(self) -> tuple[int, int, int, int]:
        return self.created, self.updated, self.unchanged, len(self.rejected)

    def restore(self, mark: tuple[int, int, int, int]) -> None:
        """The totals as they were at `mark`, when the chunk after it was rolled back."""
        self.created, self.updated, self.unchanged, rejected = mark
        del self.rejected[rejected:]


@dataclass
class Plan:
    creators: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    # Every creator created or changed (fields or accounts): their search documents are rebuilt.
    touched: list[UUID] = field(default_factory=list)


EMPTY = {"name": None, "email": None, "niches": [], "country": None, "language": None,
         "tags": [], "notes": None}  # fmt: skip


def plan(candidates: list[Candidate], known: Known, batch: ImportBatch) -> Plan:
    """In item order, so 'repeats an earlier item' always names the first one."""
    result = Plan()
    for candidate in candidates:
        errors = _repeats(candidate, batch)
        _claim(candidate, batch)
        target: Stored | None = None
        if not errors:
            target, errors = _match(candidate, known)
        if not errors and target is not None and target.id in batch.targets:
            errors = [f"matches the same creator ({target.id}) as {batch.targets[target.id]}"]
        if errors:
            batch.reject(candidate.row, errors)
        elif target is None:
            _create(candidate, result, batch)
        else:
            batch.targets[target.id] = candidate.row.where
            _update(candidate, target, known, result, batch)
    return result


def _repeats(candidate: Candidate, batch: ImportBatch) -> list[str]:
    errors = []
    email = candidate.email_key
    if email is not None and email in batch.emails:
        errors.append(f"email: {candidate.fields['email']} repeats {batch.emails[email]}")
    for account in candidate.accounts:
        if account.key in batch.accounts:
            errors.append(
                f"{account.platform}: @{account.handle} repeats {batch.accounts[account.key]}"
            )
    return errors


def _claim(candidate: Candidate, batch: ImportBatch) -> None:
    """An item's email and accounts are its own from now on, whatever becomes of it."""
    where = candidate.row.where
    if candidate.email_key is not None:
        batch.emails.setdefault(candidate.email_key, where)
    for account in candidate.accounts:
        batch.accounts.setdefault(account.key, where)


def _match(candidate: Candidate, known: Known) -> tuple[Stored | None, list[str]]:
    """By email first, then by the accounts; None when nothing matches (a new creator)."""
    owners = {
        account.key: known.by_account[account.key]
        for account in candidate.accounts
        if account.key in known.by_account
    }
    by_email = known.by_email.get(candidate.email_key or "", [])
    if len(by_email) > 1:
        ids = ", ".join(str(creator_id) for creator_id in by_email)
        return None, [
            f"email: {candidate.fields['email']} matches {len(by_email)} creators of this "
            f"organization ({ids}); give each its own email first"
        ]
    target_id = by_email[0] if by_email else None
    if target_id is None and len(set(owners.values())) > 1:
        taken = ", ".join(
            f"{account.platform} @{account.handle} to {owners[account.key]}"
            for account in candidate.accounts
            if account.key in owners
        )
        return None, [f"accounts: they belong to different creators ({taken})"]
    target_id = target_id or next(iter(owners.values()), None)
    if target_id is None:
        return None, []
    errors = [
        f"{account.platform}: @{account.handle} belongs to another creator ({owners[account.key]})"
        for account in candidate.accounts
        if owners.get(account.key, target_id) != target_id
    ]
    target = known.creators[target_id]
    if target.archived:
        errors.append(f"matches creator {target.id}, which is archived")
    return target, errors


def _new_id() -> str:
    # shared.db.new_id's UUIDv7, as text for the JSON rows: uuid_utils' own type converts to
    # text four times faster than the stdlib UUID that new_id returns.
    return str(uuid_utils.uuid7())


def _create(candidate: Candidate, result: Plan, batch: ImportBatch) -> None:
    creator_id = _new_id()
    result.creators.append(_record(creator_id, EMPTY | candidate.fields))
    result.accounts.extend(_account(creator_id, account) for account in candidate.accounts)
    result.touched.append(UUID(creator_id))
    batch.created += 1


def _update(
    candidate: Candidate, target: Stored, known: Known, result: Plan, batch: ImportBatch
) -> None:
    merged = target.fields | candidate.fields
    new = [account for account in candidate.accounts if account.key not in known.by_account]
    if merged == target.fields and not new:
        batch.unchanged += 1
        return
    if merged != target.fields:
        result.updates.append(_record(target.id, merged))
    result.accounts.extend(_account(target.id, account) for account in new)
    result.touched.append(target.id)
    batch.updated += 1


def _record(creator_id: UUID | str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(creator_id), **{name: fields[name] for name in STORED_FIELDS}}


def _account(creator_id: UUID | str, account: Account) -> dict[str, Any]:
    platform, key = account.key
    return {
        "id": _new_id(),
        "creator_id": str(creator_id),
        "platform": platform,
        "handle": account.handle,
        "handle_key": key,
        "external_id": account.external_id,
        "url": profile_url(account.platform, account.handle),
    }
