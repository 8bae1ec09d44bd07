"""A local stand-in for every platform API, so adapters run unchanged against localhost.

One Starlette app answers each platform's real paths under its own prefix; point the adapter's
base URL setting at it (`base_urls(root)` returns the environment for all of them):

    prefix          base URL setting          paths answered (each platform's real ones)
    /youtube/v3     SWAY_YOUTUBE_BASE_URL     /channels /playlistItems /videos
    /x/2            SWAY_X_BASE_URL           /users/me /users/{id} /users/by/username/{name}
                                              /users/{id}/tweets /tweets?ids= (with
                                              expansions=author_id)
    /tiktok/v2      SWAY_TIKTOK_BASE_URL      /user/info/ /video/list/ /video/query/
    /meta/v25.0     SWAY_INSTAGRAM_BASE_URL   GET /{id} /{id}/media /{id}/posts /{id}/insights,
                    SWAY_FACEBOOK_BASE_URL    batch POST /
    /linkedin/rest  SWAY_LINKEDIN_BASE_URL    /networkSizes/{urn} /posts (q=author, or ids=List
                                              for BATCH_GET) /posts/{urn}
                                              /organizationalEntityShareStatistics
    /pinterest/v5   SWAY_PINTEREST_BASE_URL   /user_account /pins (pin_filter) /pins/{id}
                                              /pins/analytics /pins/{id}/analytics

Every id exists, except ids containing "gone", which behave as deleted (absent from batch results,
X `errors[]`, Graph error 100/33, Pinterest 404 code 50, LinkedIn BATCH_GET `errors`). One pin in
five is a repin, saved from someone else. Numbers are a pure function of the id and
the clock: a post's counts rise towards a peak over its first days and then creep up slowly, so the
same id never goes backwards. Accounts publish one post a day since ANCHOR, with ids that encode
their publish time, so listings and later lookups agree. Auth is not checked; the token only picks
which account "me" is. Each platform lives in its own module here; `core` holds what they share.

Faults for benchmarks: `POST /_control` with any of {"throttle": bool or [platform, ...],
"latency_ms": int, "error_rate": 0..1 (5xx in the platform's shape), "seed": int,
"reset_stats": bool}; `GET /_stats` counts requests per platform and path, and the ids they carried.

    python -m bench.fake_platforms --port 8900
"""

from bench.fake_platforms.app import create_app, main, running
from bench.fake_platforms.core import base_urls, post_counts, published_at

__all__ = ["base_urls", "create_app", "main", "post_counts", "published_at", "running"]
