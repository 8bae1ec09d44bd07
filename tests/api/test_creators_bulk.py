"""POST /v1/creators:bulk: every item checked, the good ones written in one go, each rejected
one answered with its index and reasons; matched by email, then by platform + handle."""

import json

import pytest
from sqlalchemy import func, select

from shared.domain.creator.schemas import CreatorCreate
from shared.domain.creator_import.repository import STORED_FIELDS
from shared.models import Creator, CreatorAccount
from tests.factories import bearer, create_account, create_creator, create_tenant

URL = "/v1/creators:bulk"


async def _creators(session, org_id) -> list[dict]:
    rows = await session.execute(
        select(Creator.__table__).where(Creator.org_id == org_id).order_by(Creator.name)
    )
    return [dict(row._mapping) for row in rows]


async def _accounts(session, org_id) -> list[tuple]:
    rows = await session.execute(
        select(
            CreatorAccount.creator_id,
            CreatorAccount.platform,
            CreatorAccount.handle,
            CreatorAccount.url,
            CreatorAccount.external_id,
            CreatorAccount.sync_status,
        )
        .where(CreatorAccount.org_id == org_id)
        .order_by(CreatorAccount.platform, CreatorAccount.handle)
    )
    return [tuple(row) for row in rows]


async def _post(client, key, items, **headers):
    return await client.post(URL, json={"items": items}, headers=bearer(key) | headers)


class TestCreate:
    async def test_creates_creators_and_accounts_and_queues_their_syncs(
        self, client, session, redis
    ):
        tenant = await create_tenant(session)
        items = [
            {
                "name": " Ada Brews ",
                "email": "Ada@Example.com",
                "niches": ["Coffee", "travel", "coffee"],
                "country": "gb",
                "language": "en-GB",
                "tags": ["VIP"],
                "notes": "met at expo",
                "accounts": [
                    {"platform": "instagram", "handle": "https://www.instagram.com/ada.brews/"},
                    {"platform": "tiktok", "handle": "@adabrews"},
                ],
            },
            {
                "name": "Ben Roast",
                "accounts": [
                    {
                        "platform": "youtube",
                        "handle": "https://www.youtube.com/channel/UC1234567890abcdefghijkl",
                    }
                ],
            },
        ]
        response = await _post(client, tenant.write, items)
        assert response.status_code == 200, response.text
        assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": []}
        ada, ben = await _creators(session, tenant.org_id)
        # Stored as POST /v1/creators stores them: stripped, labels lower-case and sorted.
        assert {f: ada[f] for f in STORED_FIELDS} == {
            "name": "Ada Brews",
            "email": "Ada@example.com",
            "niches": ["coffee", "travel"],
            "country": "GB",
            "language": "en-GB",
            "tags": ["vip"],
            "notes": "met at expo",
        }
        assert {f: ben[f] for f in STORED_FIELDS} == {
            "name": "Ben Roast",
            "email": None,
            "niches": [],
            "country": None,
            "language": None,
            "tags": [],
            "notes": None,
        }
        assert await _accounts(session, tenant.org_id) == [
            (
                ada["id"],
                "instagram",
                "ada.brews",
                "https://www.instagram.com/ada.brews/",
                None,
                "pending",
            ),
            (ada["id"], "tiktok", "adabrews", "https://www.tiktok.com/@adabrews", None, "pending"),
            (
                ben["id"],
                "youtube",
                "UC1234567890abcdefghijkl",
                "https://www.youtube.com/@UC1234567890abcdefghijkl",
                "UC1234567890abcdefghijkl",
                "pending",
            ),
        ]
        # Each new account's first sync is queued, as POST /v1/creators/{id}/accounts does.
        ids = (await session.scalars(select(CreatorAccount.id))).all()
        for account_id in ids:
            assert await redis.exists(f"arq:job:account.sync:{account_id}")
        due = await session.scalar(
            select(func.count()).where(
                CreatorAccount.org_id == tenant.org_id, CreatorAccount.next_sync_at.is_not(None)
            )
        )
        assert due == 3
        # Searchable at once: the discovery document knows the name and the handles.
        assert "adabrews" in ada["search_document"]
        assert "coffee" in ada["terms"]

    async def test_readable_through_the_creators_api(self, client, session):
        tenant = await create_tenant(session)
        items = [{"name": "Ada", "accounts": [{"platform": "x", "handle": "ada"}]}]
        assert (await _post(client, tenant.write, items)).status_code == 200
        listed = await client.get("/v1/creators", headers=bearer(tenant.read))
        [creator] = listed.json()["items"]
        assert creator["name"] == "Ada"
        assert [(a["platform"], a["handle"]) for a in creator["accounts"]] == [("x", "ada")]

    async def test_an_empty_list_writes_nothing(self, client, session):
        tenant = await create_tenant(session)
        response = await _post(client, tenant.write, [])
        assert response.json() == {"created": 0, "updated": 0, "unchanged": 0, "rejected": []}

    def test_import_items_carry_every_creator_field(self):
        # The repository writes these columns by name: a new CreatorCreate field must be added
        # to the import's SQL too, or imports would silently drop it.
        assert tuple(CreatorCreate.model_fields) == STORED_FIELDS


class TestRejected:
    async def test_each_bad_item_reported_and_the_good_ones_written(self, client, session):
        tenant = await create_tenant(session)
        other = await create_creator(session, tenant.org_id, name="Other", email=None)
        await create_account(session, tenant.org_id, other.id, platform="x", handle="taken")
        # Fay matches by email: the handle she is sent with is another creator's.
        await create_creator(session, tenant.org_id, name="Fay", email="fay@example.com")
        items = [
            {"email": "noname@example.com"},
            {"name": "Cara", "country": "USA"},
            {"name": "Dan", "accounts": [{"platform": "snapchat", "handle": "dan"}]},
            {"name": "Eve", "accounts": [{"platform": "x", "handle": "eve"}]},
            {"name": "Eve again", "accounts": [{"platform": "x", "handle": "@EVE"}]},
            {
                "name": "Fay",
                "email": "fay@example.com",
                "accounts": [{"platform": "x", "handle": "taken"}],
            },  # fmt: skip
            {
                "name": "Gus",
                "accounts": [{"platform": "x", "handle": "https://www.tiktok.com/@gus"}],
            },  # fmt: skip
            {"name": "Hal", "language": "english", "followers": 10},
            {"name": "Ivy", "email": "not-an-email"},
            "not an object",
        ]
        response = await client.post(URL, json={"items": items[:-1]}, headers=bearer(tenant.write))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected": [
                {"index": 0, "errors": ["name: required"]},
                {
                    "index": 1,
                    "errors": [
                        "country: 'USA' is not an ISO 3166-1 alpha-2 country code "
                        "(two letters, e.g. US or GB)"
                    ],
                },
                {
                    "index": 2,
                    "errors": [
                        "accounts[0].platform: unknown platform 'snapchat' (one of instagram, "
                        "facebook, youtube, tiktok, x, linkedin, pinterest, demo)"
                    ],
                },
                {"index": 4, "errors": ["x: @EVE repeats item 3"]},
                {"index": 5, "errors": [f"x: @taken belongs to another creator ({other.id})"]},
                {
                    "index": 6,
                    "errors": ["accounts[0].handle: this URL is of a profile on tiktok, not on x"],
                },
                {
                    "index": 7,
                    "errors": [
                        "language: 'english' is not a BCP 47 language tag "
                        "(e.g. en, en-US or zh-Hant-TW)",
                        "followers: unknown field",
                    ],
                },
                {
                    "index": 8,
                    "errors": [
                        "email: value is not a valid email address: An email address must have "
                        "an @-sign."
                    ],
                },
            ],
        }
        names = [c["name"] for c in await _creators(session, tenant.org_id)]
        assert names == ["Eve", "Fay", "Other"]

    async def test_a_handle_grammar_is_the_platforms(self, client, session):
        tenant = await create_tenant(session)
        items = [{"name": "Ada", "accounts": [{"platform": "x", "handle": "ada brews"}]}]
        response = await _post(client, tenant.write, items)
        assert response.json()["rejected"] == [
            {
                "index": 0,
                "errors": [
                    "accounts[0].handle: a x handle is 1 to 15 ASCII letters, digits, '_' "
                    "(a leading @ is fine)"
                ],
            }
        ]

    async def test_an_email_repeated_in_the_request(self, client, session):
        tenant = await create_tenant(session)
        items = [
            {"name": "Ada", "email": "ada@example.com"},
            {"name": "Ada twin", "email": "ADA@example.com"},
        ]
        response = await _post(client, tenant.write, items)
        assert response.json()["rejected"] == [
            {"index": 1, "errors": ["email: ADA@example.com repeats item 0"]}
        ]

    async def test_an_account_listed_twice_in_one_item(self, client, session):
        tenant = await create_tenant(session)
        accounts = [{"platform": "x", "handle": "ada"}, {"platform": "x", "handle": "@Ada"}]
        response = await _post(client, tenant.write, [{"name": "Ada", "accounts": accounts}])
        assert response.json()["rejected"] == [
            {"index": 0, "errors": ["accounts: x @Ada is listed twice"]}
        ]

    async def test_accounts_of_two_creators(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada")
        ben = await create_creator(session, tenant.org_id, name="Ben")
        await create_account(session, tenant.org_id, ada.id, platform="x", handle="ada")
        await create_account(session, tenant.org_id, ben.id, platform="tiktok", handle="ben")
        accounts = [{"platform": "x", "handle": "ada"}, {"platform": "tiktok", "handle": "ben"}]
        response = await _post(client, tenant.write, [{"name": "Both", "accounts": accounts}])
        assert response.json()["rejected"] == [
            {
                "index": 0,
                "errors": [
                    f"accounts: they belong to different creators (x @ada to {ada.id}, "
                    f"tiktok @ben to {ben.id})"
                ],
            }
        ]

    async def test_two_items_matching_one_creator(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada", email="ada@example.com")
        await create_account(session, tenant.org_id, ada.id, platform="x", handle="ada")
        items = [
            {"name": "Ada", "email": "ada@example.com"},
            {"name": "Ada (by handle)", "accounts": [{"platform": "x", "handle": "ada"}]},
        ]
        response = await _post(client, tenant.write, items)
        assert response.json()["rejected"] == [
            {"index": 1, "errors": [f"matches the same creator ({ada.id}) as item 0"]}
        ]

    async def test_an_email_two_creators_share(self, client, session):
        tenant = await create_tenant(session)
        first = await create_creator(session, tenant.org_id, name="A", email="team@example.com")
        second = await create_creator(session, tenant.org_id, name="B", email="TEAM@example.com")
        response = await _post(client, tenant.write, [{"name": "C", "email": "team@example.com"}])
        assert response.json()["rejected"] == [
            {
                "index": 0,
                "errors": [
                    "email: team@example.com matches 2 creators of this organization "
                    f"({first.id}, {second.id}); give each its own email first"
                ],
            }
        ]

    async def test_an_archived_creator_is_not_updated(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada", email="ada@example.com")
        archived = await client.delete(f"/v1/creators/{ada.id}", headers=bearer(tenant.write))
        assert archived.status_code == 204
        response = await _post(client, tenant.write, [{"name": "Ada", "email": "ada@example.com"}])
        assert response.json()["rejected"] == [
            {"index": 0, "errors": [f"matches creator {ada.id}, which is archived"]}
        ]


class TestMatching:
    async def test_reimport_changes_nothing(self, client, session, redis):
        tenant = await create_tenant(session)
        items = [
            {"name": "Ada", "email": "ada@example.com", "niches": ["Coffee"],
             "accounts": [{"platform": "instagram", "handle": "ada.brews"}]},
            {"name": "Ben", "accounts": [{"platform": "x", "handle": "ben"}]},
        ]  # fmt: skip
        await _post(client, tenant.write, items)
        before = await _creators(session, tenant.org_id)
        accounts = await _accounts(session, tenant.org_id)
        await redis.flushdb()
        again = await _post(client, tenant.write, items)
        assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "rejected": []}
        assert await _creators(session, tenant.org_id) == before  # updated_at too
        assert await _accounts(session, tenant.org_id) == accounts
        assert await redis.keys("arq:job:*") == []

    async def test_update_by_email_changes_only_what_is_given(self, client, session, redis):
        tenant = await create_tenant(session)
        ada = await create_creator(
            session, tenant.org_id, name="Ada", email="Ada@Example.com", country="US",
            language="en", notes="keep me", niches=["coffee"], tags=["vip"],
        )  # fmt: skip
        await create_account(session, tenant.org_id, ada.id, platform="x", handle="ada")
        item = {
            "name": "Ada Brews",
            "email": "ada@example.com",
            "niches": ["Tea"],
            "country": None,
            "accounts": [
                {"platform": "x", "handle": "ada"},
                {"platform": "tiktok", "handle": "adabrews"},
            ],
        }
        response = await _post(client, tenant.write, [item])
        assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "rejected": []}
        [after] = await _creators(session, tenant.org_id)
        assert after["id"] == ada.id
        # Given: name, email (as sent), niches, country (null clears). Absent: kept.
        assert {f: after[f] for f in STORED_FIELDS} == {
            "name": "Ada Brews",
            "email": "ada@example.com",
            "niches": ["tea"],
            "country": None,
            "language": "en",
            "tags": ["vip"],
            "notes": "keep me",
        }
        handles = [(a[0], a[1], a[2]) for a in await _accounts(session, tenant.org_id)]
        assert handles == [(ada.id, "tiktok", "adabrews"), (ada.id, "x", "ada")]
        [new] = await session.scalars(
            select(CreatorAccount.id).where(CreatorAccount.platform == "tiktok")
        )
        assert await redis.keys("arq:job:*") == [f"arq:job:account.sync:{new}".encode()]

    async def test_only_new_accounts_make_an_update(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada", email="ada@example.com")
        before = (await _creators(session, tenant.org_id))[0]
        item = {"name": "Ada", "email": "ada@example.com",
                "accounts": [{"platform": "pinterest", "handle": "ada_pins"}]}  # fmt: skip
        response = await _post(client, tenant.write, [item])
        assert response.json()["updated"] == 1
        [after] = await _creators(session, tenant.org_id)
        assert {f: after[f] for f in STORED_FIELDS} == {f: before[f] for f in STORED_FIELDS}
        assert [(a[0], a[2]) for a in await _accounts(session, tenant.org_id)] == [
            (ada.id, "ada_pins")
        ]

    async def test_matched_by_handle_when_no_email_matches(self, client, session):
        tenant = await create_tenant(session)
        ada = await create_creator(session, tenant.org_id, name="Ada", email=None)
        await create_account(
            session, tenant.org_id, ada.id, platform="instagram", handle="Ada.Brews"
        )
        url = "https://instagram.com/ada.brews"
        item = {
            "name": "Ada",
            "email": "ada@example.com",
            "accounts": [{"platform": "instagram", "handle": url}],
        }
        response = await _post(client, tenant.write, [item])
        assert response.json()["updated"] == 1
        [after] = await _creators(session, tenant.org_id)
        assert (after["id"], after["email"]) == (ada.id, "ada@example.com")
        assert len(await _accounts(session, tenant.org_id)) == 1


class TestBadRequests:
    @pytest.mark.parametrize(
        "body",
        [[], {"items": {}}, {"items": [1, {"name": "A"}]}, {"items": "x"}, {}, {"rows": []}],
        ids=["list", "items-object", "item-number", "items-string", "no-items", "unknown-key"],
    )
    async def test_not_an_object_of_items_is_422(self, client, session, body):
        tenant = await create_tenant(session)
        response = await client.post(URL, json=body, headers=bearer(tenant.write))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"
        assert await _creators(session, tenant.org_id) == []

    async def test_more_items_than_the_limit_is_422(self, client, session, settings):
        tenant = await create_tenant(session)
        items = [{"name": f"c{n}"} for n in range(settings.creators_bulk_max_items + 1)]
        response = await _post(client, tenant.write, items)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [
            {
                "loc": ["body", "items"],
                "msg": "at most 1000 items per request (got 1001); send the rest in further "
                "requests",
                "type": "too_long",
            }
        ]
        assert await _creators(session, tenant.org_id) == []

    async def test_as_many_items_as_the_limit_are_written(self, client, session, settings):
        tenant = await create_tenant(session)
        items = [
            {"name": f"c{n}", "accounts": [{"platform": "x", "handle": f"c{n}"}]}
            for n in range(settings.creators_bulk_max_items)
        ]
        response = await _post(client, tenant.write, items)
        assert response.json()["created"] == 1000
        assert len(await _accounts(session, tenant.org_id)) == 1000

    async def test_a_10_mb_body_is_413(self, client, session):
        tenant = await create_tenant(session)
        items = [{"name": f"c{n}", "notes": "x" * 9_000} for n in range(1_200)]
        body = json.dumps({"items": items}).encode()
        assert len(body) > 10_000_000
        response = await client.post(
            URL,
            content=body,
            headers=bearer(tenant.write) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert await _creators(session, tenant.org_id) == []

    async def test_a_read_key_is_403(self, client, session):
        tenant = await create_tenant(session)
        response = await _post(client, tenant.read, [{"name": "Ada"}])
        assert response.status_code == 403
        assert await _creators(session, tenant.org_id) == []


class TestIdempotency:
    async def test_the_same_key_and_body_replays_the_answer(self, client, session):
        tenant = await create_tenant(session)
        items = [{"name": "Ada", "accounts": [{"platform": "x", "handle": "ada"}]}]
        first = await _post(client, tenant.write, items, **{"Idempotency-Key": "import-1"})
        second = await _post(client, tenant.write, items, **{"Idempotency-Key": "import-1"})
        assert first.json() == second.json() == {
            "created": 1, "updated": 0, "unchanged": 0, "rejected": []
        }  # fmt: skip
        assert second.headers["idempotent-replayed"] == "true"
        assert len(await _creators(session, tenant.org_id)) == 1

    async def test_the_same_key_with_another_body_is_409(self, client, session):
        tenant = await create_tenant(session)
        key = {"Idempotency-Key": "import-2"}
        await _post(client, tenant.write, [{"name": "Ada"}], **key)
        response = await _post(client, tenant.write, [{"name": "Ben"}], **key)
        assert response.status_code == 409
        assert [c["name"] for c in await _creators(session, tenant.org_id)] == ["Ada"]


class TestDocument:
    async def test_route_statuses_and_schemas(self, app):
        operation = app.openapi()["paths"][URL]["post"]
        assert set(operation["responses"]) == {
            "200", "401", "403", "409", "413", "422", "429", "503"
        }  # fmt: skip
        schemas = app.openapi()["components"]["schemas"]
        items = schemas["CreatorBulk"]["properties"]["items"]
        assert items["type"] == "array"
        # Items are checked one by one (a bad one is reported, not refused): only "an object"
        # is the document's to promise.
        assert items["items"] == {"type": "object", "additionalProperties": True}
        assert schemas["CreatorBulk"]["additionalProperties"] is False
        assert set(schemas["CreatorBulkRead"]["required"]) == {
            "created", "updated", "unchanged", "rejected"
        }  # fmt: skip
