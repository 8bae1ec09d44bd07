"""How well a creator fits a campaign (docs/discovery.md, "Fit").

Each target the campaign states is a component with a weight; a creator meets a share of it:
the share of the campaign's niches among its niches, of the campaign's hashtags among its
terms (the hashtags of its recent captions), of the campaign's platforms it has an account on,
and 1 or 0 for its country among the campaign's. The score is 100 x the weighted mean of the
shares over the components the campaign states (one that names no country is not judged on
it), rounded to 0.1."""

import math
from dataclasses import dataclass, field
from typing import Any

from shared.models import Campaign

WEIGHTS = {"niches": 40, "hashtags": 25, "platforms": 20, "countries": 15}


@dataclass(frozen=True)
class Targets:
    """A campaign's targets as discovery compares them: hashtags as creators' terms hold them."""

    niches: list[str]
    hashtags: list[str]
    platforms: list[str]
    countries: list[str]
    # The campaign's target audience by dimension (country, age, gender): audience_fit's input,
    # not part of the score above.
    audience: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, campaign: Campaign) -> "Targets":
        return cls(
            niches=list(campaign.niches),
            hashtags=[f"#{tag}" for tag in campaign.hashtags],
            platforms=list(campaign.platforms),
            countries=list(campaign.countries),
            audience=audience_target(campaign.target_audience),
        )

    def weights(self) -> dict[str, int]:
        """The components this campaign states, with their weights."""
        return {name: weight for name, weight in WEIGHTS.items() if getattr(self, name)}


@dataclass(frozen=True)
class Matched:
    """What of the targets one creator meets, in the campaign's order."""

    niches: list[str]
    hashtags: list[str]
    platforms: list[str]
    country: str | None


def _article(word: str) -> str:
    # By sound: "an instagram", "an x", "a youtube".
    return "an" if word[:1] in "aeiox" else "a"


def reasons(matched: Matched, hashtag_captions: dict[str, int]) -> list[str]:
    """The fit's reasons in words. `hashtag_captions`: in how many of the creator's recent
    captions each matched hashtag appears."""
    said = [f"niche {niche} matches" for niche in matched.niches]
    for hashtag in matched.hashtags:
        count = hashtag_captions.get(hashtag, 0)
        if count:
            said.append(f"{hashtag} in {count} recent caption{'' if count == 1 else 's'}")
        else:  # the terms predate the captions now known: say what the score read
            said.append(f"{hashtag} among its terms")
    said += [f"has {_article(platform)} {platform} account" for platform in matched.platforms]
    if matched.country:
        said.append(f"country {matched.country}")
    return said


# Audience fit (docs/discovery.md, "Audience fit"): the target audience's lists by the dimension
# audience snapshots name, in the order reasons say them.
AUDIENCE_DIMENSIONS = {"country": "countries", "age": "age_ranges", "gender": "genders"}
NO_AUDIENCE_DATA = "no_audience_data"


def audience_target(target_audience: dict[str, Any] | None) -> dict[str, list[str]]:
    given = target_audience or {}
    wanted = {dim: list(given.get(key) or []) for dim, key in AUDIENCE_DIMENSIONS.items()}
    return {dim: values for dim, values in wanted.items() if values}


@dataclass(frozen=True)
class AudienceData:
    """One account's latest audience: its followers (the account's weight) and, by dimension,
    each bucket's share."""

    followers: int | None
    shares: dict[str, dict[str, float]]


def audience_fit(
    target: dict[str, list[str]], accounts: list[AudienceData]
) -> tuple[float | None, list[str]]:
    """100 x the followers-weighted mean, over the creator's accounts that report every targeted
    dimension, of the product of each dimension's share inside the target (dimensions taken as
    independent: the platforms report them apart), rounded to 0.1. None, with the reason
    no_audience_data, when no account reports them all."""
    usable = [a for a in accounts if all(dim in a.shares for dim in target)]
    if not usable:
        return None, [NO_AUDIENCE_DATA]
    # Followers weigh each account; where one is unknown, every account weighs the same.
    known = all(a.followers for a in usable)
    weights = [float(a.followers) if known else 1.0 for a in usable]
    inside = [
        {
            dim: sum(a.shares[dim].get(bucket, 0.0) for bucket in buckets)
            for dim, buckets in target.items()
        }
        for a in usable
    ]
    total = sum(weights)
    score = sum(w * math.prod(part.values()) for w, part in zip(weights, inside, strict=True))
    reasons = []
    for dim, buckets in target.items():
        share = sum(w * part[dim] for w, part in zip(weights, inside, strict=True)) / total
        reasons.append(_audience_reason(dim, buckets, share))
    return round(100 * score / total, 1), reasons


def _audience_reason(dimension: str, buckets: list[str], share: float) -> str:
    percent = f"{round(100 * share)} %"
    listed = ", ".join(buckets)
    if dimension == "country":
        return f"{percent} of audience in {listed}"
    if dimension == "age":
        return f"{percent} of audience aged {listed}"
    return f"{percent} of audience {listed}"
