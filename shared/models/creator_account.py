from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import BigInteger, Float, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key
from shared.models.status import SyncStatus
from shared.platforms.profiles import handle_key

if TYPE_CHECKING:
    from shared.models.creator import Creator


class CreatorAccount(IdMixin, OrgMixin, TimestampMixin, Base):
    """A creator's presence on one platform."""

    __tablename__ = "creator_account"
    __table_args__ = (
        org_foreign_key("creator_id", "creator", ondelete="CASCADE"),
        # One (platform, handle) per organization, whatever the creator, compared by handle_key.
        Index(
            "uq_creator_account_org_platform_handle_key",
            "org_id",
            "platform",
            "handle_key",
            unique=True,
        ),
        Index("ix_creator_account_next_sync_at", "next_sync_at"),
        Index(
            "ix_creator_account_token_expires_at",
            "token_expires_at",
            postgresql_where=text("connected_via = 'oauth'"),
        ),
    )

    creator_id: Mapped[UUID] = mapped_column(index=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(200))
    # handle_key(handle), kept in step by the validator below on every assignment of handle.
    handle_key: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
    tier: Mapped[str | None] = mapped_column(String(20))
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    authenticity: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # authenticity["score"], as a column so discovery filters on it.
    authenticity_score: Mapped[float | None] = mapped_column(Float)
    # When account.authenticity_alert was last emitted: once per fall below the threshold.
    authenticity_alerted_at: Mapped[datetime | None]
    influence_score: Mapped[float | None] = mapped_column(Float)
    influence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_posted_at: Mapped[datetime | None]
    sync_status: Mapped[str] = mapped_column(String(20), default=SyncStatus.pending)
    sync_error: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None]
    # Fernet token of the platform credentials JSON; the key lives in settings, never here.
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    # A non-secret fingerprint of those credentials: budgets and batches are per credential.
    credential_key: Mapped[str | None] = mapped_column(String(32))
    # A fingerprint of the credentials' request parameters (Credentials.params_key): batches
    # group by it too, so one token serving several pages never mixes them in one call.
    params_key: Mapped[str | None] = mapped_column(String(40))
    # "manual" (credentials PUT by a person) or "oauth" (a connect flow; Sway refreshes them).
    connected_via: Mapped[str | None] = mapped_column(String(10))
    # When the stored access token expires, if the platform said: the refresh cron's schedule.
    token_expires_at: Mapped[datetime | None]
    granted_scopes: Mapped[list[str] | None] = mapped_column(JSONB)
    token_refreshed_at: Mapped[datetime | None]
    # Held by the one worker refreshing this credential, so a rotating refresh token is never
    # spent twice (docs/connecting.md, "Refresh").
    token_refresh_lease_until: Mapped[datetime | None]

    @validates("handle")
    def _keep_handle_key(self, _: str, handle: str) -> str:
        self.handle_key = handle_key(handle)
        return handle

    @property
    def has_credentials(self) -> bool:
        return self.credentials_encrypted is not None

    @property
    def connection(self) -> dict[str, Any]:
        """What AccountRead shows of how the credentials came (never the credentials)."""
        return {
            "via": self.connected_via if self.has_credentials else None,
            "token_expires_at": self.token_expires_at,
            "token_refreshed_at": self.token_refreshed_at,
            "scopes": self.granted_scopes,
        }

    creator: Mapped["Creator"] = relationship(back_populates="accounts", lazy="raise")
