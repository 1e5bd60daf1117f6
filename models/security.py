"""FAB's user extended with the link that scopes it (an enterprise or a city) (DESIGN §2).

The security manager and the account screens that use it live in ``views/security.py``."""
from __future__ import annotations

from typing import Optional

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enterprise import Enterprise
from models.lookups import City


class AppUser(User):
    """An account; 企业用户 carry ``enterprise_id``, 地市审核员 carry ``city_code``."""

    __tablename__ = "ab_user"
    enterprise_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("enterprise.id"), index=True)
    city_code: Mapped[Optional[str]] = mapped_column(String(6), ForeignKey("city.code"), index=True)

    enterprise: Mapped[Optional[Enterprise]] = relationship(foreign_keys=[enterprise_id])
    city: Mapped[Optional[City]] = relationship(foreign_keys=[city_code])
