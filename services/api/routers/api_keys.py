from fastapi import APIRouter, Response, status

from services.api.deps import Admin, ApiKeyId, AuthCacheDep, JobsDep, ReadSessionDep, SessionDep
from services.api.errors import AUTHENTICATED, WITH_BODY, responses
from shared.domain.organization import service as organization_service
from shared.domain.organization.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=responses(*AUTHENTICATED))


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, *WITH_BODY),
)
async def create_api_key(
    body: ApiKeyCreate,
    session: SessionDep,
    jobs: JobsDep,
    cache: AuthCacheDep,
    principal: Admin,
    response: Response,
):
    key, secret = await organization_service.create_api_key(
        session, principal.org_id, name=body.name, scopes=body.scopes
    )
    # Whatever was tried with this hash before, the new key works at once.
    jobs.on_commit(lambda: cache.allow(key.key_hash))
    # It carries the secret: no cache keeps it, and an idempotent retry is not shown it again.
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=secret)


@router.get("", response_model=list[ApiKeyRead])
async def list_api_keys(session: ReadSessionDep, principal: Admin):
    return await organization_service.list_api_keys(session, principal.org_id)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(404))
async def revoke_api_key(
    id: ApiKeyId, session: SessionDep, jobs: JobsDep, cache: AuthCacheDep, principal: Admin
) -> None:
    key = await organization_service.revoke_api_key(session, principal.org_id, id)
    # Once the revocation is committed, no API process may keep trusting its cached copy.
    jobs.on_commit(lambda: cache.forget(key.key_hash))
