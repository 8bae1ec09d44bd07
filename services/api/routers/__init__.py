from services.api.routers import (
    accounts,
    api_keys,
    benchmarks,
    campaigns,
    collaborations,
    creator_import,
    creators,
    discovery,
    emv,
    health,
    links,
    organization,
    posts,
    subscriptions,
    track_record,
    webhooks,
)

# Each router carries its full path (prefix "/v1/<domain>"), so the matched route's path is the
# public template: metrics label requests by it.
ROUTERS = [
    # Answered by BarePaths before any route is tried (bare_route.py); listed for the document.
    links.redirect,
    webhooks.inbound,
    health.router,
    creators.router,
    discovery.router,
    creator_import.router,
    accounts.router,
    campaigns.router,
    api_keys.router,
    organization.router,
    emv.router,
    benchmarks.router,
    posts.router,
    collaborations.router,
    webhooks.router,
    links.router,
    subscriptions.router,
    track_record.router,
]
