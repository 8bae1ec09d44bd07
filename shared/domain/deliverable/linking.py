"""Which post fulfils which deliverable. One rule for every way a post arrives (the API, content
capture, a PATCH of the deliverable): the post and the deliverable share the campaign, the
creator and the platform, and a post automatically fulfils the soonest-due open deliverable whose
required hashtags and mentions its caption all carries. The disclosure requirement is not part
of the match: a post that lacks it is still the deliverable, and its `disclosure` says so. Linking
or unlinking a post may change whether it must disclose, so each way recomputes its check."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.domain.deliverable.repository import DeliverableRepository
from shared.domain.post import disclosure, disclosure_service
from shared.errors import Conflict, Invalid, NotFound
from shared.models import Campaign, Collaboration, Deliverable, Post
from shared.models.status import CollaborationStage, DeliverableStatus, PostStatus


def requirements_met(deliverable: Deliverable, caption: str | None) -> bool:
    return set(deliverable.hashtags) <= disclosure.hashtags(caption) and set(
        deliverable.mentions
    ) <= disclosure.mentions(caption)


def _attach(post: Post, deliverable: Deliverable) -> None:
    post.deliverable_id = deliverable.id
    # A post waiting for its account's sync to resolve it is not published yet; the overdue
    # sweep publishes the deliverable once the post is tracked.
    if post.status != PostStatus.pending:
        deliverable.status = DeliverableStatus.published


async def link_matching(session: AsyncSession, org_id: UUID, posts: Sequence[Post]) -> int:
    """Link each post (of a campaign, not yet linked) to the deliverable it fulfils, if any.
    Returns how many were linked."""
    repository = DeliverableRepository(session, org_id)
    linked: list[UUID] = []
    for post in posts:
        if post.deliverable_id is not None or post.campaign_id is None:
            continue
        candidates = await repository.open_for(post.campaign_id, post.creator_id, post.platform)
        match = next((d for d in candidates if requirements_met(d, post.caption)), None)
        if match is None:
            continue
        try:
            async with session.begin_nested():
                _attach(post, match)
                await session.flush()
        except IntegrityError:  # another post took it meanwhile: leave this one unlinked
            continue
        linked.append(post.id)
    await disclosure_service.recompute_posts(session, org_id, linked)
    return len(linked)


async def link_existing(
    session: AsyncSession, org_id: UUID, deliverable: Deliverable, collaboration: Collaboration
) -> bool:
    """A new deliverable that a post already tracked for the campaign fulfils (the earliest
    published that meets the requirements and fulfils no other) is linked to it at once."""
    posts = await DeliverableRepository(session, org_id).unlinked_posts(
        collaboration.campaign_id, collaboration.creator_id, deliverable.platform
    )
    match = next((p for p in posts if requirements_met(deliverable, p.caption)), None)
    if match is None:
        return False
    _attach(match, deliverable)
    await disclosure_service.recompute_posts(session, org_id, [match.id])
    return True


async def wanted(session: AsyncSession, account) -> Sequence[tuple[Deliverable, Campaign]]:
    """For content capture: the deliverables an account's new posts may fulfil, with their
    campaigns, so a post is captured for a deliverable even when its campaign names no hashtags."""
    return await DeliverableRepository(session, account.org_id).wanted_on_active_campaigns(
        account.creator_id, account.platform
    )


def campaign_wanting(
    candidates: Sequence[tuple[Deliverable, Campaign]], caption: str | None
) -> Campaign | None:
    return next((c for d, c in candidates if requirements_met(d, caption)), None)


async def link_captured(session: AsyncSession, org_id: UUID, post_ids: Sequence[UUID]) -> int:
    return await link_matching(
        session, org_id, await DeliverableRepository(session, org_id).posts(post_ids)
    )


async def on_tracked(
    session: AsyncSession, org_id: UUID, post: Post, deliverable_id: UUID | None
) -> None:
    """A post tracked through the API: linked to the deliverable it names, else matched."""
    if deliverable_id is None:
        await link_matching(session, org_id, [post])
        return
    found = await DeliverableRepository(session, org_id).with_collaboration(deliverable_id)
    loc = ("body", "deliverable_id")
    if found is None:
        # An id that does not exist, or is another organization's: 404, as for every id.
        raise NotFound(f"deliverable {deliverable_id} not found")
    await link(session, post, *found, loc=loc)


async def link(
    session: AsyncSession,
    post: Post,
    deliverable: Deliverable,
    collaboration: Collaboration,
    *,
    loc: tuple[str, ...],
) -> None:
    """Link a post someone chose: 422 (at `loc`) when it cannot be this deliverable's post,
    409 when either is already taken."""
    problem = None
    if collaboration.campaign_id != post.campaign_id:
        problem = f"the post is on campaign {post.campaign_id}, the deliverable's collaboration "
        problem += f"on campaign {collaboration.campaign_id}"
    elif collaboration.creator_id != post.creator_id:
        problem = f"the deliverable is for creator {collaboration.creator_id}; the post's "
        problem += f"account belongs to creator {post.creator_id}"
    elif deliverable.platform != post.platform:
        problem = f"the deliverable is on {deliverable.platform}, the post on {post.platform}"
    if problem is not None:
        raise Invalid.field(loc, problem)
    if post.deliverable_id == deliverable.id:
        return
    if collaboration.stage == CollaborationStage.declined:
        raise Conflict(f"collaboration {collaboration.id} is declined")
    if post.deliverable_id is not None:
        raise Conflict(f"post {post.id} already fulfils deliverable {post.deliverable_id}")
    if deliverable.post_id is not None:
        raise Conflict(f"deliverable {deliverable.id} already has post {deliverable.post_id}")
    _attach(post, deliverable)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"deliverable {deliverable.id} already has a post") from exc
    await disclosure_service.recompute_posts(session, post.org_id, [post.id])


async def unlink(session: AsyncSession, org_id: UUID, deliverable: Deliverable) -> None:
    post = await DeliverableRepository(session, org_id).linked_post(deliverable.id)
    if post is not None:
        post.deliverable_id = None
    if deliverable.status == DeliverableStatus.published:
        deliverable.status = DeliverableStatus.pending  # the sweep marks it late if it is
    await session.flush()
    if post is not None:
        await disclosure_service.recompute_posts(session, org_id, [post.id])
    await session.refresh(deliverable, ["post_id"])
