"""A campaign with brand talk to listen to, whose figures docs/listening.md's rules give by hand
(tests/domain/test_listening_scan.py works them out), and a scan run to completion."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import unit_of_work
from shared.domain.listening import scan
from shared.models import AccountRecentPost, BrandProfile, Comment, CreatorAccount, Post
from tests.factories import create_account, create_campaign, create_creator, create_post, utc

BRAND = {
    "handles": ["bluebottle"],
    "keywords": ["Blue Bottle"],
    "products": ["Bella Donovan"],
    "competitors": ["Stumptown"],
}
# (post, text): VADER compound and language in the comments say what the analysis gives.
COMMENTS = {
    "c1": ("p1", "I love Blue Bottle so much!"),  # en, +0.6696, names Blue Bottle
    "c2": ("p1", "This is terrible coffee"),  # en, -0.4767
    "c3": ("p1", "Stumptown is better"),  # en, +0.4404, names the competitor
    "c4": ("p1", "Este café de Blue Bottle es el mejor que he probado"),  # es: unanalysed
    "c5": ("p2", "The package arrived on Tuesday."),  # en, 0.0
    "c6": ("p2", "Where can I buy Bella Donovan?"),  # en, 0.0, names the product
}
CAPTIONS = {
    "p1": "Loving my morning latte with @bluebottle #ad",  # en, +0.5994, names the handle
    "p2": "Just a walk in the park",
    "p3": "#bluebottle morning",  # no campaign
}
LISTING = "Sponsored by Stumptown #ad"  # Ada's, not tracked: a competitor, no campaign


@dataclass
class ListeningWorld:
    org_id: UUID
    campaign_id: UUID
    ada: UUID
    bo: UUID
    ada_account: CreatorAccount
    posts: dict[str, Post] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)


async def add_comment(
    session: AsyncSession, post: Post, external_id: str, text: str, **overrides: Any
) -> Comment:
    fields = {
        "published_at": utc(2026, 11, 20, 12),
        "like_count": 1,
        "author_hash": "a" * 64,
        "fetched_at": utc(2026, 11, 21),
    } | overrides
    comment = Comment(
        org_id=post.org_id, post_id=post.id, platform=post.platform, external_id=external_id,
        text=text, **fields,
    )  # fmt: skip
    session.add(comment)
    await session.commit()
    return comment


async def listening_world(session: AsyncSession, org_id: UUID) -> ListeningWorld:
    session.add(BrandProfile(org_id=org_id, **BRAND))
    campaign = await create_campaign(session, org_id, name="Spring pour")
    ada = await create_creator(session, org_id, name="Ada Brews")
    bo = await create_creator(session, org_id, name="Bo Beans")
    ada_ig = await create_account(session, org_id, ada.id, platform="instagram", handle="ada.brews")
    bo_yt = await create_account(session, org_id, bo.id, platform="youtube", handle="bo.beans")
    world = ListeningWorld(org_id, campaign.id, ada.id, bo.id, ada_ig)
    at = {"p1": utc(2026, 11, 20, 9), "p2": utc(2026, 11, 20, 10), "p3": utc(2026, 11, 19)}
    for name, account, campaign_id in (
        ("p1", ada_ig, campaign.id),
        ("p2", bo_yt, campaign.id),
        ("p3", ada_ig, None),
    ):
        world.posts[name] = await create_post(
            session, account, external_id=f"{account.handle}-{name}", campaign_id=campaign_id,
            caption=CAPTIONS[name], published_at=at[name],
        )  # fmt: skip
    for minute, (name, (post, text)) in enumerate(COMMENTS.items()):
        world.comments[name] = await add_comment(
            session, world.posts[post], name, text, published_at=utc(2026, 11, 20, 12, minute)
        )
    session.add(
        AccountRecentPost(
            org_id=org_id, account_id=ada_ig.id, external_id="ada.brews-old",
            published_at=utc(2026, 10, 1), caption=LISTING, seen_at=utc(2026, 11, 21),
        )
    )  # fmt: skip
    await session.commit()
    return world


async def scan_all(sessionmaker, org_id: UUID, settings) -> list[scan.Batch]:
    """Run the scan until it has nothing left (as many jobs as that takes)."""
    batches: list[scan.Batch] = []
    while True:
        done, more = await scan.run(lambda: unit_of_work(sessionmaker), org_id, settings)
        batches += done
        if not more:
            return batches
