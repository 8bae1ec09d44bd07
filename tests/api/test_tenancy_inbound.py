"""Tenancy of these routes: each test here proves one organization cannot read or change the
other's rows. WALKED names the (method, OpenAPI path) pairs proven here, which
test_tenancy.py's test_every_route_is_walked counts as covered."""

WALKED: set[tuple[str, str]] = set()
