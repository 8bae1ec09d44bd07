"""Who published a post, for the URLs that do not say (youtube.com/watch, youtu.be, /shorts/,
pinterest.com/pin/): an optional capability of the adapters whose platform can tell.

What each platform can tell, and with which credential:
- YouTube: `videos.list` gives `snippet.channelId` for any public video, with Sway's API key (or
  any OAuth token): 1 quota unit.
- Pinterest: `GET /v5/pins/{id}` answers only for Pins the token's own account owns (or on a group
  board shared with it), with `is_owner`; so each of the organization's Pinterest tokens is asked
  in turn, and the one whose account owns the Pin names its owner.
- Instagram: the Graph API reads media by numeric id only, never by the shortcode a URL carries,
  and oEmbed no longer returns `author_name` (Meta removed it on 2025-11-03): it cannot tell.
- TikTok (a /v/<id> link), Facebook (/reel/<id>, /watch?v=): no lookup by id without the owner's
  token on the owner's own video list; they cannot tell either.
"""

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shared.platforms.base import Credentials


@dataclass(frozen=True, slots=True)
class PostOwner:
    """The post's owner as the platform named it: its account id, its handle, or (where the
    platform shows a token only its own account's posts) that the credential's account owns it."""

    external_id: str | None = None
    handle: str | None = None
    credential_owner: bool = False
    display_name: str | None = None


@runtime_checkable
class PostOwnerLookup(Protocol):
    async def post_owner(self, external_id: str, creds: Credentials | None) -> PostOwner | None:
        """The owner of the post with this platform id; None when this credential cannot see
        such a post (gone, private, or another account's). Adapter errors as usual: AuthExpired
        or NotConfigured when the credential (or Sway's app key) is refused."""
        ...
