import asyncio

import pytest
from pydantic import ValidationError

from shared.budget import Budget, Limit, Reservation, limit_for
from shared.config import Settings

START = 1_700_000_000.0


class Clock:
    """A hand-wound clock: time moves only when a test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_budget(redis, clock: Clock, **budgets: str) -> Budget:
    return Budget(redis, Settings(_env_file=None, **budgets), clock=clock)


async def take_all(budget: Budget, platform: str, credential: str) -> int:
    """Take single tokens until refused; return how many were taken."""
    taken = 0
    while await budget.take(platform, credential) == 0.0:
        taken += 1
    return taken


class TestTake:
    async def test_full_bucket_allows_capacity_takes_then_reports_exact_wait(self, redis, clock):
        # 60/60 refills one token a second; the burst floor makes the bucket 50 deep.
        budget = make_budget(redis, clock, budget_demo="60/60")

        assert await take_all(budget, "demo", "cred") == 50
        assert await budget.take("demo", "cred") == pytest.approx(1.0)
        assert await budget.take("demo", "cred", cost=3) == pytest.approx(3.0)

    async def test_wait_follows_the_refill_rate(self, redis, clock):
        budget = make_budget(redis, clock, budget_youtube="10000/86400")

        assert await take_all(budget, "youtube", "cred") == 166
        # One quota unit comes back every 86400 / 10000 = 8.64 seconds.
        # Within a millisecond: the bucket's clock is epoch seconds in doubles.
        assert await budget.take("youtube", "cred") == pytest.approx(8.64, abs=1e-3)

    async def test_refills_after_time_passes(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await take_all(budget, "demo", "cred")

        clock.advance(5)
        assert await take_all(budget, "demo", "cred") == 5
        clock.advance(0.5)
        assert await budget.take("demo", "cred") == pytest.approx(0.5)

    async def test_refill_stops_at_capacity(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await take_all(budget, "demo", "cred")

        clock.advance(3600)
        assert await take_all(budget, "demo", "cred") == 50

    async def test_credentials_do_not_share_a_bucket(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60", budget_tiktok="60/60")
        await take_all(budget, "demo", "first")

        assert await budget.take("demo", "first") > 0
        assert await budget.take("demo", "second") == 0.0
        assert await budget.take("tiktok", "first") == 0.0

    async def test_cost_above_one_takes_that_many(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")

        assert await budget.take("demo", "cred", cost=20) == 0.0
        assert await budget.take("demo", "cred", cost=20) == 0.0
        # 10 left: a take of 20 waits for 10 more and takes nothing meanwhile.
        assert await budget.take("demo", "cred", cost=20) == pytest.approx(10.0)
        assert await take_all(budget, "demo", "cred") == 10

    async def test_cost_beyond_capacity_is_rejected(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="10/60")

        with pytest.raises(ValueError, match="capacity 10"):
            await budget.take("demo", "cred", cost=11)
        with pytest.raises(ValueError, match="cost"):
            await budget.take("demo", "cred", cost=0)

    async def test_a_lagging_clock_does_not_refill_twice(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await take_all(budget, "demo", "cred")

        # Another worker whose clock is 10 s behind gets nothing back and rewinds nothing.
        clock.advance(-10)
        assert await budget.take("demo", "cred") > 0
        clock.advance(11)
        assert await take_all(budget, "demo", "cred") == 1

    async def test_bucket_expires_after_two_periods(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await budget.take("demo", "cred")

        assert 60 < await redis.ttl("budget:demo:cred") <= 120

    async def test_unknown_platform_is_rejected(self, redis, clock):
        budget = make_budget(redis, clock)

        with pytest.raises(ValueError, match="myspace"):
            await budget.take("myspace", "cred")


class TestPause:
    async def test_pause_blocks_takes_and_reports_the_rest_of_it(self, redis, clock):
        budget = make_budget(redis, clock)

        await budget.pause("x", "cred", 300)
        clock.advance(100)

        assert await budget.take("x", "cred") == pytest.approx(200.0)
        assert await budget.paused_for("x", "cred") == pytest.approx(200.0)

    async def test_a_shorter_pause_never_shortens_a_longer_one(self, redis, clock):
        budget = make_budget(redis, clock)

        await budget.pause("x", "cred", 300)
        await budget.pause("x", "cred", 10)

        assert await budget.paused_for("x", "cred") == pytest.approx(300.0)

    async def test_a_longer_pause_extends_a_shorter_one(self, redis, clock):
        budget = make_budget(redis, clock)

        await budget.pause("x", "cred", 10)
        await budget.pause("x", "cred", 300)

        assert await budget.paused_for("x", "cred") == pytest.approx(300.0)

    async def test_pause_ends_on_time(self, redis, clock):
        budget = make_budget(redis, clock)
        await budget.pause("x", "cred", 60)

        clock.advance(59.5)
        assert await budget.take("x", "cred") == pytest.approx(0.5)
        clock.advance(0.5)
        assert await budget.paused_for("x", "cred") == 0.0
        assert await budget.take("x", "cred") == 0.0

    async def test_pause_is_per_credential(self, redis, clock):
        budget = make_budget(redis, clock)

        await budget.pause("x", "first", 60)

        assert await budget.paused_for("x", "second") == 0.0
        assert await budget.take("x", "second") == 0.0

    async def test_never_paused_is_zero(self, redis, clock):
        assert await make_budget(redis, clock).paused_for("x", "cred") == 0.0

    async def test_a_pause_outlives_the_buckets_expiry(self, redis, clock):
        # A 60 s period keeps idle state for 120 s; a 10-minute throttle must not vanish sooner.
        budget = make_budget(redis, clock, budget_tiktok="600/60")
        await budget.take("tiktok", "cred")

        await budget.pause("tiktok", "cred", 600)

        assert await redis.ttl("budget:tiktok:cred") >= 600


class TestLimitFor:
    @pytest.mark.parametrize(
        ("platform", "limit"),
        [
            ("youtube", Limit(10_000, 86_400)),
            ("x", Limit(3_500, 900)),
            ("tiktok", Limit(600, 60)),
            ("instagram", Limit(200, 3_600)),
            ("facebook", Limit(200, 3_600)),
            ("linkedin", Limit(1_000, 86_400)),
            ("pinterest", Limit(1_000, 86_400)),
            ("demo", Limit(6_000, 60)),
        ],
    )
    def test_defaults_are_the_documented_limits(self, platform, limit):
        assert limit_for(Settings(_env_file=None), platform) == limit

    def test_reads_a_configured_value(self):
        settings = Settings(_env_file=None, budget_pinterest="100/1.5")

        assert limit_for(settings, "pinterest") == Limit(100, 1.5)

    def test_reads_the_environment(self, monkeypatch):
        monkeypatch.setenv("SWAY_BUDGET_X", "900/900")

        assert limit_for(Settings(_env_file=None), "x") == Limit(900, 900)

    @pytest.mark.parametrize("value", ["lots", "10000", "0/60", "10/0", "1.5/60", "10/nan", "/60"])
    def test_a_bad_value_is_rejected_naming_the_field(self, value):
        with pytest.raises(ValidationError, match="budget_youtube") as error:
            Settings(_env_file=None, budget_youtube=value)

        assert "CALLS/SECONDS" in str(error.value)

    def test_an_unknown_platform_is_rejected(self):
        with pytest.raises(ValueError, match="myspace"):
            limit_for(Settings(_env_file=None), "myspace")


class TestCapacity:
    @pytest.mark.parametrize(
        ("limit", "capacity"),
        [
            (Limit(10_000, 86_400), 166),  # 1/60 of the day's quota
            (Limit(6_000, 60), 100),
            (Limit(200, 3_600), 50),  # never less than one Meta batch
            (Limit(10, 60), 10),  # never more than the whole limit
        ],
    )
    def test_burst_is_a_sixtieth_of_the_period_within_bounds(self, limit, capacity):
        assert limit.capacity == capacity


class TestConcurrency:
    async def test_fifty_concurrent_takes_on_a_bucket_of_ten_let_exactly_ten_through(
        self, redis, clock
    ):
        budget = make_budget(redis, clock, budget_demo="10/60")

        waits = await asyncio.gather(*(budget.take("demo", "cred") for _ in range(50)))

        assert waits.count(0.0) == 10
        assert all(wait > 0 for wait in waits if wait != 0.0)


class TestReserve:
    async def test_waiting_reservations_queue_one_behind_the_other(self, redis, clock):
        # 60/60: one token a second, a burst of 50. Ten batches of 5 drain the burst; the next
        # three are each given the next 5 seconds in turn, not the same instant.
        budget = make_budget(redis, clock, budget_demo="60/60")
        for _ in range(10):
            assert await budget.reserve("demo", "c", 5, max_wait_s=60) == Reservation(True, 0.0)
        delays = [(await budget.reserve("demo", "c", 5, max_wait_s=60)).delay_s for _ in range(3)]
        assert delays == [pytest.approx(5.0), pytest.approx(10.0), pytest.approx(15.0)]

    async def test_a_wait_beyond_max_wait_takes_nothing(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await budget.reserve("demo", "c", 50, max_wait_s=0)

        refused = await budget.reserve("demo", "c", 10, max_wait_s=5)
        assert refused == Reservation(False, pytest.approx(10.0))
        # Nothing was taken: a smaller request still gets the first free token.
        assert await budget.reserve("demo", "c", 1, max_wait_s=5) == Reservation(
            True, pytest.approx(1.0)
        )

    async def test_reservations_and_takes_share_the_bucket(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await budget.reserve("demo", "c", 50, max_wait_s=0)
        await budget.reserve("demo", "c", 10, max_wait_s=60)

        # The reserved 10 seconds come first; a take waits behind them.
        assert await budget.take("demo", "c") == pytest.approx(11.0)

    async def test_a_paused_bucket_reserves_nothing(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        await budget.pause("demo", "c", 30)

        assert await budget.reserve("demo", "c", 1, max_wait_s=3600) == Reservation(
            False, pytest.approx(30.0)
        )
        clock.advance(30)
        assert await budget.reserve("demo", "c", 50, max_wait_s=0) == Reservation(True, 0.0)

    async def test_a_bucket_reserved_far_ahead_outlives_its_usual_expiry(self, redis, clock):
        budget = make_budget(redis, clock, budget_demo="60/60")
        for _ in range(10):
            await budget.reserve("demo", "c", 50, max_wait_s=3600)

        # 500 tokens at one a second: reserved 450 s ahead, past the 120 s idle expiry.
        assert await redis.ttl("budget:demo:c") >= 500
