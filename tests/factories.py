"""Row builders for tests: valid ID numbers and credit codes, enterprises, accounts, recognitions."""
from __future__ import annotations

import itertools
from datetime import date

from flask import current_app
from sqlalchemy import select

from actions.validators import complete_id_number, complete_uscc
from models.base import db
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import RoleName
from models.security import AppUser

_counter = itertools.count(1)


def id_number(region: str = "440106", birth: str = "19950307", seq: int | None = None, female: bool = False) -> str:
    """A valid 18-digit ID number (GB 11643 check digit computed)."""
    n = next(_counter) if seq is None else seq
    order = (n * 2) % 1000 if female else (n * 2 + 1) % 1000
    return complete_id_number(f"{region}{birth}{order:03d}")


def uscc(city: str = "440101", serial: int | None = None) -> str:
    n = next(_counter) if serial is None else serial
    return complete_uscc(f"91{city}MA{n:07d}")


def enterprise(name: str | None = None, city: str = "4401", **kw) -> Enterprise:
    n = next(_counter)
    row = Enterprise(uscc=kw.pop("uscc", uscc(city + "01", n)), name=name or f"测试单位{n}", city_code=city, **kw)
    db.session.add(row)
    db.session.flush()
    return row


def user(username: str, role: str, enterprise_id: int | None = None, city_code: str | None = None,
         password: str = "Demo@2026") -> AppUser:
    sm = current_app.appbuilder.sm
    row = sm.add_user(username, username, "测试", f"{username}@test.invalid", [sm.find_role(role)], password)
    row.enterprise_id = enterprise_id
    row.city_code = city_code
    db.session.commit()
    return row


def recognition(enterprise_id: int, city: str = "4401", valid_from=date(2025, 1, 1), valid_to=date(2030, 12, 31),
                role: str = "MEMBER") -> EcosystemRecognition:
    row = EcosystemRecognition(enterprise_id=enterprise_id, chain_name="测试生态链", role=role, city_code=city,
                               valid_from=valid_from, valid_to=valid_to)
    db.session.add(row)
    db.session.flush()
    return row


def demo_enterprise(username: str) -> Enterprise:
    """The enterprise linked to a demo account (ent_gz / ent_sz)."""
    account = db.session.scalars(select(AppUser).filter_by(username=username)).one()
    return db.session.get(Enterprise, account.enterprise_id)


ROLE = RoleName
