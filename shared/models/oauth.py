from datetime import datetime
from uuid import UUID

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin, org_foreign_key


class ConnectLink(IdMixin, OrgMixin, TimestampMixin, Base):
    """A link a creator opens to connect their own account, with no Sway API key: it is a
    Fernet token of this row's id (signed, expiring), and `used_at` makes it single-use."""

    __tablename__ = "connect_link"
    __table_args__ = (org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),)

    account_id: Mapped[UUID] = mapped_column(index=True)
    return_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthState(IdMixin, OrgMixin, TimestampMixin, Base):
    """One authorization in flight: the `state` sent to the platform is a Fernet token of this
    row's id, and `used_at` makes it single-use. The PKCE verifier is sealed, never in clear."""

    __tablename__ = "oauth_state"
    __table_args__ = (
        org_foreign_key("account_id", "creator_account", ondelete="CASCADE"),
        org_foreign_key("connect_link_id", "connect_link", ondelete="SET NULL"),
    )

    account_id: Mapped[UUID] = mapped_column(index=True)
    platform: Mapped[str] = mapped_column(String(20))
    code_verifier_sealed: Mapped[str | None] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    return_url: Mapped[str | None] = mapped_column(Text)
    connect_link_id: Mapped[UUID | None]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
