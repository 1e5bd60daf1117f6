"""Row builders for tests: valid ID numbers and credit codes, enterprises, accounts, recognitions."""
from __future__ import annotations

import hashlib
import itertools
from datetime import date

from flask import current_app
from sqlalchemy import select

from core.validators import complete_id_number, complete_uscc
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


# ---- filings ----------------------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF_SHA256 = hashlib.sha256(PDF_BYTES).hexdigest()  # downloads re-check it (issue 15)


def filing(enterprise_id: int, programme: str = "ENTERPRISE", apprenticeship_type: str = "NEW_APPRENTICE",
           status: str = "DRAFT", city: str | None = None, **kw):
    """A filing row as it would be after 申请备案 (commitment accepted), without children."""
    from models.filing import Filing

    ent = db.session.get(Enterprise, enterprise_id)
    row = Filing(programme=programme, apprenticeship_type=apprenticeship_type, enterprise_id=enterprise_id,
                 city_code=city or ent.city_code, status=status, commitment_accepted=True,
                 contact_name=kw.pop("contact_name", "王经办"), contact_phone=kw.pop("contact_phone", "13800138000"),
                 **kw)
    db.session.add(row)
    db.session.flush()
    return row


def complete_filing(enterprise_id: int, programme: str = "ENTERPRISE", apprenticeship_type: str = "NEW_APPRENTICE",
                    status: str = "DRAFT", trainees: int = 2, start: date = date(2027, 3, 1),
                    end: date = date(2028, 2, 29), id_numbers: list[str] | None = None, **kw):
    """A filing whose every tab is complete (ready to submit), with ``trainees`` trainees."""
    from models.enums import AttachmentKind
    from models.filing import Attachment, Course, Teacher, Trainee, TrainingClass
    from models.lookups import TrainingInstitution

    row = filing(enterprise_id, programme, apprenticeship_type, status=status, **kw)
    row.institution_id = db.session.scalars(select(TrainingInstitution.id)).first()
    cls = TrainingClass(occupation_code="6-18-01-01", skill_level=4 if apprenticeship_type == "NEW_APPRENTICE" else 5,
                        start_date=start, end_date=end, hours=400, planned_headcount=max(trainees, 1))
    row.classes.append(cls)
    teacher = Teacher(name="陈导师", id_number=id_number(birth="19800101"), phone="13900139000", kind="ENTERPRISE",
                      title="高级技师")
    row.teachers.append(teacher)
    numbers = id_numbers or [id_number() for _ in range(trainees)]
    for i, number in enumerate(numbers):
        row.trainees.append(Trainee(name=f"学员{i + 1}", id_number=number, gender="M", birth_date=date(1995, 3, 7),
                                    phone="13700137000", education="SECONDARY_VOCATIONAL",
                                    contract_start=date(2026, 1, 1), contract_end=date(2029, 12, 31),
                                    hire_date=date(2026, 1, 1)))
    db.session.flush()
    if apprenticeship_type != "STUDENT":
        cls.courses.append(Course(name="数控车削实训", mode="OFFLINE", hours=40, teacher_id=teacher.id))
    from actions.filings import TYPE_RULES

    for kind in TYPE_RULES[apprenticeship_type].required_attachments:
        row.attachments.append(Attachment(kind=kind, file_name=f"{AttachmentKind.label(kind)}.pdf",
                                          media_type="application/pdf", size=len(PDF_BYTES), sha256=PDF_SHA256,
                                          content=PDF_BYTES))
    db.session.flush()
    return row


def actor(username: str):
    """The Actor of a demo/test account, as actions/ see it."""
    from models.scope import Actor

    return Actor.from_user(db.session.scalars(select(AppUser).filter_by(username=username)).one())
