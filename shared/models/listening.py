"""Brand listening (docs/listening.md): what an organization's brand is called, the comments of
its tracked posts, and every place its brand or a competitor was mentioned."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key


class BrandProfile(OrgMixin, TimestampMixin, Base):
    """The names an organization's brand goes by. A campaign may override any of the four lists
    for its own posts (`campaign.brand`; a list it leaves out is the organization's). Terms are
    stored as given; matching normalizes them (shared/listening/matching.py)."""

    __tablename__ = "brand_profile"

    org_id: Mapped[UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    handles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    products: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    competitors: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)


class Comment(IdMixin, OrgMixin, Base):
    """A comment on a tracked post as its platform gave it: the text, when, its likes, and a
    pseudonym of its author (a hash, never the name or the platform's id). Upserted by the
    platform's comment id, so a page read twice is stored once."""

    __tablename__ = "comment"
    __table_args__ = (
        org_foreign_key("post_id", "post", ondelete="CASCADE"),
        Index(
            "uq_comment_org_platform_external_id", "org_id", "platform", "external_id", unique=True
        ),
        # GET /v1/posts/{id}/comments: newest first.
        Index("ix_comment_post_published", "post_id", "published_at", "id"),
        # The scan's queue: comments stored (or edited) and not yet analysed.
        Index(
            "ix_comment_unanalysed", "org_id", "id", postgresql_where=text("analysed_at IS NULL")
        ),
        Index("ix_comment_org_id_id", "org_id", "id"),
    )

    post_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    # The comment replied to, for replies the platform lists (null: a top-level comment).
    parent_external_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime]
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    # sha256 of the organization, platform and the platform's author id: the same person's
    # comments group within one organization and nowhere else.
    author_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime]
    # Set by analysis (shared/listening): the detected language (ISO 639-1, null: none found),
    # positive|neutral|negative|unanalysed, and the analyser's score where it ran.
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    analysed_at: Mapped[datetime | None]


class Mention(IdMixin, OrgMixin, Base):
    """One brand (or competitor) term found in one text: a post's caption (tracked, or synced
    from its account's listing) or a stored comment. `campaign_id` is the post's campaign, if it
    has one. The sentiment is the whole text's."""

    __tablename__ = "mention"
    __table_args__ = (
        org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        org_foreign_key("post_id", "post", ondelete="CASCADE"),
        org_foreign_key("comment_id", "comment", ondelete="CASCADE"),
        org_foreign_key("campaign_id", "campaign", ondelete="SET NULL"),
        # One row per text and term: matching a text again changes nothing.
        Index("uq_mention_org_source_key_term", "org_id", "source_key", "term", unique=True),
        # GET /v1/campaigns/{id}/mentions and the campaign KPIs.
        Index("ix_mention_campaign_occurred", "campaign_id", "occurred_at", "id"),
        Index("ix_mention_org_occurred", "org_id", "occurred_at", "id"),
        Index("ix_mention_post_id", "post_id"),
    )

    # "caption:<account id>:<post external id>" or "comment:<comment id>": the text matched.
    source_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10))  # caption|comment
    account_id: Mapped[UUID]
    creator_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(20))
    # The post's platform id; `post_id` where the post is tracked.
    post_external_id: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[UUID | None]
    comment_id: Mapped[UUID | None]
    campaign_id: Mapped[UUID | None]
    # The profile's term as written, and its kind: handle|keyword|product|competitor.
    term: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))
    occurred_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment: Mapped[str] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ListeningScan(Base):
    """Where an organization's listening scan stands (shared/domain/listening/scan.py). Captions
    are matched by a pass over every post and synced listing, in keyset batches that a job
    carries on from `captions_cursor`; stored comments are matched again after a brand change,
    from `comments_after`. A brand change clears `captions_scanned_at` and restarts both."""

    __tablename__ = "listening_scan"

    org_id: Mapped[UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    # When the last complete caption pass ended (null: never, or the brand changed since).
    captions_scanned_at: Mapped[datetime | None]
    # The pass under way: "post:<id>" or "listing:<account id>:<external id>", the last done.
    captions_cursor: Mapped[str | None] = mapped_column(Text)
    # A rematch of stored comments under way: the last comment id done (null: none pending).
    comments_after: Mapped[UUID | None]


class PostListening(OrgMixin, Base):
    """A tracked post's listening figures, counted again by the scan whenever its comments or
    mentions change: what campaign KPIs sum, so they never count comments on request. Counts
    are of texts (the caption and each comment), however many terms a text names."""

    __tablename__ = "post_listening"
    # Campaign KPIs sum a campaign's rows by creator and platform.
    __table_args__ = (
        org_foreign_key("post_id", "post", ondelete="CASCADE"),
        org_foreign_key("campaign_id", "campaign", ondelete="SET NULL"),
        Index("ix_post_listening_campaign", "org_id", "campaign_id"),
    )

    post_id: Mapped[UUID] = mapped_column(primary_key=True)
    # The post's, copied so KPIs need not join every post (a post never changes creator or
    # platform, nor campaign but to none when the campaign is deleted).
    campaign_id: Mapped[UUID | None]
    creator_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(20))
    # Texts naming the brand, and texts naming a competitor.
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    competitor_mentions: Mapped[int] = mapped_column(Integer, default=0)
    # Sentiment of the comments and of the caption where it names the brand; `pending`:
    # comments stored but not analysed yet.
    positive: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    unanalysed: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    counted_at: Mapped[datetime]
