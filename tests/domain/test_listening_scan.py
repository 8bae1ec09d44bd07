"""The listening scan over tests/factories_listening.py's world, and the campaign KPIs it feeds.

Worked by hand from the world (terms: handle bluebottle, keyword Blue Bottle, product Bella
Donovan, competitor Stumptown; sentiment: VADER compound ≥ 0.05 positive, ≤ -0.05 negative):

  campaign texts      brand term         competitor  sentiment
  p1 caption (Ada)    bluebottle                     positive (+0.5994)
  c1 (Ada, p1)        Blue Bottle                    positive (+0.6696)
  c2 (Ada, p1)                                       negative (-0.4767)
  c3 (Ada, p1)                           Stumptown   positive (+0.4404)
  c4 (Ada, p1)        Blue Bottle                    unanalysed (Spanish)
  c5 (Bo, p2)                                        neutral (0.0)
  c6 (Bo, p2)         Bella Donovan                  neutral (0.0)
  p2 caption (Bo)     (none: not counted for sentiment, it names no brand)

mentions 4 (p1, c1, c4, c6), competitor_mentions 1 (c3); positive 3, neutral 2, negative 1,
unanalysed 1; analysed 6, coverage 6/7, net (3 − 1) / 6 = 1/3.
Ada: mentions 3, competitor 1, positive 3, negative 1, unanalysed 1: net 2/4, coverage 4/5.
Bo: mentions 1, neutral 2: net 0, coverage 1.
Outside the campaign: p3's caption (#bluebottle: the handle, and the keyword as a hashtag) and
Ada's listing (Stumptown)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from shared.db import reads_in, unit_of_work
from shared.domain.kpi import service as kpi_service
from shared.domain.kpi.schemas import TimeseriesQuery
from shared.domain.listening import profile as profile_service
from shared.domain.listening import scan
from shared.domain.listening.schemas import BrandTerms
from shared.models import (
    Campaign,
    CampaignGoal,
    Comment,
    ListeningScan,
    Mention,
    Post,
    PostListening,
)
from tests.factories import create_campaign, create_tenant
from tests.factories_listening import listening_world, scan_all


@pytest.fixture
async def world(session):
    tenant = await create_tenant(session)
    return await listening_world(session, tenant.org_id)


async def _mentions(session, org_id) -> set[tuple[str, str, str, str | None]]:
    rows = await session.execute(
        select(Mention.source_key, Mention.term, Mention.kind, Mention.sentiment).where(
            Mention.org_id == org_id
        )
    )
    return set(rows.all())


# (text, term, kind, sentiment) of every mention the world's scan finds.
EXPECTED = {
    ("p1", "bluebottle", "handle", "positive"),
    ("c1", "Blue Bottle", "keyword", "positive"),
    ("c3", "Stumptown", "competitor", "positive"),
    ("c4", "Blue Bottle", "keyword", "unanalysed"),
    ("c6", "Bella Donovan", "product", "neutral"),
    ("p3", "bluebottle", "handle", "neutral"),
    ("p3", "Blue Bottle", "keyword", "neutral"),  # "#bluebottle" is the keyword as a hashtag
    ("listing", "Stumptown", "competitor", "neutral"),
}


async def _named(session, world) -> set[tuple[str, str, str, str | None]]:
    names = _keys(world)
    return {(names[k], *rest) for k, *rest in await _mentions(session, world.org_id)}


def _keys(world) -> dict[str, str]:
    """Each text's source key, by its name in the world."""
    keys = {f"comment:{c.id}": name for name, c in world.comments.items()}
    keys |= {f"caption:{p.account_id}:{p.external_id}": name for name, p in world.posts.items()}
    keys[f"caption:{world.ada_account.id}:ada.brews-old"] = "listing"
    return keys


class TestScan:
    async def test_every_text_is_matched_with_its_sentiment(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        assert await _named(session, world) == EXPECTED

    async def test_comments_get_language_and_sentiment(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        rows = (
            await session.execute(select(Comment.external_id, Comment.language, Comment.sentiment))
        ).all()
        assert {r.external_id: (r.language, r.sentiment) for r in rows} == {
            "c1": ("en", "positive"),
            "c2": ("en", "negative"),
            "c3": ("en", "positive"),
            "c4": ("es", "unanalysed"),
            "c5": ("en", "neutral"),
            "c6": ("en", "neutral"),
        }
        scores = dict(
            (await session.execute(select(Comment.external_id, Comment.sentiment_score))).all()
        )
        assert scores["c1"] == pytest.approx(0.6696)
        assert scores["c2"] == pytest.approx(-0.4767)
        assert scores["c4"] is None

    async def test_mentions_carry_their_campaign(self, session, sessionmaker, settings, world):
        await scan_all(sessionmaker, world.org_id, settings)
        names = _keys(world)
        rows = (
            await session.execute(select(Mention.source_key, Mention.campaign_id, Mention.post_id))
        ).all()
        campaigns = {names[key]: campaign for key, campaign, _ in rows}
        assert campaigns == {
            "p1": world.campaign_id, "c1": world.campaign_id, "c3": world.campaign_id,
            "c4": world.campaign_id, "c6": world.campaign_id, "p3": None, "listing": None,
        }  # fmt: skip
        posts = {names[key]: post for key, _, post in rows}
        assert posts["listing"] is None and posts["p3"] == world.posts["p3"].id

    async def test_running_again_changes_nothing(self, session, sessionmaker, settings, world):
        await scan_all(sessionmaker, world.org_id, settings)
        before = await _mentions(session, world.org_id)
        ids = set((await session.scalars(select(Mention.id))).all())
        # A new caption pass, as SWAY_LISTENING_CAPTION_PASS_S later.
        await session.execute(update(ListeningScan).values(captions_scanned_at=None))
        await session.commit()
        batches = await scan_all(sessionmaker, world.org_id, settings)
        assert batches and sum(batch.mentions for batch in batches) == 0
        assert await _mentions(session, world.org_id) == before
        assert set((await session.scalars(select(Mention.id))).all()) == ids

    async def test_nothing_due_means_no_batch(self, sessionmaker, settings, world):
        await scan_all(sessionmaker, world.org_id, settings)
        assert await scan_all(sessionmaker, world.org_id, settings) == []

    async def test_an_edited_caption_loses_its_mention(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        p3 = world.posts["p3"]
        await session.execute(
            update(Post).where(Post.id == p3.id).values(caption="a quiet morning")
        )
        await session.execute(update(ListeningScan).values(captions_scanned_at=None))
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        terms = await session.scalars(select(Mention.term).where(Mention.post_id == p3.id))
        assert terms.all() == []

    async def test_an_edited_comment_is_analysed_again(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        c2 = world.comments["c2"]
        # What storing an edited comment does (shared/domain/comment): the analysis is cleared.
        await session.execute(
            update(Comment)
            .where(Comment.id == c2.id)
            .values(
                text="Blue Bottle is wonderful", sentiment=None, language=None, analysed_at=None
            )
        )
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        rows = (
            await session.execute(
                select(Mention.term, Mention.sentiment).where(Mention.comment_id == c2.id)
            )
        ).all()
        assert rows == [("Blue Bottle", "positive")]
        counts = await session.get(PostListening, world.posts["p1"].id, populate_existing=True)
        assert (counts.mentions, counts.positive, counts.negative) == (4, 4, 0)

    async def test_a_brand_change_matches_every_text_again(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        analysed = dict((await session.execute(select(Comment.id, Comment.analysed_at))).all())
        terms = BrandTerms(keywords=["coffee"], competitors=["Bella Donovan"])
        await profile_service.replace(session, world.org_id, terms)
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        names = _keys(world)
        found = {
            (names[k], term, kind) for k, term, kind, _ in await _mentions(session, world.org_id)
        }
        assert found == {("c2", "coffee", "keyword"), ("c6", "Bella Donovan", "competitor")}
        # Matched again, not analysed again.
        assert (
            dict((await session.execute(select(Comment.id, Comment.analysed_at))).all()) == analysed
        )

    async def test_the_same_profile_again_restarts_nothing(
        self, session, sessionmaker, settings, world
    ):
        await scan_all(sessionmaker, world.org_id, settings)
        current = await profile_service.get(session, world.org_id)
        await profile_service.replace(
            session, world.org_id, BrandTerms(**current.model_dump(exclude={"updated_at"}))
        )
        await session.commit()
        assert await scan_all(sessionmaker, world.org_id, settings) == []

    async def test_a_campaign_brand_overrides_the_organization(
        self, session, sessionmaker, settings, world
    ):
        await session.execute(
            update(Campaign)
            .where(Campaign.id == world.campaign_id)
            .values(brand={"keywords": ["park"]})
        )
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        names = _keys(world)
        found = {(names[k], term) for k, term, _, _ in await _mentions(session, world.org_id)}
        # The campaign's posts: keyword "park" instead of Blue Bottle; the other lists inherited.
        assert ("p2", "park") in found and ("c1", "Blue Bottle") not in found
        assert ("p1", "bluebottle") in found and ("c6", "Bella Donovan") in found
        # Posts of no campaign keep the organization's terms.
        assert ("p3", "bluebottle") in found

    async def test_small_batches_resume_where_they_stopped(
        self, session, sessionmaker, settings, world
    ):
        small = settings.model_copy(update={"listening_batch": 2, "listening_job_s": 0})
        batches = await scan_all(sessionmaker, world.org_id, small)
        # 6 comments in 3 batches (the third finds the end); posts 3 in 2; listing 1 in 1.
        assert [b.step for b in batches].count("comments") == 3
        assert await _named(session, world) == EXPECTED
        state = await session.get(ListeningScan, world.org_id, populate_existing=True)
        assert state.captions_cursor is None and state.captions_scanned_at is not None

    async def test_a_job_stops_at_its_time_and_says_more_remains(
        self, sessionmaker, settings, world
    ):
        small = settings.model_copy(update={"listening_batch": 2, "listening_job_s": 0})
        batches, more = await scan.run(lambda: unit_of_work(sessionmaker), world.org_id, small)
        assert len(batches) == 1 and more


class TestCampaignKpis:
    async def test_mentions_and_sentiment_by_hand(self, session, sessionmaker, settings, world):
        await scan_all(sessionmaker, world.org_id, settings)
        kpis = await kpi_service.campaign_kpis(
            await reads_in(session), world.org_id, world.campaign_id, now=datetime.now(UTC)
        )
        totals = kpis["totals"]
        assert (totals["mentions"], totals["competitor_mentions"]) == (4, 1)
        assert totals["sentiment"] == {
            "positive": 3, "neutral": 2, "negative": 1, "unanalysed": 1, "pending": 0,
            "analysed": 6, "coverage": 6 / 7, "net": 2 / 6,
        }  # fmt: skip
        assert totals["sentiment_net"] == 2 / 6
        by_creator = {row["creator_id"]: row for row in kpis["by_creator"]}
        ada, bo = by_creator[str(world.ada)], by_creator[str(world.bo)]
        assert (ada["mentions"], ada["competitor_mentions"]) == (3, 1)
        assert (ada["sentiment"]["net"], ada["sentiment"]["coverage"]) == (2 / 4, 4 / 5)
        assert (bo["mentions"], bo["sentiment"]["neutral"], bo["sentiment"]["net"]) == (1, 2, 0.0)
        by_platform = {row["platform"]: row for row in kpis["by_platform"]}
        assert by_platform["instagram"]["mentions"] == 3 and by_platform["youtube"]["mentions"] == 1

    async def test_comments_not_analysed_yet_are_pending(self, session, world):
        kpis = await kpi_service.campaign_kpis(
            await reads_in(session), world.org_id, world.campaign_id
        )
        # Before any scan: the brand is set, nothing is counted yet.
        assert kpis["totals"]["mentions"] == 0
        assert kpis["totals"]["sentiment"]["net"] is None

    async def test_no_brand_terms_means_mentions_not_measured(self, session):
        tenant = await create_tenant(session, "No brand")
        campaign = await create_campaign(session, tenant.org_id)
        kpis = await kpi_service.campaign_kpis(await reads_in(session), tenant.org_id, campaign.id)
        assert kpis["totals"]["mentions"] is None
        assert kpis["totals"]["sentiment"]["analysed"] == 0

    async def test_a_goal_can_target_sentiment(self, session, sessionmaker, settings, world):
        session.add(
            CampaignGoal(
                org_id=world.org_id,
                campaign_id=world.campaign_id,
                metric="sentiment_net",
                target=Decimal("0.25"),
                direction="at_least",
            )
        )
        session.add(
            CampaignGoal(
                org_id=world.org_id,
                campaign_id=world.campaign_id,
                metric="mentions",
                target=Decimal("8"),
                direction="at_least",
            )
        )
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        kpis = await kpi_service.campaign_kpis(
            await reads_in(session), world.org_id, world.campaign_id
        )
        goals = {goal["metric"]: goal for goal in kpis["goals"]}
        assert goals["sentiment_net"]["actual"] == 2 / 6
        assert goals["sentiment_net"]["progress"] == pytest.approx((2 / 6) / 0.25)
        assert goals["mentions"]["actual"] == 4 and goals["mentions"]["progress"] == 0.5


class TestTimeseries:
    async def test_mentions_over_time_from_the_kpi_snapshots(
        self, session, sessionmaker, settings, world
    ):
        # A snapshot before the scan (nothing counted yet), then one after it.
        before = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
        await kpi_service.record_snapshot(session, world.org_id, world.campaign_id, now=before)
        await session.commit()
        await scan_all(sessionmaker, world.org_id, settings)
        after = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
        await kpi_service.record_snapshot(session, world.org_id, world.campaign_id, now=after)
        await session.commit()
        for metric, values in (("mentions", [0, 4]), ("sentiment_net", [None, 2 / 6])):
            query = TimeseriesQuery(
                metric=metric,
                interval="hour",
                **{"from": datetime(2026, 11, 20, 13, tzinfo=UTC)},
                to=datetime(2026, 11, 20, 15, tzinfo=UTC),
            )
            series = await kpi_service.timeseries(
                await reads_in(session), world.org_id, world.campaign_id, query,
                now=datetime(2026, 11, 21, tzinfo=UTC),
            )  # fmt: skip
            assert [point["value"] for point in series["points"]] == values, metric
