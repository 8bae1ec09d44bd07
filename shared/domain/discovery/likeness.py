"""Lookalikes' arithmetic (docs/discovery.md, "Lookalikes"): the weight of a term by its rarity
in a sample of the organization's creators, which of the source's terms find the candidates,
and the weighted Jaccard index of two term lists. similar.py has the SQL, service.py the rest."""

import heapq
import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from uuid import UUID


@dataclass(frozen=True)
class Weights:
    """weight = ln((N + 1) / (df + 1)), N the sampled creators, df how many of them have the
    term: a term every one has weighs 0, one none has ln(N + 1). `fingerprint` identifies the
    sample the counts were taken on (similar.py)."""

    fingerprint: str
    sampled: int
    df: dict[str, int]
    weight: dict[str, float]

    @classmethod
    def count(cls, fingerprint: str, sample: Iterable[Sequence[str]]) -> "Weights":
        rows = list(sample)
        # Counter counts in C; a term lists each of its words once, so this is df.
        df = Counter(chain.from_iterable(rows))
        sampled = len(rows)
        by_df = [math.log((sampled + 1) / (d + 1)) for d in range(sampled + 1)]
        return cls(fingerprint, sampled, df, {term: by_df[d] for term, d in df.items()})

    @property
    def unseen(self) -> float:
        """The weight of a term no sampled creator has."""
        return math.log(self.sampled + 1)

    def of(self, term: str) -> float:
        return self.weight.get(term, self.unseen)


def heaviest_first(terms: Sequence[str], weights: Weights) -> list[str]:
    """The source's terms by weight, ties in the source's order: how reasons are listed."""
    return sorted(terms, key=lambda term: weights.df.get(term, 0))


def probe(ranked: Sequence[str], weights: Weights, *, sample: int, budget: float) -> list[str]:
    """The terms whose creators are the candidates: the rarest first, for as long as the sampled
    creators having them stay within `budget` of the sample; always the rarest one, and every
    term when the organization is smaller than the sample (the answer is then exact)."""
    if weights.sampled < sample:
        return list(ranked)
    chosen, reach = [], 0
    for term in ranked:
        reach += weights.df.get(term, 0)
        if chosen and reach > budget * weights.sampled:
            break
        chosen.append(term)
    return chosen


@dataclass(frozen=True)
class Match:
    creator_id: UUID
    score: float
    shared: list[str]


def best(
    ranked: Sequence[str],
    candidates: Iterable[tuple[UUID, Sequence[str]]],
    weights: Weights,
    *,
    limit: int,
) -> list[Match]:
    """The `limit` candidates most like the source (`ranked`, its terms heaviest first) by the
    weighted Jaccard index, rounded to 0.0001, best first, equal scores by id descending; one
    sharing only terms of weight 0 is left out. Its shared terms in the source's order."""
    place = {term: n for n, term in enumerate(ranked)}
    of, unseen = weights.weight.get, weights.unseen
    total = sum(map(of, ranked, repeat(unseen)))
    sharing = []
    for creator_id, terms in candidates:
        both = place.keys() & terms
        shared = sum(map(of, both, repeat(unseen)))
        if shared > 0:
            sharing.append((shared, creator_id, terms, both))
    # A candidate weighs at least what it shares, so its score is at most shared / total: once
    # that rounds below the `limit`-th best score, no candidate sharing less can enter (nor tie).
    sharing.sort(key=itemgetter(0), reverse=True)
    scored: list[tuple[float, UUID, set[str]]] = []
    kept: list[float] = []  # the best `limit` scores so far, lowest first (a heap)
    for shared, creator_id, terms, both in sharing:
        if len(kept) == limit and round(shared / total, 4) < kept[0]:
            break
        whole = sum(map(of, terms, repeat(unseen)))
        score = round(shared / (total + whole - shared), 4)
        scored.append((score, creator_id, both))
        if len(kept) < limit:
            heapq.heappush(kept, score)
        else:
            heapq.heappushpop(kept, score)
    scored.sort(key=itemgetter(0, 1), reverse=True)
    return [
        Match(creator_id, score, sorted(both, key=place.__getitem__))
        for score, creator_id, both in scored[:limit]
    ]


class WeightsCache:
    """The weights last counted for the `size` organizations most recently asked about. The
    caller uses an entry only while its sample's fingerprint is the one Postgres reports now:
    the counts are reused, never stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[UUID, Weights] = OrderedDict()

    def get(self, org_id: UUID) -> Weights | None:
        weights = self._entries.get(org_id)
        if weights is not None:
            self._entries.move_to_end(org_id)
        return weights

    def put(self, org_id: UUID, weights: Weights) -> None:
        self._entries[org_id] = weights
        self._entries.move_to_end(org_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
