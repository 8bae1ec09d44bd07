"""The organization's exchange-rate table: read, replaced whole, validated, its own."""

import pytest
from sqlalchemy import select

from shared.domain.organization import exchange_rates
from shared.models import Organization
from tests.factories import bearer, create_tenant

URL = "/v1/organization/exchange-rates"
# 210 codes, more than a table takes.
TOO_MANY = {f"{a}{b}X": "1" for a in "ABCDEFGHIJKLMNOPQRSTU" for b in "ABCDEFGHIJ"}
TABLE = {"base": "usd", "rates": {"eur": "0.920", "GBP": "0.8", "JPY": 151}}


async def _settings(session, org_id):
    organization = await session.scalar(select(Organization).where(Organization.id == org_id))
    await session.refresh(organization)
    return organization.settings


class TestExchangeRates:
    async def test_empty_until_written_in_the_default_currency(self, client, session):
        tenant = await create_tenant(session)
        body = (await client.get(URL, headers=bearer(tenant.read))).json()
        assert body == {"base": "USD", "rates": {}, "updated_at": None}

    async def test_a_put_replaces_the_table(self, client, session):
        tenant = await create_tenant(session)
        written = await client.put(URL, json=TABLE, headers=bearer(tenant.admin))
        assert written.status_code == 200, written.text
        body = written.json()
        assert body["base"] == "USD"
        assert body["rates"] == {"EUR": "0.92", "GBP": "0.8", "JPY": "151"}
        assert body["updated_at"] is not None
        assert (await client.get(URL, headers=bearer(tenant.read))).json() == body
        again = await client.put(
            URL, json={"base": "EUR", "rates": {"USD": "1.09"}}, headers=bearer(tenant.admin)
        )
        assert again.json()["rates"] == {"USD": "1.09"}  # the whole table, not merged

    async def test_attribution_converts_with_it(self, client, session):
        from decimal import Decimal

        from shared.metrics.attribution import convert

        tenant = await create_tenant(session)
        await client.put(URL, json=TABLE, headers=bearer(tenant.admin))
        table = await exchange_rates.table(session, tenant.org_id)
        assert convert(Decimal("100"), "USD", "EUR", table) == (Decimal("92.0"), Decimal("0.92"))

    @pytest.mark.parametrize(
        "body",
        [
            {"base": "USD", "rates": {"USD": "1"}},  # the base is 1 by definition
            {"base": "USD", "rates": {"EUR": "0"}},
            {"base": "USD", "rates": {"EUR": 0.92}},  # a float: send decimal text
            {"base": "USD", "rates": {"EUR": "-1"}},
            {"base": "USD", "rates": {"EURO": "1"}},
            {"base": "USD", "rates": {"eur": "0.9", "EUR": "0.92"}},
            {"base": "US", "rates": {}},
            {"rates": {"EUR": "0.92"}},
            {"base": "USD", "rates": {"EUR": "0.92"}, "extra": 1},
            {"base": "USD", "rates": TOO_MANY},
        ],
    )  # fmt: skip
    async def test_bad_tables_are_422_and_change_nothing(self, client, session, body):
        tenant = await create_tenant(session)
        before = await _settings(session, tenant.org_id)
        response = await client.put(URL, json=body, headers=bearer(tenant.admin))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert await _settings(session, tenant.org_id) == before

    @pytest.mark.parametrize("key", ["read", "write", "read_write"])
    async def test_only_admin_keys_write_it(self, client, session, key):
        tenant = await create_tenant(session)
        response = await client.put(URL, json=TABLE, headers=bearer(getattr(tenant, key)))
        assert response.status_code == 403

    async def test_each_organization_has_its_own(self, client, session):
        a, b = await create_tenant(session, "A"), await create_tenant(session, "B")
        await client.put(URL, json=TABLE, headers=bearer(a.admin))
        assert (await client.get(URL, headers=bearer(b.read))).json()["rates"] == {}
        await client.put(URL, json={"base": "GBP", "rates": {}}, headers=bearer(b.admin))
        assert (await client.get(URL, headers=bearer(a.read))).json()["base"] == "USD"
