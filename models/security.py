"""FAB's user extended with the link that scopes it (an enterprise or a city) (DESIGN §2).

The security manager and the account screens that use it live in ``views/security.py``."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.enterprise import Enterprise
from models.lookups import City


class AppUser(User):
    """An account; 企业用户 carry ``enterprise_id``, 地市审核员 carry ``city_code``.

    Login lockout (actions/accounts.py): FAB counts ``fail_login_count``; ``last_failed_login`` is the time of the
    last failed password (naive UTC) and ``locked_until`` the end of a lockout (naive UTC, None when not locked).
    """

    __tablename__ = "ab_user"
    enterprise_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("enterprise.id"), index=True)
    city_code: Mapped[Optional[str]] = mapped_column(String(6), ForeignKey("city.code"), index=True)
    last_failed_login: Mapped[Optional[datetime]] = mapped_column(DateTime)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    #: hashes of the account's last passwords (newest first): a new password may not reuse them
    previous_passwords: Mapped[Optional[list]] = mapped_column(JSON)
    #: sessions logged in and JWTs issued before this moment (naive UTC) are revoked: set at logout and at a
    #: password change (views/security.py)
    tokens_valid_after: Mapped[Optional[datetime]] = mapped_column(DateTime)
    #: set when the admin resets the password (or creates the account with a one-time password): the screens are
    #: closed until the user sets a password of its own (views/request_guards.py)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                       nullable=False)

    enterprise: Mapped[Optional[Enterprise]] = relationship(foreign_keys=[enterprise_id])
    city: Mapped[Optional[City]] = relationship(foreign_keys=[city_code])
