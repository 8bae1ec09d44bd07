"""The KPI history: snapshots the worker stores, listed, and read back as a timeseries whose
every point is the KPI at the end of its bucket."""

from datetime import timedelta

import pytest

from shared.db import reads_in
from shared.domain.kpi import service as kpi_service
from shared.domain.kpi.schemas import Interval, TimeseriesQuery
from tests.factories import (
    bearer,
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_post,
    create_tenant,
    utc,
)


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session, "Series")
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(session, tenant.org_id, creator.id)
    campaign = await create_campaign(session, tenant.org_id)
    post = await create_post(session, account, campaign_id=campaign.id, likes=100)
    return tenant, campaign, post


async def _record(session, tenant, campaign, at):
    await kpi_service.record_snapshot(session, tenant.org_id, campaign.id, now=at)
    await session.commit()


async def _set_likes(session, post, likes):
    post.likes = likes
    await session.commit()


class TestTimeseries:
    async def test_each_point_is_the_kpi_at_its_buckets_end(self, session, world):
        tenant, campaign, post = world
        await _record(session, tenant, campaign, utc(2026, 11, 2, 12))  # 100 likes
        await _set_likes(session, post, 250)
        await _record(session, tenant, campaign, utc(2026, 11, 3, 8))
        await _set_likes(session, post, 260)
        await _record(session, tenant, campaign, utc(2026, 11, 4, 0, 0, 1))  # after 3rd's end
        await _set_likes(session, post, 300)  # not recorded: only the live value shows it
        query = TimeseriesQuery(
            metric="engagements", interval=Interval.day, **{"from": utc(2026, 11, 1)},
            to=utc(2026, 11, 6),
        )  # fmt: skip
        now = utc(2026, 11, 4, 10)
        series = await kpi_service.timeseries(
            await reads_in(session), tenant.org_id, campaign.id, query, now=now
        )
        assert [(p["t"], p["value"]) for p in series["points"]] == [
            (utc(2026, 11, 1), None),  # nothing recorded by the end of Nov 1
            (utc(2026, 11, 2), 100),
            (utc(2026, 11, 3), 250),  # the 00:00:01 snapshot is the 4th's
            (utc(2026, 11, 4), 300),  # still running: the KPI now
            (utc(2026, 11, 5), None),  # in the future
        ]

    async def test_hourly_buckets_start_on_the_hour(self, session, world):
        tenant, campaign, _ = world
        await _record(session, tenant, campaign, utc(2026, 11, 2, 12, 30))
        query = TimeseriesQuery(
            metric="likes", interval=Interval.hour, **{"from": utc(2026, 11, 2, 11, 45)},
            to=utc(2026, 11, 2, 14),
        )  # fmt: skip
        now = utc(2026, 11, 3)
        series = await kpi_service.timeseries(
            await reads_in(session), tenant.org_id, campaign.id, query, now=now
        )
        assert [(p["t"].hour, p["value"]) for p in series["points"]] == [
            (11, None),
            (12, 100),
            (13, 100),
        ]

    async def test_emv_points_name_their_rate_card(self, session, world):
        tenant, campaign, post = world
        post.impressions = 10_000  # priced for the demo platform by the default card
        await _record(session, tenant, campaign, utc(2026, 11, 2, 12))
        query = TimeseriesQuery(metric="emv", **{"from": utc(2026, 11, 2)}, to=utc(2026, 11, 3))
        series = await kpi_service.timeseries(
            await reads_in(session), tenant.org_id, campaign.id, query, now=utc(2026, 11, 5)
        )
        assert series["points"][0]["emv_rate_card_version"] == 0

    async def test_through_the_api_with_defaults(self, client, session, world):
        tenant, campaign, _ = world
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/kpis/timeseries", headers=bearer(tenant.read)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["metric"], body["interval"], body["currency"]) == ("engagements", "day", "USD")
        assert len(body["points"]) in (30, 31)
        assert body["points"][-1]["value"] == 100  # today: the live figure

    @pytest.mark.parametrize(
        "query",
        [
            "metric=bogus",
            "interval=week",
            "from=2026-11-05T00:00:00Z&to=2026-11-01T00:00:00Z",
            "from=2026-11-01T00:00:00",  # no time zone
            "interval=hour&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "extra=1",
            "to=0001-01-01T00:00:00Z",  # no day before it to start from
            "from=0.5",  # Unix seconds are not RFC 3339
        ],
    )
    async def test_bad_queries_are_422(self, client, world, query):
        tenant, campaign, _ = world
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/kpis/timeseries?{query}", headers=bearer(tenant.read)
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


class TestSnapshotHistory:
    async def test_newest_first_in_pages(self, client, session, world):
        tenant, campaign, post = world
        for hour in range(3):
            await _set_likes(session, post, 100 + hour)
            await _record(session, tenant, campaign, utc(2026, 11, 2, hour))
        url = f"/v1/campaigns/{campaign.id}/kpi-snapshots"
        first = (await client.get(f"{url}?limit=2", headers=bearer(tenant.read))).json()
        assert [item["totals"]["likes"] for item in first["items"]] == [102, 101]
        second = (
            await client.get(
                f"{url}?limit=2&cursor={first['next_cursor']}", headers=bearer(tenant.read)
            )
        ).json()
        assert [item["totals"]["likes"] for item in second["items"]] == [100]
        assert second["next_cursor"] is None
        since = (
            await client.get(f"{url}?since=2026-11-02T01:00:00Z", headers=bearer(tenant.read))
        ).json()
        assert [item["computed_at"] for item in since["items"]] == [
            "2026-11-02T02:00:00Z",
            "2026-11-02T01:00:00Z",
        ]

    @pytest.mark.parametrize("query", ["cursor=nope", "until=0.5", "since=2026-11-02", "limit=0"])
    async def test_bad_queries_are_422(self, client, world, query):
        tenant, campaign, _ = world
        response = await client.get(
            f"/v1/campaigns/{campaign.id}/kpi-snapshots?{query}", headers=bearer(tenant.read)
        )
        assert response.status_code == 422, response.text


def test_buckets_cover_from_to_to():
    query = TimeseriesQuery(**{"from": utc(2026, 11, 1, 5)}, to=utc(2026, 11, 3, 0, 0, 1))
    starts = kpi_service.buckets(query, utc(2026, 12, 1))
    assert starts == [utc(2026, 11, 1) + timedelta(days=n) for n in range(3)]


class TestStaleness:
    async def test_a_change_of_pay_or_goals_asks_for_a_kpi_snapshot(
        self, client, session, redis, world
    ):
        tenant, campaign, post = world
        pattern = f"arq:job:campaign.recompute_kpis:{campaign.id}:*"
        response = await client.post(
            f"/v1/campaigns/{campaign.id}/collaborations",
            json={"creator_id": str(post.creator_id),
                  "compensation": {"model": "flat_fee", "fee": "100.00"}},
            headers=bearer(tenant.write),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        assert len(await redis.keys(pattern)) == 1
        await redis.flushdb()
        response = await client.patch(
            f"/v1/campaigns/{campaign.id}",
            json={"goals": [{"metric": "likes", "target": 500}]},
            headers=bearer(tenant.write),
        )
        assert response.status_code == 200, response.text
        assert len(await redis.keys(pattern)) == 1
        await redis.flushdb()
        await client.patch(
            f"/v1/campaigns/{campaign.id}", json={"brief": "x"}, headers=bearer(tenant.write)
        )
        assert await redis.keys(pattern) == []  # nothing the KPIs read

    async def test_a_deliverable_due_or_delivered_asks_for_a_kpi_snapshot(
        self, client, session, redis, world
    ):
        """Creators' track records (on-time deliverables) are refreshed by the KPI job."""
        tenant, campaign, post = world
        pattern = f"arq:job:campaign.recompute_kpis:{campaign.id}:*"
        collaboration = await create_collaboration(
            session, tenant.org_id, campaign.id, post.creator_id, stage="contracted"
        )
        path = f"/v1/collaborations/{collaboration.id}/deliverables"
        response = await client.post(
            path, json={"platform": "demo", "kind": "post", "due_at": "2026-11-20T12:00:00Z"},
            headers=bearer(tenant.write),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        assert len(await redis.keys(pattern)) == 1
        deliverable = f"/v1/deliverables/{response.json()['id']}"
        await redis.flushdb()
        response = await client.patch(
            deliverable, json={"kind": "reel"}, headers=bearer(tenant.write)
        )
        assert response.status_code == 200, response.text
        assert await redis.keys(pattern) == []  # not what a track record reads
        response = await client.patch(
            deliverable, json={"due_at": "2026-11-21T12:00:00Z"}, headers=bearer(tenant.write)
        )
        assert response.status_code == 200, response.text
        assert len(await redis.keys(pattern)) == 1
