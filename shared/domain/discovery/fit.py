"""How well a creator fits a campaign (docs/discovery.md, "Fit").

Each target the campaign states is a component with a weight; a creator meets a share of it:
the share of the campaign's niches among its niches, of the campaign's hashtags among its
terms (the hashtags of its recent captions), of the campaign's platforms it has an account on,
and 1 or 0 for its country among the campaign's. The score is 100 x the weighted mean of the
shares over the components the campaign states (one that names no country is not judged on
it), rounded to 0.1."""

from dataclasses import dataclass

from shared.models import Campaign

WEIGHTS = {"niches": 40, "hashtags": 25, "platforms": 20, "countries": 15}


@dataclass(frozen=True)
class Targets:
    """A campaign's targets as discovery compares them: hashtags as creators' terms hold them."""

    niches: list[str]
    hashtags: list[str]
    platforms: list[str]
    countries: list[str]

    @classmethod
    def of(cls, campaign: Campaign) -> "Targets":
        return cls(
            niches=list(campaign.niches),
            hashtags=[f"#{tag}" for tag in campaign.hashtags],
            platforms=list(campaign.platforms),
            countries=list(campaign.countries),
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
