"""Token refresh: the cron finds tokens about to expire, one worker at a time refreshes each
(rotating refresh tokens stored with the new access token), a refusal for good ends the
connection visibly, and a passing failure is tried again later. X's and Google's recorded token
answers stand in for the platforms."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import delete

from shared.config import Settings
from shared.crypto import decrypt_credentials, encrypt_credentials
from shared.db import create_engine, create_sessionmaker
from shared.domain.account import service as account_service
from shared.domain.account.schemas import CredentialsUpdate
from shared.domain.connection import refresh
from shared.jobs import JobQueue
from shared.models import CreatorAccount, Organization, Post
from shared.platforms.base import Credentials
from tests.factories import create_account, create_creator, create_post, create_tenant
from tests.factories_events import create_subscription, deliveries
from tests.platforms.conftest import replay

X_TOKEN = "https://api.x.com/2/oauth2/token"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "oauth_x_client_id": "x-client",
            "oauth_x_client_secret": SecretStr("x-secret"),
            "oauth_youtube_client_id": "g-client",
            "oauth_youtube_client_secret": SecretStr("g-secret"),
        }
    )


async def connected(
    session,
    settings,
    org_id,
    *,
    platform="x",
    handle="XDevelopers",
    expires_in=timedelta(minutes=5),
):
    creator = await create_creator(session, org_id)
    credentials = Credentials(access_token="A1", refresh_token="R1", subject="2244994945")
    return await create_account(
        session,
        org_id,
        creator.id,
        platform=platform,
        handle=handle,
        external_id="2244994945",
        sync_status="ok",
        credentials_encrypted=encrypt_credentials(
            credentials, settings.secret_key.get_secret_value()
        ),
        credential_key=credentials.key,
        connected_via="oauth",
        token_expires_at=NOW + expires_in,
    )


async def run(sessionmaker, settings, account, *, now=NOW) -> str:
    payload = refresh.RefreshToken(org_id=account.org_id, account_id=account.id)
    async with httpx.AsyncClient() as http:
        return await refresh.refresh_account(
            sessionmaker, payload, settings=settings, http=http, now=now
        )


async def reloaded(session, account) -> CreatorAccount:
    account_id = account.id
    session.expire_all()
    return await session.get(CreatorAccount, account_id)


def stored(settings, account) -> Credentials:
    return decrypt_credentials(
        account.credentials_encrypted, settings.secret_key.get_secret_value()
    )


async def scheduled(session, settings, now=NOW) -> int:
    count = await refresh.schedule_due(session, settings=settings, now=now)
    JobQueue.of(session).clear()
    return count


class TestSchedule:
    async def test_only_tokens_expiring_within_the_margin(self, session, settings):
        tenant = await create_tenant(session)
        await connected(session, settings, tenant.org_id, expires_in=timedelta(minutes=14))
        later = await connected(
            session, settings, tenant.org_id, handle="later", expires_in=timedelta(hours=1)
        )
        assert await scheduled(session, settings) == 1
        # Accounts whose credentials were PUT by hand are never refreshed.
        later.connected_via = "manual"
        later.token_expires_at = NOW
        await session.commit()
        assert await scheduled(session, settings) == 1


class TestRefresh:
    @respx.mock
    async def test_a_rotating_refresh_token_is_stored_with_the_new_access_token(
        self, session, sessionmaker, settings
    ):
        tenant = await create_tenant(session)
        account = await connected(session, settings, tenant.org_id)
        key = account.credential_key
        token = respx.post(X_TOKEN).mock(return_value=replay("oauth/x", "token_refresh.json"))
        assert await run(sessionmaker, settings, account) == "refreshed"
        assert b"refresh_token=R1" in token.calls[0].request.content
        account = await reloaded(session, account)
        renewed = stored(settings, account)
        assert renewed.access_token.startswith("WjJGc1pX")
        assert renewed.refresh_token.startswith("Ym5SZWZy")
        assert renewed.subject == "2244994945"
        assert account.token_expires_at == NOW + timedelta(seconds=7200)
        assert (account.token_refreshed_at, account.token_refresh_lease_until) == (NOW, None)
        # The credential keeps its name, so its budget and batches carry on.
        assert account.credential_key == key
        assert await scheduled(session, settings) == 0

    @respx.mock
    async def test_google_keeps_the_refresh_token_it_does_not_resend(
        self, session, sessionmaker, settings
    ):
        tenant = await create_tenant(session)
        account = await connected(session, settings, tenant.org_id, platform="youtube")
        respx.post(GOOGLE_TOKEN).mock(return_value=replay("oauth/youtube", "token_refresh.json"))
        assert await run(sessionmaker, settings, account) == "refreshed"
        renewed = stored(settings, await reloaded(session, account))
        assert renewed.refresh_token == "R1"
        assert renewed.access_token.startswith("ya29.a0AfB_byRefreshed")

    @respx.mock
    async def test_a_refusal_ends_the_connection_visibly(self, session, sessionmaker, settings):
        tenant = await create_tenant(session)
        await create_subscription(
            session,
            tenant.org_id,
            "https://hooks.example/in",
            ["account.connection_lost"],
            settings,
        )
        account = await connected(session, settings, tenant.org_id)
        post_id = (await create_post(session, account, status="tracking")).id
        respx.post(X_TOKEN).mock(return_value=replay("oauth/x", "error_invalid_refresh.json"))
        assert await run(sessionmaker, settings, account) == "connection lost"
        account = await reloaded(session, account)
        account_id = str(account.id)
        assert account.sync_status == "auth_expired"
        assert "Value passed for the token was invalid" in account.sync_error
        assert account.token_expires_at is None
        post = await session.get(Post, post_id)
        assert (post.status, post.status_detail) == (
            "paused",
            "the account's connection ended; connect it again",
        )
        [delivery] = await deliveries(session, tenant.org_id)
        assert delivery.event_type == "account.connection_lost"
        assert delivery.payload["data"]["account_id"] == account_id
        assert "Value passed" in delivery.payload["data"]["reason"]
        assert await scheduled(session, settings, NOW + timedelta(days=1)) == 0

    @respx.mock
    async def test_a_passing_failure_is_tried_again_later(self, session, sessionmaker, settings):
        tenant = await create_tenant(session)
        account = await connected(session, settings, tenant.org_id)
        respx.post(X_TOKEN).mock(return_value=httpx.Response(503, text="over capacity"))
        outcome = await run(sessionmaker, settings, account)
        assert outcome.startswith("retry at")
        account = await reloaded(session, account)
        assert account.sync_status == "ok"
        assert stored(settings, account).refresh_token == "R1"
        assert await scheduled(session, settings, NOW + timedelta(minutes=4)) == 0
        assert await scheduled(session, settings, NOW + timedelta(minutes=6)) == 1

    @respx.mock
    async def test_a_new_connection_made_meanwhile_stands(self, session, sessionmaker, settings):
        tenant = await create_tenant(session)
        account = await connected(session, settings, tenant.org_id)

        async def reconnected_meanwhile(request: httpx.Request) -> httpx.Response:
            async with sessionmaker() as other:
                await account_service.set_credentials(
                    other,
                    tenant.org_id,
                    account.id,
                    CredentialsUpdate(access_token="typed-by-hand"),
                    secret_key=settings.secret_key.get_secret_value(),
                    jobs=JobQueue.of(other),
                    now=NOW,
                )
                JobQueue.of(other).clear()
                await other.commit()
            return replay("oauth/x", "token_refresh.json")

        respx.post(X_TOKEN).mock(side_effect=reconnected_meanwhile)
        assert await run(sessionmaker, settings, account) == "superseded"
        account = await reloaded(session, account)
        assert stored(settings, account).access_token == "typed-by-hand"
        assert account.connected_via == "manual"


@pytest.fixture
async def committed(database_url, settings):
    """An organization and account committed for real, so two workers with connections of their
    own can race for it; removed afterwards."""
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        tenant = await create_tenant(session, "Racing")
        account = await connected(session, settings, tenant.org_id)
    yield account, sessionmaker
    async with sessionmaker() as session:
        await session.execute(delete(Organization).where(Organization.id == tenant.org_id))
        await session.commit()
    await engine.dispose()


class TestTwoWorkers:
    @respx.mock
    async def test_a_rotating_token_is_spent_once(self, committed, settings):
        account, sessionmaker = committed

        async def slow_platform(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.3)  # both workers are in flight meanwhile
            return replay("oauth/x", "token_refresh.json")

        token = respx.post(X_TOKEN).mock(side_effect=slow_platform)
        outcomes = await asyncio.gather(
            run(sessionmaker, settings, account), run(sessionmaker, settings, account)
        )
        assert sorted(outcomes) == ["not due", "refreshed"]
        assert token.call_count == 1
        async with sessionmaker() as session:
            renewed = stored(settings, await session.get(CreatorAccount, account.id))
        assert renewed.refresh_token.startswith("Ym5SZWZy")
