"""Demo filings per demo enterprise (added by the filing issues); idempotent."""
from __future__ import annotations

from sqlalchemy.orm import Session


def seed(session: Session) -> None:
    """No demo filings yet: the filing screens land with the 备案申请 issue, which fills this in."""
    return None
