"""Version counters that let every worker on every host keep a derived copy of rarely
changing tables and know, with one primary-key read, whether it is still current.

The counters are bumped by database triggers (migration 0010), not by application code:
every write reaches them, whether it comes from a view, a command, a bulk statement or an
operator's SQL, and in the same transaction as the change.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base

# Desks, categories and their desks, handlers' routing columns, the key directory: what
# routing.recipients and the key directory's verification read.
ROUTING = "routing"


class CacheVersion(Base):
    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
