from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, IdMixin, OrgMixin, TimestampMixin


class ApiKey(IdMixin, OrgMixin, TimestampMixin, Base):
    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_org_id", "org_id"),)

    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the key, to recognise it in lists; the secret itself is never kept.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
