"""Turn a pasted post or profile link into the platform and the id that platform's API knows.

Parsing is offline. Short links (fb.watch, vm.tiktok.com, pin.it, lnkd.in, t.co) only reveal
their target through an HTTP redirect, so they are refused here as a `ShortLink`, which
`shared/platforms/links.py` resolves over the network before parsing the URL they lead to. Every
refusal is an `UnrecognizedURL` whose message is written for the person who pasted the link: the
API returns it verbatim in a 422.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from shared.platforms.base import Platform

P = Platform


class UnrecognizedURL(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ShortLink(UnrecognizedURL):
    """A link that names its target only through an HTTP redirect; `platform` is whose it is."""

    def __init__(self, reason: str, platform: Platform) -> None:
        super().__init__(reason)
        self.platform = platform


@dataclass(frozen=True, slots=True)
class ParsedPost:
    """The post a URL names, as the platform's id where the URL carries it.

    - Instagram: `external_id` is the URL's *shortcode* (e.g. "C8xYzAbCdEf"). The Graph API uses
      numeric media ids that no URL shows; the worker resolves a shortcode by matching permalinks
      when it lists the account's media.
    - Facebook: the post's own id (digits or "pfbid…"); the Graph id is "<page-id>_<post-id>",
      which the worker builds once it knows the page id.
    - LinkedIn: the full URN ("urn:li:activity:…", "urn:li:share:…" or "urn:li:ugcPost:…").
    """

    platform: Platform
    external_id: str
    handle: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class ParsedProfile:
    """An account as its URL names it. YouTube keeps its namespaces apart: "@name" for handles,
    the "UC…" channel id (also in `external_id`), and a bare name for legacy /c/ and /user/ URLs.
    LinkedIn says whether the slug is an organization page or a member in `kind`."""

    platform: Platform
    handle: str
    external_id: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class _Link:
    host: str
    parts: tuple[str, ...]
    query: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Forms:
    post_noun: str
    post: str
    profile: str
    reserved: frozenset[str] = frozenset()


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.", "mbasic.")
_HOSTS = {
    "instagram.com": P.instagram,
    "instagr.am": P.instagram,
    "facebook.com": P.facebook,
    "fb.com": P.facebook,
    "youtube.com": P.youtube,
    "youtu.be": P.youtube,
    "music.youtube.com": P.youtube,
    "studio.youtube.com": P.youtube,
    "youtube-nocookie.com": P.youtube,
    "tiktok.com": P.tiktok,
    "x.com": P.x,
    "twitter.com": P.x,
    # Embed-fixing mirrors people paste instead of x.com; same paths, same ids.
    "fxtwitter.com": P.x,
    "vxtwitter.com": P.x,
    "fixupx.com": P.x,
    "linkedin.com": P.linkedin,
    "demo.sway.test": P.demo,
}
_PINTEREST_HOST = re.compile(r"^(?:[a-z]{2}\.)?pinterest\.(?:com|[a-z]{2}|(?:co|com)\.[a-z]{2})$")
_LINKEDIN_HOST = re.compile(r"^[a-z]{2}\.linkedin\.com$")
_SHORT_HOSTS = {
    "fb.watch": P.facebook,
    "vm.tiktok.com": P.tiktok,
    "vt.tiktok.com": P.tiktok,
    "pin.it": P.pinterest,
    "lnkd.in": P.linkedin,
    "t.co": P.x,
}
# Short links that live on the main domain, by their first path segment.
_SHORT_PATHS = {
    (P.tiktok, "t"): "tiktok.com/t/",
    (P.facebook, "share"): "facebook.com/share/",
    (P.instagram, "share"): "instagram.com/share/",
}
_FULL_URLS = {
    P.instagram: (
        "https://www.instagram.com/p/<shortcode>/",
        "https://www.instagram.com/<username>/",
    ),
    P.facebook: ("https://www.facebook.com/<page>/posts/<id>", "https://www.facebook.com/<page>"),
    P.tiktok: ("https://www.tiktok.com/@user/video/<id>", "https://www.tiktok.com/@user"),
    P.pinterest: ("https://www.pinterest.com/pin/<id>/", "https://www.pinterest.com/<user>/"),
    P.linkedin: (
        "https://www.linkedin.com/feed/update/urn:li:activity:<id>/",
        "https://www.linkedin.com/company/<name>/",
    ),
    P.x: ("https://x.com/<user>/status/<id>", "https://x.com/<user>"),
}


def parse_post_url(url: str) -> ParsedPost:
    link, platform = _resolve(url, want_post=True)
    post_parser, profile_parser = _PARSERS[platform]
    parsed = post_parser(link)
    if parsed is not None:
        return parsed
    forms = _FORMS[platform]
    if profile_parser(link) is not None:
        raise UnrecognizedURL(
            f"{platform}: this is a profile URL, not a post; paste the link to the post itself"
        )
    raise UnrecognizedURL(f"{platform}: no {forms.post_noun} in URL (expected {forms.post})")


def parse_profile_url(url: str) -> ParsedProfile:
    link, platform = _resolve(url, want_post=False)
    post_parser, profile_parser = _PARSERS[platform]
    parsed = profile_parser(link)
    if parsed is not None:
        return parsed
    forms = _FORMS[platform]
    if _is_post(post_parser, link):
        raise UnrecognizedURL(
            f"{platform}: this is a link to a post, not a profile (expected {forms.profile})"
        )
    first = link.parts[0].lower() if link.parts else ""
    if first in forms.reserved:
        raise UnrecognizedURL(
            f"{platform}: /{first}/ is not a profile page (expected {forms.profile})"
        )
    raise UnrecognizedURL(f"{platform}: not a profile URL (expected {forms.profile})")


def _is_post(post_parser: Callable[[_Link], ParsedPost | None], link: _Link) -> bool:
    try:
        return post_parser(link) is not None
    except UnrecognizedURL:
        return True  # refused for a post-specific reason, so it was shaped like a post


def platform_of_host(host: str) -> Platform | None:
    """Whose host this is (short-link hosts included), as the parser reads it: "www.", "m." and
    the like are ignored. None for any host that is no supported platform's."""
    host = _bare_host(host.lower().rstrip("."))
    platform = _HOSTS.get(host) or _SHORT_HOSTS.get(host)
    if platform is None and _PINTEREST_HOST.match(host):
        platform = P.pinterest
    if platform is None and _LINKEDIN_HOST.match(host):
        platform = P.linkedin  # country subdomains such as uk.linkedin.com/in/<name>
    return platform


def _resolve(url: str, *, want_post: bool) -> tuple[_Link, Platform]:
    link = _split(url)
    platform = platform_of_host(link.host)
    if link.host in _SHORT_HOSTS:
        raise _needs_lookup(_SHORT_HOSTS[link.host], link.host, want_post)
    if platform is None:
        raise UnrecognizedURL(f"not a URL of a supported platform: {link.host}")
    short = _SHORT_PATHS.get((platform, link.parts[0] if link.parts else ""))
    if short:
        raise _needs_lookup(platform, short, want_post)
    return link, platform


def _needs_lookup(platform: Platform, what: str, want_post: bool) -> ShortLink:
    full = _FULL_URLS[platform][0 if want_post else 1]
    return ShortLink(
        f"{platform}: {what} short links need a network lookup to resolve; "
        f"paste the full {full} URL",
        platform,
    )


def _split(url: str) -> _Link:
    text = url.strip()
    if not text:
        raise UnrecognizedURL("empty URL: paste the link to the post or profile")
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text):
        text = "https://" + text
    try:
        split = urlsplit(text)
        host = (split.hostname or "").rstrip(".")
    except ValueError as exc:
        raise UnrecognizedURL(f"not a valid URL: {url.strip()[:100]}") from exc
    if split.scheme.lower() not in ("http", "https"):
        raise UnrecognizedURL(f"not a web link: {split.scheme}:// URLs cannot be tracked")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        raise UnrecognizedURL(f"not a valid URL: {url.strip()[:100]}")
    parts = tuple(unquote(part) for part in split.path.split("/") if part)
    return _Link(_bare_host(host), parts, dict(parse_qsl(split.query)))


def _bare_host(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host.removeprefix(prefix)
    return host


def _at(parts: tuple[str, ...], index: int) -> str:
    return parts[index] if index < len(parts) else ""


def _bad_id(platform: Platform, value: str, rule: str) -> UnrecognizedURL:
    return UnrecognizedURL(f"{platform}: {value[:40]!r} is not a {rule}")


# Instagram ----------------------------------------------------------------------------------

_IG_KINDS = {"p": "post", "reel": "reel", "reels": "reel", "tv": "video"}
_IG_SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
_IG_USER = re.compile(r"^[A-Za-z0-9._]{1,30}$")
_IG_TABS = {"reels", "tagged", "saved", "igtv", "guides", "feed", "channel", "followers",
            "following"}  # fmt: skip
_IG_RESERVED = frozenset(
    {"explore", "accounts", "stories", "direct", "about", "developer", "legal", "privacy", "web",
     "emails", "challenge", "session", "login", "signup", "api", "graphql", "static", "press",
     "help", "lite", "directory", "ar", "topics", "oauth", "invites", "nametag", "your_activity",
     "create", "s", "p", "reel", "reels", "tv", "share"}
)  # fmt: skip


def _instagram_post(link: _Link) -> ParsedPost | None:
    parts, handle = link.parts, None
    if _at(parts, 1) in _IG_KINDS and _IG_USER.match(parts[0]) and parts[0] not in _IG_RESERVED:
        handle, parts = parts[0], parts[1:]  # /<user>/p/<shortcode>/
    if _at(parts, 0) == "stories":
        raise UnrecognizedURL(
            "instagram: stories expire after 24 hours and cannot be tracked by URL; "
            "they are picked up from the connected account instead"
        )
    kind = _IG_KINDS.get(_at(parts, 0))
    if kind is None or len(parts) < 2:
        return None
    if not _IG_SHORTCODE.match(parts[1]):
        raise _bad_id(P.instagram, parts[1], "post shortcode")
    return ParsedPost(P.instagram, parts[1], handle, kind)


def _instagram_profile(link: _Link) -> ParsedProfile | None:
    user, rest = _at(link.parts, 0), link.parts[1:]
    if not _IG_USER.match(user) or user.lower() in _IG_RESERVED:
        return None
    if len(rest) > 1 or (rest and rest[0] not in _IG_TABS):
        return None
    return ParsedProfile(P.instagram, user)


# Facebook -----------------------------------------------------------------------------------

_FB_ID = re.compile(r"^(?:\d+|pfbid0[0-9A-Za-z]+)$")
_FB_PAGE = re.compile(r"^[\w.-]{1,80}$")
_FB_PAGE_KINDS = {"posts": "post", "videos": "video", "photos": "post"}
_FB_TABS = {"about", "posts", "videos", "photos", "reels", "events", "reviews", "community",
            "mentions", "followers", "live_videos", "shop", "photos_by"}  # fmt: skip
_FB_RESERVED = frozenset(
    {"watch", "reel", "reels", "groups", "events", "marketplace", "gaming", "login", "help",
     "settings", "share", "sharer", "hashtag", "search", "notifications", "messages", "friends",
     "bookmarks", "privacy", "policies", "ads", "business", "dialog", "plugins", "stories", "live",
     "fundraisers", "media", "saved", "memories", "feeds", "home.php", "l.php", "photo",
     "story.php", "permalink.php", "photo.php", "profile.php", "pages", "people"}
)  # fmt: skip


def _facebook_post(link: _Link) -> ParsedPost | None:
    parts, query = link.parts, link.query
    first = _at(parts, 0).lower()
    if first == "groups":
        raise UnrecognizedURL(
            "facebook: group posts cannot be read through the Pages API; "
            "only Page posts are tracked"
        )
    if first in ("permalink.php", "story.php") and _FB_ID.match(query.get("story_fbid", "")):
        return ParsedPost(P.facebook, query["story_fbid"], query.get("id") or None, "post")
    if first in ("photo.php", "photo") and _FB_ID.match(query.get("fbid", "")):
        return ParsedPost(P.facebook, query["fbid"], None, "post")
    if first == "watch" and query.get("v", "").isdigit():
        return ParsedPost(P.facebook, query["v"], None, "live" if _at(parts, 1) else "video")
    if first in ("reel", "reels") and _at(parts, 1).isdigit():
        return ParsedPost(P.facebook, parts[1], None, "reel")
    # /videos/<title-slug>/<id>/ and /photos/<album>/<id>/ both put the id last.
    page_post = len(parts) >= 3 and parts[1] in _FB_PAGE_KINDS and first not in _FB_RESERVED
    if page_post and _FB_ID.match(parts[-1]):
        return ParsedPost(P.facebook, parts[-1], parts[0], _FB_PAGE_KINDS[parts[1]])
    return None


def _facebook_profile(link: _Link) -> ParsedProfile | None:
    parts, page_id = link.parts, link.query.get("id", "")
    first = _at(parts, 0)
    if first == "profile.php" and page_id.isdigit():
        return ParsedProfile(P.facebook, page_id, external_id=page_id)
    if first in ("pages", "people") and _at(parts, 2).isdigit():
        return ParsedProfile(P.facebook, parts[2], external_id=parts[2])  # /pages/<name>/<id>
    if not _FB_PAGE.match(first) or first.lower() in _FB_RESERVED or first.endswith(".php"):
        return None
    if len(parts) > 2 or (len(parts) == 2 and parts[1] not in _FB_TABS):
        return None
    return ParsedProfile(P.facebook, first, external_id=first if first.isdigit() else None)


# YouTube ------------------------------------------------------------------------------------

_YT_VIDEO = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YT_PATH_KINDS = {"shorts": "short", "live": "live", "embed": "video", "v": "video", "e": "video"}
_YT_HANDLE = re.compile(r"^@[\w.-]{3,30}$")
_YT_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_YT_NAME = re.compile(r"^[\w.-]{1,100}$")
_YT_TABS = {"videos", "shorts", "streams", "live", "playlists", "community", "featured", "about",
            "podcasts", "releases", "posts", "store", "courses", "search"}  # fmt: skip


def _youtube_post(link: _Link) -> ParsedPost | None:
    parts = link.parts
    first = _at(parts, 0)
    if link.host == "youtu.be":
        return _youtube_video(first, "video")
    if link.host == "studio.youtube.com":
        return _youtube_video(_at(parts, 1), "video") if first == "video" else None
    if first == "watch":
        return _youtube_video(link.query.get("v", ""), "video")
    if first == "playlist" or (first == "embed" and _at(parts, 1) == "videoseries"):
        raise UnrecognizedURL(
            "youtube: this is a playlist, not a video; paste the link to one video"
        )
    if first in _YT_PATH_KINDS and len(parts) >= 2:
        return _youtube_video(parts[1], _YT_PATH_KINDS[first])
    return None


def _youtube_video(video_id: str, kind: str) -> ParsedPost:
    if not video_id:
        raise UnrecognizedURL("youtube: no video id in URL")
    if not _YT_VIDEO.match(video_id):
        raise _bad_id(P.youtube, video_id, "video id (11 letters, digits, '-' or '_')")
    return ParsedPost(P.youtube, video_id, None, kind)


def _youtube_profile(link: _Link) -> ParsedProfile | None:
    parts = link.parts
    first, second = _at(parts, 0), _at(parts, 1)
    if _YT_HANDLE.match(first) and _only_tabs(parts[1:], _YT_TABS):
        return ParsedProfile(P.youtube, first)
    if first == "channel" and _YT_CHANNEL.match(second) and _only_tabs(parts[2:], _YT_TABS):
        return ParsedProfile(P.youtube, second, external_id=second)
    if first in ("c", "user") and _YT_NAME.match(second) and _only_tabs(parts[2:], _YT_TABS):
        return ParsedProfile(P.youtube, second)
    return None


def _only_tabs(rest: tuple[str, ...], tabs: set[str]) -> bool:
    return len(rest) <= 1 and all(part in tabs for part in rest)


# TikTok -------------------------------------------------------------------------------------

_TT_USER = re.compile(r"^@[\w.]{2,24}$")
_TT_KINDS = {"video": "video", "photo": "post"}


def _tiktok_post(link: _Link) -> ParsedPost | None:
    parts = link.parts
    first = _at(parts, 0)
    if _TT_USER.match(first) and _at(parts, 1) in _TT_KINDS and len(parts) >= 3:
        return _tiktok_video(parts[2], first[1:], _TT_KINDS[parts[1]])
    if first == "embed" and len(parts) >= 2:
        return _tiktok_video(parts[-1], None, "video")  # /embed/<id> and /embed/v2/<id>
    if first == "v" and len(parts) == 2:
        return _tiktok_video(parts[1].removesuffix(".html"), None, "video")
    return None


def _tiktok_video(video_id: str, handle: str | None, kind: str) -> ParsedPost:
    if not video_id.isdigit():
        raise _bad_id(P.tiktok, video_id, "video id (TikTok video ids are all digits)")
    return ParsedPost(P.tiktok, video_id, handle, kind)


def _tiktok_profile(link: _Link) -> ParsedProfile | None:
    first = _at(link.parts, 0)
    if len(link.parts) != 1 or not _TT_USER.match(first):
        return None
    return ParsedProfile(P.tiktok, first[1:])


# X ------------------------------------------------------------------------------------------

_X_USER = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_X_TABS = {"with_replies", "media", "likes", "highlights", "articles", "followers", "following",
           "verified_followers"}  # fmt: skip
_X_RESERVED = frozenset(
    {"home", "explore", "i", "search", "settings", "notifications", "messages", "compose", "login",
     "logout", "signup", "tos", "privacy", "intent", "share", "hashtag", "account", "about", "jobs",
     "download", "lists", "communities", "premium", "verified", "bookmarks", "topics", "status"}
)  # fmt: skip


def _x_post(link: _Link) -> ParsedPost | None:
    parts = link.parts
    if parts[:3] == ("i", "web", "status") and len(parts) >= 4:
        return _x_status(parts[3], None)
    if _at(parts, 1) in ("status", "statuses") and len(parts) >= 3 and _X_USER.match(parts[0]):
        return _x_status(parts[2], None if parts[0] == "i" else parts[0])
    return None


def _x_status(post_id: str, handle: str | None) -> ParsedPost:
    if not post_id.isdigit() or len(post_id) > 20:
        raise _bad_id(P.x, post_id, "post id (X post ids are all digits)")
    return ParsedPost(P.x, post_id, handle, "tweet")


def _x_profile(link: _Link) -> ParsedProfile | None:
    user = _at(link.parts, 0)
    if not _X_USER.match(user) or user.lower() in _X_RESERVED:
        return None
    if not _only_tabs(link.parts[1:], _X_TABS):
        return None
    return ParsedProfile(P.x, user)


# LinkedIn -----------------------------------------------------------------------------------

_LI_URN = re.compile(r"^urn:li:(?:activity|share|ugcPost):\d+$")
# Greedy slug: a title may itself contain "-share-7-", so the last type-and-id pair wins.
_LI_POST_SLUG = re.compile(r"^(?P<slug>.+)-(?P<type>activity|share|ugcPost)-(?P<id>\d+)(?:-.*)?$")
_LI_PAGE_KINDS = {"company": "organization", "showcase": "organization", "school": "organization",
                  "in": "member"}  # fmt: skip
_LI_VANITY = re.compile(r"^[\w-]{2,100}$")


def _linkedin_post(link: _Link) -> ParsedPost | None:
    parts = link.parts[1:] if _at(link.parts, 0) == "embed" else link.parts
    if parts[:2] == ("feed", "update") and len(parts) >= 3:
        if not _LI_URN.match(parts[2]):
            raise _bad_id(
                P.linkedin, parts[2], "post URN (urn:li:activity:<id> or urn:li:share:<id>)"
            )
        return ParsedPost(P.linkedin, parts[2], None, "post")
    if _at(parts, 0) == "posts" and (match := _LI_POST_SLUG.match(_at(parts, 1))):
        slug = match["slug"]
        # Post slugs read "<vanity>_<title words>"; without the underscore there is no author.
        handle = slug.split("_", 1)[0] if "_" in slug else None
        return ParsedPost(P.linkedin, f"urn:li:{match['type']}:{match['id']}", handle, "post")
    if _at(parts, 0) == "pulse":
        raise UnrecognizedURL(
            "linkedin: articles (/pulse/) have no statistics API; "
            "paste the link of the post that shares the article"
        )
    return None


def _linkedin_profile(link: _Link) -> ParsedProfile | None:
    first, slug = _at(link.parts, 0), _at(link.parts, 1)
    kind = _LI_PAGE_KINDS.get(first)
    if kind is None or not _LI_VANITY.match(slug):
        return None
    # /company/<digits>/ is the organization id itself, which the statistics API keys on.
    urn = f"urn:li:organization:{slug}" if kind == "organization" and slug.isdigit() else None
    return ParsedProfile(P.linkedin, slug, external_id=urn, kind=kind)


# Pinterest ----------------------------------------------------------------------------------

_PIN_ID = re.compile(r"^(?:.*--)?(\d+)$")  # /pin/<id>/ or the SEO form /pin/<title>--<id>/
_PIN_USER = re.compile(r"^[A-Za-z0-9_]{3,30}$")
_PIN_RESERVED = frozenset(
    {"pin", "search", "ideas", "today", "business", "settings", "login", "logout", "signup",
     "password", "explore", "categories", "topics", "about", "help", "videos", "shopping",
     "news_hub", "notifications", "resource", "oauth", "homefeed", "following"}
)  # fmt: skip


def _pinterest_post(link: _Link) -> ParsedPost | None:
    if _at(link.parts, 0) != "pin" or len(link.parts) < 2:
        return None
    match = _PIN_ID.match(link.parts[1])
    if not match:
        raise _bad_id(P.pinterest, link.parts[1], "pin id (pin ids are all digits)")
    return ParsedPost(P.pinterest, match[1], None, "pin")


def _pinterest_profile(link: _Link) -> ParsedProfile | None:
    user = _at(link.parts, 0)
    if not _PIN_USER.match(user) or user.lower() in _PIN_RESERVED:
        return None
    if len(link.parts) > 3:
        return None
    # /<user>/<board>/ (and a section below it) still names its owner; boards are not tracked.
    return ParsedProfile(P.pinterest, user)


# Demo ---------------------------------------------------------------------------------------


def _demo_post(link: _Link) -> ParsedPost | None:
    parts = link.parts
    if len(parts) != 3 or not _demo_handle(parts[0]) or parts[1] != "posts":
        return None
    return ParsedPost(P.demo, parts[2], parts[0][1:], "post")


def _demo_profile(link: _Link) -> ParsedProfile | None:
    parts = link.parts
    if len(parts) != 1 or not _demo_handle(parts[0]):
        return None
    return ParsedProfile(P.demo, parts[0][1:])


def _demo_handle(part: str) -> bool:
    return len(part) > 1 and part.startswith("@")


_PARSERS: dict[
    Platform, tuple[Callable[[_Link], ParsedPost | None], Callable[[_Link], ParsedProfile | None]]
] = {
    P.instagram: (_instagram_post, _instagram_profile),
    P.facebook: (_facebook_post, _facebook_profile),
    P.youtube: (_youtube_post, _youtube_profile),
    P.tiktok: (_tiktok_post, _tiktok_profile),
    P.x: (_x_post, _x_profile),
    P.linkedin: (_linkedin_post, _linkedin_profile),
    P.pinterest: (_pinterest_post, _pinterest_profile),
    P.demo: (_demo_post, _demo_profile),
}
_FORMS = {
    P.instagram: _Forms(
        "post shortcode",
        "instagram.com/p/<shortcode>/ or instagram.com/reel/<shortcode>/",
        "instagram.com/<username>/",
        _IG_RESERVED,
    ),
    P.facebook: _Forms(
        "post id",
        "facebook.com/<page>/posts/<id>, facebook.com/<page>/videos/<id>, facebook.com/reel/<id> "
        "or facebook.com/watch/?v=<id>",
        "facebook.com/<page> or facebook.com/profile.php?id=<id>",
        _FB_RESERVED,
    ),
    P.youtube: _Forms(
        "video id",
        "youtube.com/watch?v=<id>, youtu.be/<id> or youtube.com/shorts/<id>",
        "youtube.com/@<handle>, youtube.com/channel/<id> or youtube.com/c/<name>",
        frozenset({"watch", "shorts", "live", "embed", "results", "feed", "playlist"}),
    ),
    P.tiktok: _Forms("video id", "tiktok.com/@<user>/video/<id>", "tiktok.com/@<user>"),
    P.x: _Forms("post id", "x.com/<user>/status/<id>", "x.com/<user>", _X_RESERVED),
    P.linkedin: _Forms(
        "post id",
        "linkedin.com/feed/update/urn:li:activity:<id>/ "
        "or linkedin.com/posts/<…>-activity-<id>-<…>",
        "linkedin.com/company/<name>/ or linkedin.com/in/<name>/",
        frozenset({"feed", "posts", "pulse", "jobs", "messaging", "notifications", "mynetwork"}),
    ),
    P.pinterest: _Forms(
        "pin id", "pinterest.com/pin/<id>/", "pinterest.com/<user>/", _PIN_RESERVED
    ),
    P.demo: _Forms("post id", "demo.sway.test/@<handle>/posts/<id>", "demo.sway.test/@<handle>"),
}
