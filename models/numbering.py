"""申请编号 (application number) of a filing — issue 12: a filing has an identity from the moment it is created,
long before its 备案编号 (R13, assigned on approval).

Format ``SQ<city>-<YYYYMMDD>-<nnnn>``, e.g. ``SQ4401-20261201-0007``: the filing city, the creation day in
Asia/Shanghai and a sequence per city and day (``ApplicationNumberCounter``). Assigned once, on INSERT, by the
``before_insert`` listener below — so every way a filing is created (``actions.filings.create_filing``, the API,
the seeds, the test factories) gets one — and never changed afterwards (city and creation time never change).
Unique (``ux_filing_application_no``). The counter row is bumped with one ``INSERT … ON CONFLICT DO UPDATE …
RETURNING`` on the flush's own connection: atomic under concurrency (PostgreSQL holds the row lock until the
creating transaction ends; SQLite serialises writers), and a rolled-back creation gives its number back.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import to_local
from models.base import Model, utcnow
from models.filing import Filing

PREFIX = "SQ"


class ApplicationNumberCounter(Model):
    """Last 申请编号 sequence issued per city and creation day (Asia/Shanghai)."""

    __tablename__ = "application_number_counter"
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def format_application_no(city_code: str, day: date, sequence: int) -> str:
    """``SQ4401-20261201-0007`` (at least four digits; a 10,000th filing of a city in one day gets five)."""
    return f"{PREFIX}{city_code}-{day:%Y%m%d}-{sequence:04d}"


def creation_day(created_at: datetime) -> date:
    """The calendar day in Asia/Shanghai of a stored naive-UTC creation time."""
    return to_local(created_at).date()


def next_sequence(connection: Connection, city_code: str, day: date) -> int:
    """Bump and return the counter of ``city_code`` and ``day`` (1 for the first filing of that day)."""
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"申请编号: no counter upsert for {dialect}")
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = ApplicationNumberCounter.__table__
    stmt = (insert(table).values(city_code=city_code, day=day, last=1)
            .on_conflict_do_update(index_elements=[table.c.city_code, table.c.day],
                                   set_={"last": table.c.last + 1})
            .returning(table.c.last))
    return int(connection.execute(stmt).scalar_one())


@event.listens_for(Filing, "before_insert")
def _assign_application_no(_mapper, connection: Connection, target: Filing) -> None:
    """Give a new filing its 申请编号 (and fix its creation time, which the number's day is taken from)."""
    if target.created_at is None:
        target.created_at = utcnow()
    if not target.application_no:
        day = creation_day(target.created_at)
        target.application_no = format_application_no(target.city_code, day,
                                                       next_sequence(connection, target.city_code, day))

