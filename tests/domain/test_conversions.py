"""The conversion service: attribution (promo code before link code, only the organization's
own codes, within the campaign's dates plus the window), currencies, refunds, idempotency."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.domain.conversion import service as conversion_service
from shared.domain.conversion.commands import Lead, Order, Refund
from shared.domain.conversion.service import OrderNotYetKnown
from shared.errors import Invalid
from shared.jobs import RECOMPUTE_KPIS, JobQueue
from shared.models import Conversion
from tests.factories import create_campaign, create_creator, create_tenant, utc
from tests.factories_attribution import create_link, create_promo, create_source, set_rates

NOW = utc(2026, 12, 1, 12)
IN_CAMPAIGN = utc(2026, 10, 15, 9)


@pytest.fixture
async def world(session):
    """Org A: the USD campaign Autumn (Oct 1-31 2026), Ada's code ADA10 (instagram) and Bo's
    link bo-link (tiktok). Org B: its own code BEE20 and link bee-link."""
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    campaign = await create_campaign(
        session, a.org_id, name="Autumn", starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31)
    )
    ada = await create_creator(session, a.org_id, name="Ada")
    bo = await create_creator(session, a.org_id, name="Bo")
    await create_promo(session, a.org_id, campaign.id, ada.id, "ADA10", platform="instagram")
    await create_link(session, a.org_id, campaign.id, bo.id, "bo-link", platform="tiktok")
    b_campaign = await create_campaign(session, b.org_id, name="Bees")
    bee = await create_creator(session, b.org_id, name="Bee")
    await create_promo(session, b.org_id, b_campaign.id, bee.id, "BEE20")
    await create_link(session, b.org_id, b_campaign.id, bee.id, "bee-link")
    source = await create_source(session, a.org_id)
    return {"a": a, "b": b, "campaign": campaign, "ada": ada, "bo": bo, "source": source}


def order(order_id="1001", amount="50.00", currency="USD", at=IN_CAMPAIGN, **codes) -> Order:
    return Order(order_id, Decimal(amount), currency, at, **codes)


async def record(session, world, command, org=None):
    org_id = (org or world["a"]).org_id
    record_of = {
        Order: conversion_service.record_order,
        Lead: conversion_service.record_lead,
        Refund: conversion_service.record_refund,
    }[type(command)]
    stored = await record_of(session, org_id, world["source"].id, command, event_id=None, now=NOW)
    await session.commit()
    return stored


class TestAttribution:
    async def test_promo_code_beats_link_code(self, session, world):
        stored = await record(session, world, order(promo_codes=("ada10",), link_code="bo-link"))
        assert stored.attributed_by == "promo_code"
        assert (stored.campaign_id, stored.creator_id) == (world["campaign"].id, world["ada"].id)
        assert stored.platform == "instagram"
        assert (stored.promo_code, stored.link_code) == ("ada10", "bo-link")

    async def test_first_of_the_orders_codes_that_is_the_organizations(self, session, world):
        stored = await record(session, world, order(promo_codes=("WELCOME", " Ada10 ")))
        assert stored.attributed_by == "promo_code"
        assert stored.creator_id == world["ada"].id
        assert stored.promo_code == "Ada10"  # as the order gave it, spaces around it stripped

    async def test_link_code_when_no_promo_code_matches(self, session, world):
        stored = await record(session, world, order(promo_codes=("NOPE",), link_code="bo-link"))
        assert stored.attributed_by == "link_code"
        assert stored.creator_id == world["bo"].id
        assert stored.platform == "tiktok"
        assert stored.promo_code == "NOPE"

    async def test_another_organizations_promo_code_attributes_nothing(self, session, world):
        stored = await record(session, world, order(promo_codes=("BEE20",)))
        assert (stored.campaign_id, stored.creator_id, stored.attributed_by) == (None, None, None)
        assert stored.converted_amount is None

    async def test_another_organizations_link_code_attributes_nothing(self, session, world):
        stored = await record(session, world, order(link_code="bee-link"))
        assert (stored.campaign_id, stored.attributed_by) == (None, None)

    async def test_codes_no_link_or_promo_code_could_be_match_nothing(self, session, world):
        odd = order(promo_codes=("ADA\x0010", "é" * 80, ""), link_code="bo\x00link")
        stored = await record(session, world, odd)
        assert stored.campaign_id is None
        # Kept for reading, a NUL shown as U+FFFD (Postgres text cannot hold one).
        assert (stored.promo_code, stored.link_code) == ("ADA\ufffd10", "bo\ufffdlink")

    @pytest.mark.parametrize("order_id", ["", "x" * 256, "10\x0001"])
    async def test_an_id_that_cannot_be_stored_is_refused(self, session, world, order_id):
        with pytest.raises(Invalid):
            await record(session, world, order(order_id=order_id))
        with pytest.raises(Invalid):
            await record(session, world, Refund("r-1", order_id, Decimal("1"), IN_CAMPAIGN))

    async def test_unknown_codes_are_kept_unattributed(self, session, world):
        stored = await record(session, world, order(promo_codes=(), link_code=None))
        assert stored.campaign_id is None and stored.amount == Decimal("50.00")

    @pytest.mark.parametrize(
        ("at", "counted"),
        [
            (utc(2026, 9, 30, 23, 59, 59), False),  # before the first day
            (utc(2026, 10, 1), True),  # 00:00 UTC on the first day
            (utc(2026, 11, 30, 23, 59, 59), True),  # Oct 31 + 30 days, last second
            (utc(2026, 12, 1), False),  # exactly on the edge: out
            (utc(2027, 1, 5), False),  # long after
        ],
    )
    async def test_campaign_dates_plus_window(self, session, world, at, counted):
        stored = await record(session, world, order(at=at, promo_codes=("ADA10",)))
        assert (stored.campaign_id is not None) == counted

    async def test_a_code_outside_its_window_leaves_the_link_to_try(self, session, world):
        later = await create_campaign(
            session, world["a"].org_id, name="Winter", starts_on=date(2026, 12, 1)
        )
        await create_link(session, world["a"].org_id, later.id, world["bo"].id, "winter-bo")
        stored = await record(
            session,
            world,
            order(at=utc(2026, 12, 24), promo_codes=("ADA10",), link_code="winter-bo"),
        )
        assert (stored.campaign_id, stored.attributed_by) == (later.id, "link_code")

    async def test_lead_is_attributed_like_an_order(self, session, world):
        lead = Lead("lead-1", IN_CAMPAIGN, link_code="bo-link")
        stored = await record(session, world, lead)
        assert (stored.kind, stored.attributed_by, stored.creator_id) == (
            "lead",
            "link_code",
            world["bo"].id,
        )
        assert stored.amount is None and stored.converted_amount is None

    async def test_attributed_conversion_marks_the_campaigns_kpis_stale(self, session, world):
        await record(session, world, order(promo_codes=("BEE20",)))
        assert JobQueue.of(session).pending == []
        await record(session, world, order(order_id="1002", promo_codes=("ADA10",)))
        (job,) = JobQueue.of(session).pending
        assert job.name == RECOMPUTE_KPIS
        assert job.payload["campaign_id"] == str(world["campaign"].id)


class TestCurrency:
    async def test_same_currency_is_kept_at_rate_one(self, session, world):
        stored = await record(session, world, order(amount="50", promo_codes=("ADA10",)))
        assert (stored.amount, stored.currency) == (Decimal("50.00"), "USD")
        assert (stored.converted_amount, stored.converted_currency) == (Decimal("50.00"), "USD")
        assert stored.exchange_rate == Decimal(1)

    async def test_another_currency_converted_with_the_organizations_table(self, session, world):
        # One USD is 0.92 EUR: 92.00 EUR is 92 / 0.92 = 100.00 USD.
        await set_rates(session, world["a"].org_id, "USD", EUR="0.92")
        stored = await record(
            session, world, order(amount="92.00", currency="EUR", promo_codes=("ADA10",))
        )
        assert (stored.amount, stored.currency) == (Decimal("92.00"), "EUR")
        assert stored.exchange_rate == Decimal("1.0869565217")  # 1 / 0.92, to 10 places
        assert stored.converted_amount == Decimal("100.00")  # 92 × 1.0869565217 = 99.99999999…
        assert stored.converted_currency == "USD"

    async def test_cross_rate_through_the_base(self, session, world):
        # Base EUR: 1 EUR = 1.25 USD = 0.80 GBP; 40 GBP = 50 EUR = 62.50 USD.
        await set_rates(session, world["a"].org_id, "EUR", USD="1.25", GBP="0.80")
        stored = await record(
            session, world, order(amount="40", currency="GBP", promo_codes=("ADA10",))
        )
        assert stored.exchange_rate == Decimal("1.5625")
        assert stored.converted_amount == Decimal("62.50")

    async def test_without_a_rate_the_amount_stays_unconverted(self, session, world):
        await set_rates(session, world["a"].org_id, "USD", EUR="0.92")
        stored = await record(
            session, world, order(amount="30.00", currency="JPY", promo_codes=("ADA10",))
        )
        assert stored.campaign_id == world["campaign"].id
        assert (stored.amount, stored.currency) == (Decimal("30.00"), "JPY")
        assert stored.converted_amount is None and stored.exchange_rate is None

    @pytest.mark.parametrize("currency", ["", "US", "EURO", "U$D"])
    async def test_a_currency_that_is_no_iso_code_is_refused(self, session, world, currency):
        with pytest.raises(Invalid):
            await record(session, world, order(currency=currency, promo_codes=("ADA10",)))

    async def test_a_lower_case_currency_is_upper_cased(self, session, world):
        stored = await record(session, world, order(currency="usd", promo_codes=("ADA10",)))
        assert (stored.currency, stored.exchange_rate) == ("USD", Decimal(1))

    async def test_another_organizations_table_is_not_used(self, session, world):
        await set_rates(session, world["b"].org_id, "USD", EUR="0.92")
        stored = await record(
            session, world, order(amount="92", currency="EUR", promo_codes=("ADA10",))
        )
        assert stored.converted_amount is None


class TestRefund:
    async def test_refund_takes_its_purchases_attribution_and_rate(self, session, world):
        await set_rates(session, world["a"].org_id, "USD", EUR="0.80")
        purchase = await record(
            session, world, order(amount="80.00", currency="EUR", promo_codes=("ADA10",))
        )
        # The rate changes after the purchase: the refund still uses the purchase's.
        await set_rates(session, world["a"].org_id, "USD", EUR="0.50")
        refund = Refund("r-1", "1001", Decimal("20.00"), utc(2026, 11, 2))
        stored = await record(session, world, refund)
        assert stored.kind == "refund" and stored.purchase_id == purchase.id
        assert (stored.campaign_id, stored.creator_id, stored.attributed_by, stored.platform) == (
            world["campaign"].id,
            world["ada"].id,
            "promo_code",
            "instagram",
        )
        assert stored.exchange_rate == purchase.exchange_rate == Decimal("1.25")
        assert stored.converted_amount == Decimal("25.00")  # 20 EUR × 1.25
        assert (stored.amount, stored.currency) == (Decimal("20.00"), "EUR")

    async def test_refund_after_the_window_still_counts_against_its_order(self, session, world):
        await record(session, world, order(promo_codes=("ADA10",)))
        stored = await record(session, world, Refund("r-1", "1001", Decimal("50"), utc(2027, 3, 1)))
        assert stored.campaign_id == world["campaign"].id

    async def test_refund_of_an_order_not_yet_stored(self, session, world):
        with pytest.raises(OrderNotYetKnown) as raised:
            await record(session, world, Refund("r-1", "404", Decimal("5"), IN_CAMPAIGN))
        assert raised.value.order_id == "404"
        assert await session.scalar(select(func.count()).select_from(Conversion)) == 0

    async def test_refund_in_another_currency_than_its_order_is_refused(self, session, world):
        await record(session, world, order(promo_codes=("ADA10",)))
        refund = Refund("r-1", "1001", Decimal("5"), IN_CAMPAIGN, currency="EUR")
        with pytest.raises(Invalid):
            await record(session, world, refund)

    async def test_partial_refunds_are_rows_of_their_own(self, session, world):
        await record(session, world, order(promo_codes=("ADA10",)))
        await record(session, world, Refund("r-1", "1001", Decimal("10"), IN_CAMPAIGN))
        await record(session, world, Refund("r-2", "1001", Decimal("15.5"), IN_CAMPAIGN))
        amounts = await session.scalars(
            select(Conversion.converted_amount).where(Conversion.kind == "refund")
        )
        assert sorted(amounts) == [Decimal("10.00"), Decimal("15.50")]

    async def test_unattributed_order_gives_an_unattributed_refund(self, session, world):
        await record(session, world, order(promo_codes=("NOPE",)))
        stored = await record(session, world, Refund("r-1", "1001", Decimal("5"), IN_CAMPAIGN))
        assert stored.campaign_id is None and stored.converted_amount is None


class TestIdempotency:
    async def test_second_order_returns_the_stored_row_unchanged(self, session, world):
        first = await record(session, world, order(promo_codes=("ADA10",)))
        again = await record(session, world, order(amount="999", link_code="bo-link"))
        assert again.id == first.id
        assert (again.amount, again.attributed_by) == (Decimal("50.00"), "promo_code")
        assert await session.scalar(select(func.count()).select_from(Conversion)) == 1

    async def test_repeated_refund_and_lead(self, session, world):
        await record(session, world, order(promo_codes=("ADA10",)))
        refund = await record(session, world, Refund("r-1", "1001", Decimal("5"), IN_CAMPAIGN))
        again = await record(session, world, Refund("r-1", "1001", Decimal("7"), IN_CAMPAIGN))
        lead = await record(session, world, Lead("l-1", IN_CAMPAIGN))
        lead_again = await record(session, world, Lead("l-1", IN_CAMPAIGN, link_code="bo-link"))
        assert (again.id, again.amount) == (refund.id, Decimal("5.00"))
        assert lead_again.id == lead.id and lead_again.campaign_id is None
        assert await session.scalar(select(func.count()).select_from(Conversion)) == 3

    async def test_a_concurrent_duplicate_yields_to_the_stored_row(self, session, world):
        # What a second delivery racing the first meets: its insert is refused by the unique
        # index after its lookup found nothing; the row stored first is returned.
        from shared.domain.conversion.repository import ConversionRepository

        first = await record(session, world, order(promo_codes=("ADA10",)))
        twin = Conversion(
            source_id=world["source"].id, kind="purchase", external_id="1001",
            occurred_at=IN_CAMPAIGN, amount=Decimal("1.00"), currency="USD",
        )  # fmt: skip
        repository = ConversionRepository(session, world["a"].org_id)
        stored = await conversion_service._store(session, repository, twin)
        assert stored.id == first.id and stored.amount == Decimal("50.00")
        await session.commit()  # the session is still usable
        assert await session.scalar(select(func.count()).select_from(Conversion)) == 1

    async def test_the_same_order_id_of_another_source_is_another_order(self, session, world):
        shop = await create_source(session, world["a"].org_id, kind="shopify", name="Shop")
        first = await record(session, world, order(promo_codes=("ADA10",)))
        other = await conversion_service.record_order(
            session, world["a"].org_id, shop.id, order(), event_id=None, now=NOW
        )
        assert other.id != first.id
