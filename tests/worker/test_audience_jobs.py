"""The audience read with a connected account's sync: stored as dated snapshots with their
source, at most once a day, never failing the sync."""

from datetime import date

import httpx
import pytest
from sqlalchemy import select

from services.worker.jobs import accounts
from shared.crypto import encrypt_credentials
from shared.domain.account import sync
from shared.models import AudienceCollection, AudienceSnapshot
from shared.platforms.base import AccountStats, Credentials, Platform
from shared.platforms.instagram import InstagramAdapter
from shared.platforms.youtube_analytics import YouTubeAnalytics
from tests.factories import bearer, create_account, create_creator, create_tenant
from tests.fakes import ScriptedAdapter
from tests.platforms.conftest import fixture_json, replay

USER_ID = "17841405822304914"
CREDS = Credentials(access_token="ig-test-token")
STATS = AccountStats(USER_ID, "ada.brews", "Ada", 10_000, 100, 40)


def graph(batch: str):
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and "follower_demographics" in request.content.decode()
        return httpx.Response(200, json=fixture_json("instagram", batch))

    return answer


class Demographics(InstagramAdapter):
    """The real Instagram adapter for audiences over a replayed Graph API; the account sync's
    own calls scripted."""

    def __init__(self, settings, batch: str) -> None:
        super().__init__(httpx.AsyncClient(transport=httpx.MockTransport(graph(batch))), settings)
        self._sync = ScriptedAdapter(Platform.instagram, accounts=[STATS], posts=[[]])

    async def fetch_account(self, account, creds):
        return await self._sync.fetch_account(account, creds)

    async def list_posts(self, account, creds, *, since):
        return await self._sync.list_posts(account, creds, since=since)


@pytest.fixture
async def connected(session, settings):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(
        session,
        tenant.org_id,
        creator.id,
        platform="instagram",
        handle="ada.brews",
        external_id=USER_ID,
        credentials_encrypted=encrypt_credentials(CREDS, settings.secret_key.get_secret_value()),
        credential_key=CREDS.key,
    )
    return tenant, account


async def _sync(worker_ctx, tenant, account, batch="follower_demographics_batch.json") -> str:
    worker_ctx["adapters"][Platform.instagram] = Demographics(worker_ctx["settings"], batch)
    payload = sync.SyncAccount(org_id=tenant.org_id, account_id=account.id).dump()
    return await accounts.sync_account(worker_ctx, payload)


class TestCollectedWithTheSync:
    async def test_stored_as_dated_snapshots_with_their_source(
        self, worker_ctx, session, client, connected
    ):
        tenant, account = connected
        assert await _sync(worker_ctx, tenant, account) == "ok"
        rows = (await session.scalars(select(AudienceSnapshot))).all()
        assert {r.dimension for r in rows} == {"age", "gender", "country", "city"}
        assert {r.source for r in rows} == {"instagram.follower_demographics"}
        response = await client.get(
            f"/v1/accounts/{account.id}/audience", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["error"] is None and body["collected_at"] is not None
        country = next(d for d in body["dimensions"] if d["dimension"] == "country")
        assert country["shares"] == {"US": 0.4, "GB": 0.22, "DE": 0.18, "FR": 0.2}
        assert country["total"] == 10000

    async def test_at_most_once_a_day(self, worker_ctx, session, connected):
        tenant, account = connected
        await _sync(worker_ctx, tenant, account)
        # A second sync the same day asks nothing: the replay would fail if it were called.
        assert (
            await _sync(worker_ctx, tenant, account, "follower_demographics_too_small_batch.json")
            == "ok"
        )
        assert len((await session.scalars(select(AudienceSnapshot))).all()) == 4
        collection = await session.scalar(select(AudienceCollection))
        assert collection.error is None

    async def test_a_refusal_never_fails_the_sync_and_says_why(
        self, worker_ctx, session, client, connected
    ):
        tenant, account = connected
        batch = "follower_demographics_too_small_batch.json"
        assert await _sync(worker_ctx, tenant, account, batch) == "ok"
        body = (
            await client.get(f"/v1/accounts/{account.id}/audience", headers=bearer(tenant.read))
        ).json()
        assert body["dimensions"] == [] and body["collected_at"] is None
        assert "fewer than 100 followers" in body["error"]
        synced = (
            await client.get(f"/v1/accounts/{account.id}", headers=bearer(tenant.read))
        ).json()
        assert synced["sync_status"] == "ok"

    async def test_an_account_without_credentials_is_not_asked(self, worker_ctx, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session,
            tenant.org_id,
            creator.id,
            platform="instagram",
            handle="x",
            external_id=USER_ID,
        )
        await _sync(worker_ctx, tenant, account)
        assert (await session.scalars(select(AudienceCollection))).all() == []

    async def test_a_youtube_channel_from_its_analytics(self, worker_ctx, session, settings):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        token = Credentials(access_token="ya29.test")
        account = await create_account(
            session,
            tenant.org_id,
            creator.id,
            platform="youtube",
            handle="adabrews",
            external_id="UC_x5XG1OV2P6uZZ5FSM9Ttw",
            credentials_encrypted=encrypt_credentials(
                token, settings.secret_key.get_secret_value()
            ),
            credential_key=token.key,
        )

        def analytics(request):
            name = {"ageGroup,gender": "age_gender.json", "country": "country.json"}
            return replay("youtube_analytics", name[request.url.params["dimensions"]])

        worker_ctx["adapters"][Platform.youtube] = ScriptedAdapter(
            Platform.youtube,
            accounts=[AccountStats("UC_x5XG1OV2P6uZZ5FSM9Ttw", "adabrews", "Ada", 5000, None, 10)],
            posts=[[]],
        )
        worker_ctx["http"] = httpx.AsyncClient(transport=httpx.MockTransport(analytics))
        payload = sync.SyncAccount(org_id=tenant.org_id, account_id=account.id).dump()
        assert await accounts.sync_account(worker_ctx, payload) == "ok"
        rows = {r.dimension: r for r in (await session.scalars(select(AudienceSnapshot))).all()}
        assert rows["gender"].shares == {"female": 0.38, "male": 0.52, "other": 0.1}
        assert rows["gender"].source == "youtube_analytics.viewerPercentage"
        assert rows["country"].source == "youtube_analytics.views"


def test_youtube_window_is_fixed_by_the_day(settings):
    # The report window is the 90 days that end 3 days before today (data lags 2-3 days).
    analytics = YouTubeAnalytics(httpx.AsyncClient(), settings, today=date(2026, 3, 4))
    assert analytics.audience_cost() == 2
