"""Attribution rules and currency conversion, on cases worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from shared.metrics.attribution import (
    CodeOwner,
    ExchangeRates,
    attribute,
    convert,
    link_code_in,
    promo_key,
)

SPRING = CodeOwner(uuid4(), uuid4(), date(2026, 3, 1), date(2026, 3, 31))
AUTUMN = CodeOwner(uuid4(), uuid4(), date(2026, 10, 1), date(2026, 10, 31))
PROMOS = {promo_key("ADA10"): SPRING}
LINKS = {"k3x9q2": AUTUMN, "sp1ng0": SPRING}


def at(*args):
    return datetime(*args, tzinfo=UTC)


class TestAttribute:
    def test_promo_code_beats_link_code(self):
        result = attribute(
            at(2026, 3, 10), promo_code="ada10", link_code="sp1ng0", promo_codes=PROMOS, links=LINKS
        )
        assert (result.campaign_id, result.creator_id, result.rule) == (
            SPRING.campaign_id,
            SPRING.creator_id,
            "promo_code",
        )

    def test_promo_codes_ignore_case_and_spaces(self):
        result = attribute(
            at(2026, 3, 10), promo_code=" Ada10 ", link_code=None, promo_codes=PROMOS, links=LINKS
        )
        assert result.rule == "promo_code"

    def test_link_code_when_there_is_no_known_promo_code(self):
        result = attribute(
            at(2026, 10, 5), promo_code="OTHER", link_code="k3x9q2", promo_codes=PROMOS, links=LINKS
        )
        assert (result.campaign_id, result.rule) == (AUTUMN.campaign_id, "link_code")

    def test_a_promo_code_out_of_its_window_gives_way_to_the_link(self):
        # 31 March + 30 days = 30 April 24:00: 5 October is far outside SPRING's window.
        result = attribute(
            at(2026, 10, 5), promo_code="ADA10", link_code="k3x9q2", promo_codes=PROMOS, links=LINKS
        )
        assert (result.campaign_id, result.rule) == (AUTUMN.campaign_id, "link_code")

    @pytest.mark.parametrize(
        ("when", "counted"),
        [
            (at(2026, 2, 28, 23, 59), False),  # before the campaign starts
            (at(2026, 3, 1), True),
            (at(2026, 4, 30, 23, 59), True),  # the 30th day after the last
            (at(2026, 5, 1), False),
        ],
    )
    def test_the_window_is_the_campaign_plus_30_days(self, when, counted):
        result = attribute(when, promo_code="ADA10", link_code=None, promo_codes=PROMOS, links={})
        assert (result is not None) == counted

    def test_a_configured_window(self):
        result = attribute(
            at(2026, 4, 5),
            promo_code="ADA10",
            link_code=None,
            promo_codes=PROMOS,
            links={},
            window_days=3,
        )
        assert result is None  # 31 March + 3 days ends on 3 April

    def test_unknown_codes_attribute_nothing(self):
        assert (
            attribute(at(2026, 3, 10), promo_code="X", link_code="y", promo_codes=PROMOS, links={})
            is None
        )


class TestLinkCodeInLandingSite:
    @pytest.mark.parametrize(
        ("landing_site", "code"),
        [
            (
                "/products/mug?utm_source=instagram&utm_medium=influencer&utm_content=k3x9q2",
                "k3x9q2",
            ),
            ("https://shop.example/?utm_content=sp1ng0#top", "sp1ng0"),
            ("/products/mug", None),
            ("/?utm_content=", None),
            (None, None),
        ],
    )
    def test_the_utm_content_of_the_landing_page(self, landing_site, code):
        assert link_code_in(landing_site) == code


class TestConvert:
    TABLE = ExchangeRates("USD", {"EUR": Decimal("0.92"), "GBP": Decimal("0.80")})

    def test_same_currency_is_not_converted(self):
        assert convert(Decimal("10.00"), "EUR", "EUR", None) == (Decimal("10.00"), Decimal(1))

    def test_from_the_base(self):
        assert convert(Decimal("100"), "USD", "EUR", self.TABLE) == (
            Decimal("92.00"),
            Decimal("0.92"),
        )

    def test_between_two_other_currencies_through_the_base(self):
        amount, rate = convert(Decimal("92"), "EUR", "GBP", self.TABLE)
        assert rate == Decimal("0.80") / Decimal("0.92")
        assert amount == Decimal("92") * rate  # 80.00, up to the division's last digit
        assert amount.quantize(Decimal("0.01")) == Decimal("80.00")

    @pytest.mark.parametrize(("currency", "into"), [("JPY", "USD"), ("USD", "JPY")])
    def test_without_a_rate_it_stays_unconverted(self, currency, into):
        assert convert(Decimal("1000"), currency, into, self.TABLE) is None

    def test_without_a_table_it_stays_unconverted(self):
        assert convert(Decimal("1"), "USD", "EUR", None) is None
