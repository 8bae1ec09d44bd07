"""Tenancy of POST /v1/creators:bulk: an import matches, updates and adds accounts only within
the caller's organization. Another organization's email and handles are strangers to it: they
make new creators of the caller's own, and the other's rows stay exactly as they were. WALKED
names the route for test_tenancy.py's test_every_route_is_walked."""

from arq.jobs import Job
from sqlalchemy import select

from shared.models import Creator, CreatorAccount
from tests.factories import bearer, create_account, create_creator, create_tenant, org_rows

WALKED: set[tuple[str, str]] = {("POST", "/v1/creators:bulk")}


async def test_matching_never_crosses_organizations(client, session, redis):
    a = await create_tenant(session, "A")
    b = await create_tenant(session, "B")
    theirs = await create_creator(session, a.org_id, name="A's Ada", email="ada@example.com")
    await create_account(session, a.org_id, theirs.id, platform="instagram", handle="ada.brews")
    before = await org_rows(session, a.org_id, (Creator, CreatorAccount))
    items = [
        # A's creator by email and by handle: both unknown to B.
        {"name": "B's Ada", "email": "ADA@example.com", "notes": "hijacked",
         "accounts": [{"platform": "instagram", "handle": "ada.brews"}]},
    ]  # fmt: skip
    response = await client.post(
        "/v1/creators:bulk", json={"items": items}, headers=bearer(b.write)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": []}
    assert await org_rows(session, a.org_id, (Creator, CreatorAccount)) == before
    [mine] = await session.scalars(select(Creator).where(Creator.org_id == b.org_id))
    assert (mine.name, mine.notes) == ("B's Ada", "hijacked")
    [account] = await session.scalars(
        select(CreatorAccount).where(CreatorAccount.org_id == b.org_id)
    )
    assert (account.creator_id, account.handle) == (mine.id, "ada.brews")
    # Its sync is B's: the job names B's organization and B's account only.
    [job] = await redis.keys("arq:job:*")
    assert job == f"arq:job:account.sync:{account.id}".encode()
    info = await Job(f"account.sync:{account.id}", redis).info()
    assert info.args == ({"org_id": str(b.org_id), "account_id": str(account.id)},)

    # And A's own import still matches A's creator, untouched by B's.
    again = await client.post(
        "/v1/creators:bulk",
        json={"items": [{"name": "A's Ada", "email": "ada@example.com"}]},
        headers=bearer(a.write),
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}
