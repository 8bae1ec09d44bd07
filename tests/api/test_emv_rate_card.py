"""The organization's EMV rate card: the default, versioned replacement, strict validation."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from shared.db import create_engine, create_sessionmaker
from shared.domain.emv import service as emv_service
from shared.domain.emv.default_card import DEFAULT_CARD
from shared.domain.emv.schemas import EmvRateCardCreate
from shared.models import EmvRateCard, Organization
from shared.platforms.base import Platform
from tests.factories import bearer, create_tenant

URL = "/v1/organization/emv-rate-card"
CARD = {
    "currency": "EUR",
    "rates": {"instagram": {"likes": "0.2", "comments": 1}, "tiktok": {"views": "0.0125"}},
    "sources": {"instagram": "our 2026 media plan"},
}


async def _count(session, org_id) -> int:
    query = select(func.count()).select_from(EmvRateCard).where(EmvRateCard.org_id == org_id)
    return await session.scalar(query)


async def _put(client, tenant, body):
    return await client.put(URL, json=body, headers=bearer(tenant.admin))


class TestDefaultCard:
    async def test_version_0_until_the_organization_writes_one(self, client, session):
        tenant = await create_tenant(session)
        response = await client.get(URL, headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["version"], body["currency"], body["default"]) == (0, "USD", True)
        assert body["created_at"] is None
        assert body["rates"]["instagram"] == {
            "impressions": "0.003",
            "views": "0.003",
            "likes": "0.15",
            "comments": "1",
            "clicks": "3",
        }
        assert body["rates"]["tiktok"] == {"views": "0.03", "likes": "0.05", "shares": "0.05"}
        assert body["rates"]["pinterest"] == {"clicks": "3", "saves": "3", "impressions": "0.05"}
        assert body["rates"]["youtube"] == {"views": "0.0065"}
        assert body["rates"]["x"] == {"impressions": "0.0065"}

    async def test_every_platform_has_rates_and_a_source(self, client, session):
        tenant = await create_tenant(session)
        body = (await client.get(URL, headers=bearer(tenant.read))).json()
        assert set(body["rates"]) == set(body["sources"]) == {p.value for p in Platform}
        assert "Aspire" in body["sources"]["instagram"]
        assert "$6.50" in body["sources"]["linkedin"]

    async def test_current_card_is_the_default(self, session):
        tenant = await create_tenant(session)
        card = await emv_service.current_card(session, tenant.org_id)
        assert card is DEFAULT_CARD
        assert card.for_platform("instagram")["likes"] == Decimal("0.15")
        assert card.for_platform("snapchat") == {}


class TestReplace:
    async def test_each_put_is_the_next_version_and_old_ones_stay(self, client, session):
        tenant = await create_tenant(session)
        first = await _put(client, tenant, CARD)
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["version"], body["currency"], body["default"]) == (1, "EUR", False)
        assert body["rates"] == {
            "instagram": {"likes": "0.2", "comments": "1"},
            "tiktok": {"views": "0.0125"},
        }
        assert body["sources"] == {"instagram": "our 2026 media plan"}
        assert body["created_at"] is not None
        second = await _put(client, tenant, {"rates": {"x": {"impressions": "0.01"}}})
        assert second.json()["version"] == 2
        # Currency kept from the card it replaces; sources described the old rates, so none.
        assert (second.json()["currency"], second.json()["sources"]) == ("EUR", {})
        current = (await client.get(URL, headers=bearer(tenant.read))).json()
        assert current == second.json()
        old = await client.get(f"{URL}/versions/1", headers=bearer(tenant.read))
        assert old.json() == body
        default = await client.get(f"{URL}/versions/0", headers=bearer(tenant.read))
        assert default.json()["default"] is True
        assert await _count(session, tenant.org_id) == 2

    async def test_records_the_key_that_wrote_it(self, client, session):
        tenant = await create_tenant(session)
        await _put(client, tenant, CARD)
        card = await session.scalar(select(EmvRateCard).where(EmvRateCard.org_id == tenant.org_id))
        assert card.created_by is not None

    async def test_the_same_card_again_writes_nothing(self, client, session):
        tenant = await create_tenant(session)
        first = await _put(client, tenant, CARD)
        # Idempotency-Key is a POST matter; a PUT is idempotent by itself.
        again = await client.put(
            URL, json=CARD, headers=bearer(tenant.admin) | {"Idempotency-Key": "k1"}
        )
        assert again.status_code == 200
        assert again.json() == first.json()
        assert await _count(session, tenant.org_id) == 1

    async def test_the_default_rates_can_be_pinned(self, client, session):
        tenant = await create_tenant(session)
        default = (await client.get(URL, headers=bearer(tenant.read))).json()
        body = {key: default[key] for key in ("currency", "rates", "sources")}
        pinned = await _put(client, tenant, body)
        assert pinned.json()["version"] == 1
        assert pinned.json()["rates"] == default["rates"]

    async def test_empty_rates_is_a_card_with_no_emv(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, {"rates": {}})
        assert response.status_code == 200, response.text
        card = await emv_service.current_card(session, tenant.org_id)
        assert (card.version, card.currency, dict(card.rates)) == (1, "USD", {})

    async def test_integers_floats_with_no_fraction_and_trailing_zeros(self, client, session):
        tenant = await create_tenant(session)
        rates = {"youtube": {"views": 2, "likes": 3.0, "comments": "0.500000", "shares": "0"}}
        response = await _put(client, tenant, {"rates": rates})
        assert response.status_code == 200, response.text
        assert response.json()["rates"]["youtube"] == {
            "views": "2",
            "likes": "3",
            "comments": "0.5",
            "shares": "0",
        }

    async def test_currency_is_uppercased(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, {"currency": "gbp", "rates": {}})
        assert response.json()["currency"] == "GBP"

    @pytest.mark.parametrize("key", ["read", "write", "read_write"])
    async def test_admin_only(self, client, session, key):
        tenant = await create_tenant(session)
        response = await client.put(URL, json=CARD, headers=bearer(getattr(tenant, key)))
        assert response.status_code == 403, response.text
        assert await _count(session, tenant.org_id) == 0

    async def test_reading_needs_the_read_scope(self, client, session):
        tenant = await create_tenant(session)
        assert (await client.get(URL, headers=bearer(tenant.write))).status_code == 403
        assert (await client.get(URL)).status_code == 401


class TestValidation:
    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({}, ["body", "rates"]),
            ({"rates": {"snapchat": {"views": "1"}}}, ["body", "rates", "snapchat", "[key]"]),
            (
                {"rates": {"x": {"watch_time_seconds": "1"}}},
                ["body", "rates", "x", "watch_time_seconds", "[key]"],
            ),
            ({"rates": {"x": {"impressions": 0.01}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": "-1"}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": -1}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": "0.0000001"}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": "1000000"}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": 1000000}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": "1e3"}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": "NaN"}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": True}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": {"impressions": None}}}, ["body", "rates", "x", "impressions"]),
            ({"rates": {"x": []}}, ["body", "rates", "x"]),
            ({"rates": [], "currency": "USD"}, ["body", "rates"]),
            ({"rates": {}, "currency": "EURO"}, ["body", "currency"]),
            ({"rates": {}, "currency": "E1R"}, ["body", "currency"]),
            ({"rates": {}, "currency": None}, ["body", "currency"]),
            ({"rates": {}, "sources": {"x": "a\x00b"}}, ["body", "sources", "x"]),
            ({"rates": {}, "sources": {"x": "   "}}, ["body", "sources", "x"]),
            ({"rates": {}, "sources": {"x": "s" * 2001}}, ["body", "sources", "x"]),
            ({"rates": {}, "sources": {"myspace": "s"}}, ["body", "sources", "myspace", "[key]"]),
            ({"rates": {}, "version": 7}, ["body", "version"]),
        ],
    )
    async def test_refused_and_nothing_written(self, client, session, body, loc):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert loc in [error["loc"] for error in problem["errors"]], problem
        assert await _count(session, tenant.org_id) == 0

    async def test_a_fraction_as_a_json_number_says_to_send_text(self, client, session):
        tenant = await create_tenant(session)
        response = await _put(client, tenant, {"rates": {"x": {"impressions": 0.5}}})
        assert "as a string" in response.json()["errors"][0]["msg"]

    async def test_six_decimals_and_the_largest_rate_are_taken(self, client, session):
        tenant = await create_tenant(session)
        rates = {"x": {"impressions": "0.000001", "clicks": "999999.999999", "likes": 999999}}
        response = await _put(client, tenant, {"rates": rates})
        assert response.status_code == 200, response.text
        assert response.json()["rates"]["x"]["clicks"] == "999999.999999"


class TestVersions:
    async def test_newest_first_with_the_default_last(self, client, session):
        tenant = await create_tenant(session)
        for rate in ("1", "2", "3"):
            await _put(client, tenant, {"rates": {"x": {"clicks": rate}}})
        response = await client.get(f"{URL}/versions", headers=bearer(tenant.read))
        assert response.status_code == 200, response.text
        assert [card["version"] for card in response.json()["items"]] == [3, 2, 1, 0]
        assert response.json()["next_cursor"] is None

    async def test_pages_through_with_the_cursor(self, client, session):
        tenant = await create_tenant(session)
        for rate in ("1", "2", "3"):
            await _put(client, tenant, {"rates": {"x": {"clicks": rate}}})
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (
                await client.get(f"{URL}/versions", params=params, headers=bearer(tenant.read))
            ).json()
            seen += [card["version"] for card in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [3, 2, 1, 0]

    async def test_only_the_default_before_any_edit(self, client, session):
        tenant = await create_tenant(session)
        body = (await client.get(f"{URL}/versions", headers=bearer(tenant.read))).json()
        assert [card["default"] for card in body["items"]] == [True]

    async def test_bad_cursor_is_422(self, client, session):
        tenant = await create_tenant(session)
        response = await client.get(
            f"{URL}/versions", params={"cursor": "nonsense"}, headers=bearer(tenant.read)
        )
        assert response.status_code == 422

    @pytest.mark.parametrize("version", ["1", "abc", "-1", "1.0", "99999999999", "²"])
    async def test_unknown_or_malformed_version_is_404(self, client, session, version):
        tenant = await create_tenant(session)
        response = await client.get(f"{URL}/versions/{version}", headers=bearer(tenant.read))
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"


class TestCardForKpis:
    async def test_current_card_and_card_version_carry_decimal_rates(self, client, session):
        tenant = await create_tenant(session)
        await _put(client, tenant, CARD)
        await _put(client, tenant, {"rates": {"instagram": {"likes": "0.25"}}})
        current = await emv_service.current_card(session, tenant.org_id)
        assert (current.version, current.currency) == (2, "EUR")
        assert current.rates == {"instagram": {"likes": Decimal("0.25")}}
        first = await emv_service.card_version(session, tenant.org_id, 1)
        assert first is not None
        assert first.for_platform("tiktok") == {"views": Decimal("0.0125")}
        assert first.for_platform("instagram")["comments"] == Decimal(1)
        assert await emv_service.card_version(session, tenant.org_id, 0) is DEFAULT_CARD
        assert await emv_service.card_version(session, tenant.org_id, 3) is None

    async def test_another_organizations_versions_are_not_found(self, client, session):
        a, b = await create_tenant(session, "A"), await create_tenant(session, "B")
        await _put(client, a, CARD)
        assert await emv_service.card_version(session, b.org_id, 1) is None
        assert (await emv_service.current_card(session, b.org_id)).version == 0


@pytest.fixture
async def committed_org(database_url):
    """An organization committed for real, for sessions that do not share the test's
    transaction; removed (with its cards) afterwards."""
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        tenant = await create_tenant(session, "Concurrent")
    yield tenant.org_id, sessionmaker
    async with sessionmaker() as session:
        await session.execute(delete(Organization).where(Organization.id == tenant.org_id))
        await session.commit()
    await engine.dispose()


class TestConcurrentReplace:
    async def test_two_writers_take_turns(self, committed_org):
        org_id, sessionmaker = committed_org
        first_written = asyncio.Event()

        async def write(rate: str, *, hold: bool) -> int:
            async with sessionmaker() as session:
                data = EmvRateCardCreate.model_validate({"rates": {"x": {"clicks": rate}}})
                card = await emv_service.replace(session, org_id, data, by=None)
                if hold:
                    first_written.set()
                    # The second writer is waiting on the organization's row meanwhile.
                    await asyncio.sleep(0.3)
                await session.commit()
                return card.version

        async def second() -> int:
            await first_written.wait()
            return await write("2", hold=False)

        versions = await asyncio.gather(write("1", hold=True), second())
        assert versions == [1, 2]
        async with sessionmaker() as session:
            card = await emv_service.current_card(session, org_id)
        assert (card.version, card.rates) == (2, {"x": {"clicks": Decimal("2")}})
