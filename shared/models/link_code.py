from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, OrgMixin


class LinkCode(OrgMixin, Base):
    """Which organization each tracking link code belongs to. /r/{code} arrives with no
    organization, and a code must be unique across all of them, which a table distributed by
    org_id cannot enforce: this one is a reference table (shared/distribution.py), written with
    the link in one transaction (shared/domain/link/repository.py). A code stays taken after its
    link is deleted, so an old URL never leads to someone else's link."""

    __tablename__ = "link_code"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
