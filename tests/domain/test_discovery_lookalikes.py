"""Lookalikes' weights, probe and scoring (likeness.py), the sample's fingerprint (similar.py)
and the kept weights (docs/discovery.md, "Lookalikes")."""

import math
import random
from datetime import UTC, datetime
from uuid import UUID

from shared.domain.discovery import documents, likeness
from shared.domain.discovery.similar import SimilarRepository
from tests.factories import create_creator, create_tenant


def _weights(*sample: list[str]) -> likeness.Weights:
    return likeness.Weights.count("test", sample)


class TestWeights:
    def test_a_term_weighs_its_rarity_in_the_sample(self):
        weights = _weights(["coffee", "latte"], ["coffee"], ["coffee", "vegan"])
        # N = 3: coffee in 3 weighs ln(4/4) = 0, latte in 1 ln(4/2), unseen ln(4)
        assert weights.df == {"coffee": 3, "latte": 1, "vegan": 1}
        assert weights.of("coffee") == 0.0
        assert weights.of("latte") == math.log(2)
        assert weights.of("travel") == math.log(4)

    def test_heaviest_first_keeps_the_source_order_on_ties(self):
        weights = _weights(["coffee", "latte"], ["coffee"])
        ranked = likeness.heaviest_first(["coffee", "b", "latte", "a"], weights)
        assert ranked == ["b", "a", "latte", "coffee"]


class TestProbe:
    def test_an_organization_smaller_than_the_sample_probes_every_term(self):
        weights = _weights(["a", "b"], ["a"], ["a", "c"])
        ranked = likeness.heaviest_first(["a", "b", "c"], weights)
        assert likeness.probe(ranked, weights, sample=4, budget=0.0) == ["b", "c", "a"]

    def test_a_full_sample_probes_the_rarest_terms_within_the_budget(self):
        # 10 sampled creators (a full sample of 10): rare in 1, mid in 2, common in all.
        sample = [["common"] for _ in range(7)] + [
            ["common", "rare", "mid"],
            ["common", "mid"],
            ["common", "other"],
        ]
        weights = _weights(*sample)
        ranked = likeness.heaviest_first(["common", "mid", "unseen", "rare"], weights)
        assert ranked == ["unseen", "rare", "mid", "common"]
        # reach 0, 1, 3, 13 sampled creators against a budget of 0.3 x 10 = 3
        assert likeness.probe(ranked, weights, sample=10, budget=0.3) == ["unseen", "rare", "mid"]
        # the rarest term always, whatever the budget
        assert likeness.probe(ranked, weights, sample=10, budget=0.0) == ["unseen"]


def _brute_force(ranked, candidates, weights, limit):
    """Every candidate scored, the definition written out plainly."""
    total = sum(weights.of(t) for t in ranked)
    found = []
    for creator_id, terms in candidates:
        shared = [t for t in ranked if t in terms]
        weight = sum(weights.of(t) for t in shared)
        if weight > 0:
            whole = sum(weights.of(t) for t in terms)
            found.append((round(weight / (total + whole - weight), 4), creator_id, shared))
    found.sort(key=lambda match: (match[0], match[1]), reverse=True)
    return [likeness.Match(i, score, shared) for score, i, shared in found[:limit]]


class TestBest:
    def test_scores_are_the_weighted_jaccard_index(self):
        # The organization of test_discovery.py's worked example: N = 5.
        weights = _weights(
            ["coffee", "latte", "vegan"],
            ["coffee", "latte"],
            ["coffee", "travel"],
            ["#vegan", "latte", "oat"],
            ["food"],
        )
        ranked = likeness.heaviest_first(["coffee", "latte", "vegan"], weights)
        ids = [UUID(int=n) for n in range(4)]
        candidates = [
            (ids[0], ["coffee", "latte"]),
            (ids[1], ["coffee", "travel"]),
            (ids[2], ["#vegan", "latte", "oat"]),
            (ids[3], ["food"]),
        ]
        assert likeness.best(ranked, candidates, weights, limit=10) == [
            likeness.Match(ids[0], 0.4247, ["coffee", "latte"]),
            likeness.Match(ids[1], 0.1348, ["coffee"]),
            likeness.Match(ids[2], 0.0987, ["latte"]),
        ]

    def test_skipping_candidates_that_cannot_enter_changes_no_answer(self):
        # best() stops once a candidate's bound (shared / total) rounds below the limit-th
        # score; on random term lists it answers what scoring every candidate answers, ties and
        # all (few words, so many equal scores).
        rng = random.Random(7)
        vocabulary = [f"w{n}" for n in range(40)]
        for _ in range(50):
            sample = [rng.sample(vocabulary, rng.randint(1, 12)) for _ in range(30)]
            weights = _weights(*sample)
            ranked = likeness.heaviest_first(rng.sample(vocabulary, 8), weights)
            candidates = [
                (UUID(int=rng.getrandbits(128)), rng.sample(vocabulary, rng.randint(1, 12)))
                for _ in range(60)
            ]
            for limit in (1, 5, 20, 100):
                expected = _brute_force(ranked, candidates, weights, limit)
                assert likeness.best(ranked, candidates, weights, limit=limit) == expected


class TestWeightsCache:
    def test_keeps_the_most_recently_asked_organizations(self):
        cache = likeness.WeightsCache(2)
        a, b, c = (UUID(int=n) for n in (1, 2, 3))
        for org_id in (a, b):
            cache.put(org_id, _weights([str(org_id)]))
        assert cache.get(a) is not None  # a is now the most recent
        cache.put(c, _weights(["c"]))
        assert cache.get(b) is None
        assert cache.get(a) is not None and cache.get(c) is not None


class TestSampleFingerprint:
    async def test_terms_come_back_only_when_the_sample_changed(self, session):
        tenant = await create_tenant(session)
        org = tenant.org_id
        first = await create_creator(session, org, name="A", niches=["coffee"])
        second = await create_creator(session, org, name="B", niches=["tea"])
        await documents.refresh_creators(session, org, [first.id, second.id])
        await session.commit()
        repository = SimilarRepository(session, org)

        counted = await repository.sample(10, known=None)
        assert sorted(counted.terms) == [["coffee"], ["tea"]]
        same = await repository.sample(10, known=counted.fingerprint)
        assert (same.fingerprint, same.terms) == (counted.fingerprint, None)

        # A refresh that changes terms is a new row version: counted again.
        second.niches = ["tea", "matcha"]
        await documents.refresh_creators(session, org, [second.id])
        await session.commit()
        changed = await repository.sample(10, known=counted.fingerprint)
        assert changed.fingerprint != counted.fingerprint
        assert sorted(changed.terms) == [["coffee"], ["tea", "matcha"]]

        # A creator joining the sample, then one leaving it (archived), change it too.
        third = await create_creator(session, org, name="C", niches=["wine"])
        await documents.refresh_creators(session, org, [third.id])
        await session.commit()
        joined = await repository.sample(10, known=changed.fingerprint)
        assert len(joined.terms) == 3
        third.archived_at = first.created_at
        await session.commit()
        left = await repository.sample(10, known=joined.fingerprint)
        assert sorted(left.terms) == [["coffee"], ["tea", "matcha"]]
        assert left.fingerprint != joined.fingerprint

    async def test_a_sample_that_moves_past_an_older_creator_changes(self, session):
        # A full sample of 1: the newest creator; archiving it brings the older one in.
        tenant = await create_tenant(session)
        org = tenant.org_id
        older = await create_creator(
            session, org, name="Old", niches=["tea"], created_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        newer = await create_creator(
            session, org, name="New", niches=["coffee"], created_at=datetime(2026, 2, 1, tzinfo=UTC)
        )
        await documents.refresh_creators(session, org, [older.id, newer.id])
        await session.commit()
        repository = SimilarRepository(session, org)
        before = await repository.sample(1, known=None)
        assert before.terms == [["coffee"]]
        newer.archived_at = newer.created_at
        await session.commit()
        after = await repository.sample(1, known=before.fingerprint)
        assert after.terms == [["tea"]]
