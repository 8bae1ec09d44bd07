"""The statement that rebuilds creators' search documents and terms (docs/discovery.md)."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from shared.domain.discovery import documents
from shared.models import AccountRecentPost, Creator
from tests.factories import create_account, create_creator, create_post, create_tenant

NOW = datetime.now(UTC)
LEXEME = re.compile(r"'((?:[^']|'')+)'(?::([0-9A-D,]+))?")


def _weights(document: str) -> dict[str, str]:
    """Each lexeme of a tsvector's text form and its weights ("A", "BC"...; D is unmarked)."""
    found = {}
    for lexeme, positions in LEXEME.findall(document):
        marks = (
            {p[-1] if p[-1] in "ABC" else "D" for p in positions.split(",")} if positions else ""
        )
        found[lexeme.replace("''", "'")] = "".join(sorted(marks))
    return found


async def _listed(session, account, captions: list[str], *, start_days: int = 1) -> None:
    for i, caption in enumerate(captions):
        session.add(
            AccountRecentPost(
                org_id=account.org_id,
                account_id=account.id,
                external_id=f"p{i}",
                published_at=NOW - timedelta(days=start_days + i),
                caption=caption,
                seen_at=NOW,
            )
        )
    await session.commit()


async def _refreshed(session, org_id, creator) -> Creator:
    await documents.refresh_creators(session, org_id, [creator.id])
    await session.refresh(creator)
    return creator


class TestRefreshCreators:
    async def test_document_and_terms_of_a_creator(self, session):
        tenant = await create_tenant(session)
        org = tenant.org_id
        creator = await create_creator(
            session, org, name="Zoë Brews", niches=["coffee", "specialty coffee"], tags=["vip"]
        )
        insta = await create_account(
            session, org, creator.id, platform="instagram", handle="zoe.brews"
        )
        tiktok = await create_account(
            session, org, creator.id, platform="tiktok", handle="zoe_roasts"
        )
        await _listed(
            session,
            insta,
            [
                "Morning #LatteArt with #Sway beans at https://x.com/a the best",
                "The latte art of #sway. Café crème!",
                "Latte latte @bob 2024 über coffee",
            ],
        )
        # Tracked too: a post the listing already gave (read once), and one it did not.
        await create_post(
            session,
            insta,
            external_id="p0",
            caption="Morning #LatteArt with #Sway beans at https://x.com/a the best",
            published_at=NOW - timedelta(days=1),
        )
        await create_post(
            session,
            tiktok,
            external_id="t1",
            caption="Roasting day #sway",
            published_at=NOW - timedelta(days=4),
        )
        creator = await _refreshed(session, org, creator)
        # niches and tags as stored; hashtags by frequency (#sway in 3 captions, #latteart 1);
        # words by frequency then in code point order: latte 3 (2 in one caption), the rest
        # once (bob, the mention's name, is a word). Left out: stopwords (with, at, the, of,
        # day, über), words under 3 characters, digits only (2024), the link's host and path,
        # the hashtags' words (sway, latteart), and coffee as a word (it is a niche already).
        assert creator.terms == [
            "coffee", "specialty coffee", "vip", "#sway", "#latteart",
            "latte", "art", "beans", "best", "bob", "café", "crème", "morning", "roasting",
        ]  # fmt: skip
        weights = _weights(creator.search_document)
        # A: the name, each handle whole and in parts; B: niches and tags; C: captions.
        for lexeme in ("zoë", "brews", "zoe.brews", "zoe_roasts", "zoe", "roasts"):
            assert weights[lexeme] == "A", lexeme
        for lexeme in ("specialty", "vip"):
            assert weights[lexeme] == "B", lexeme
        assert weights["coffee"] == "BC"  # a niche, and a word of a caption
        for lexeme in ("sway", "latteart", "latte", "café", "über", "the", "bob", "roasting"):
            assert weights[lexeme] == "C", lexeme

    async def test_newest_30_captions_and_50_terms(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Wordy", niches=[])
        account = await create_account(session, tenant.org_id, creator.id, handle="wordy")
        # 30 newest captions of two words each (60 distinct words), then an older 31st.
        captions = [f"word{i:02d}a word{i:02d}b" for i in range(30)] + ["ancientword"]
        await _listed(session, account, captions)
        creator = await _refreshed(session, tenant.org_id, creator)
        assert len(creator.terms) == documents.TERM_LIMIT == 50
        # All counted once: alphabetical, so the first 50 of the 60 words.
        assert creator.terms == sorted(w for c in captions[:30] for w in c.split())[:50]
        assert "ancientword" not in _weights(creator.search_document)
        assert "word29b" in _weights(creator.search_document)

    async def test_a_creator_with_nothing_but_a_name(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Solo", niches=[], tags=[])
        creator = await _refreshed(session, tenant.org_id, creator)
        assert creator.terms == []
        assert _weights(creator.search_document) == {"solo": "A"}

    async def test_many_creators_in_one_statement(self, session):
        tenant = await create_tenant(session)
        creators = [
            await create_creator(session, tenant.org_id, name=f"Maker {i}", niches=[f"n{i}x"])
            for i in range(3)
        ]
        await documents.refresh_creators(session, tenant.org_id, [c.id for c in creators] * 2)
        rows = await session.execute(
            select(Creator.name, Creator.terms, func.length(Creator.search_document))
            .where(Creator.org_id == tenant.org_id)
            .order_by(Creator.name)
        )
        # Each document: "maker", the number, the niche.
        assert [tuple(row) for row in rows] == [
            ("Maker 0", ["n0x"], 3),
            ("Maker 1", ["n1x"], 3),
            ("Maker 2", ["n2x"], 3),
        ]

    async def test_no_ids_is_no_statement(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        await documents.refresh_creators(session, tenant.org_id, [])
        await session.refresh(creator)
        assert creator.search_document is None

    async def test_an_unchanged_creator_is_not_written_again(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id, name="Steady", niches=["tea"])
        await _refreshed(session, tenant.org_id, creator)
        # Every write makes a new row version, somewhere else in the table (one transaction
        # here, so xmin would not tell).
        version = select(text("ctid::text")).select_from(Creator).where(Creator.id == creator.id)
        before = await session.scalar(version)
        await documents.refresh_creators(session, tenant.org_id, [creator.id])
        assert await session.scalar(version) == before
        creator.name = "Steady Brew"
        await documents.refresh_creators(session, tenant.org_id, [creator.id])
        assert await session.scalar(version) != before
