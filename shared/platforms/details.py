"""PostDetails from the parse an adapter already makes of a post for its listing, so a stats answer
that carries the same fields is read by the same code."""

from dataclasses import replace

from shared.platforms.base import PostDetails, PostInfo, PostStats


def details_of(info: PostInfo) -> PostDetails:
    return PostDetails(
        url=info.url, kind=info.kind, caption=info.caption, published_at=info.published_at
    )


def stats_with_details(info: PostInfo, stats: PostStats | None = None) -> PostStats:
    """`stats` (by default the listing's own counts) carrying the post's details."""
    return replace(stats or info.stats or PostStats(), details=details_of(info))
