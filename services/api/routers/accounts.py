from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from services.api.deps import (
    AccountId,
    JobsDep,
    Reader,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    Writer,
)
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.account import service as account_service
from shared.domain.account.schemas import AccountRead, AccountSnapshotRead, CredentialsUpdate
from shared.domain.pagination import PageRead

router = APIRouter(
    prefix="/v1/accounts", tags=["accounts"], responses=responses(*AUTHENTICATED, 404)
)


class JobAccepted(BaseModel):
    job_id: str
    status: str = "queued"


@router.get("/{id}", response_model=AccountRead)
async def get_account(id: AccountId, session: ReadSessionDep, principal: Reader):
    return await account_service.get(session, principal.org_id, id)


@router.get(
    "/{id}/snapshots", response_model=PageRead[AccountSnapshotRead], responses=responses(422)
)
async def list_account_snapshots(
    id: AccountId,
    session: ReadSessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    return await account_service.list_snapshots(
        session, principal.org_id, id, cursor=cursor, limit=limit
    )


@router.post(
    "/{id}/refresh",
    response_model=JobAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(409, 422),
)
async def refresh_account(id: AccountId, session: SessionDep, jobs: JobsDep, principal: Writer):
    job_id = await account_service.refresh(session, principal.org_id, id, jobs=jobs)
    return JobAccepted(job_id=job_id)


@router.put("/{id}/credentials", response_model=AccountRead, responses=responses(*WITH_BODY))
async def set_account_credentials(
    id: AccountId,
    body: CredentialsUpdate,
    session: SessionDep,
    jobs: JobsDep,
    settings: SettingsDep,
    principal: Writer,
):
    """Connect (or reconnect) the platform account: the token is stored encrypted and a sync
    runs right away."""
    return await account_service.set_credentials(
        session,
        principal.org_id,
        id,
        body,
        secret_key=settings.secret_key.get_secret_value(),
        jobs=jobs,
        now=datetime.now(UTC),
    )
