from fastapi import APIRouter

from services.api.routers import accounts, api_keys, campaigns, creators, organization

api_router = APIRouter(prefix="/v1")
for module in (creators, accounts, campaigns, api_keys, organization):
    api_router.include_router(module.router)
