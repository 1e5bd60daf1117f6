"""培训场地维护 (manual §3.2.1.6 / §3.2.2.6): the enterprise's training venues, created, edited and deleted here
from the screens (``views/ui/venues.py``) and the REST API (``views/api/venues.py``) alike.

A venue belongs to one enterprise, not to a programme (both programme menus open the same list). Only the
enterprise writes its venues; city reviewers and the provincial administrator read them (``models/scope.py``).
Fields come from ``actions.specs.VENUE``; coordinates are decimal degrees inside China's range, both or neither.
R25: a venue used by a course that has not ended cannot be deleted, and one that any course refers to is kept.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from actions import audit
from actions.specs import VENUE
from core.cleaning import Cleaner
from core.clock import today
from core.errors import FieldError, Forbidden, ValidationFailed
from core.validators import normalize_text
from models.enterprise import Venue
from models.enums import CourseStatus
from models.filing import Course, Filing, TrainingClass
from models.scope import Actor, load_scoped

#: The fields a form or API body gives (the spec's editable fields).
VENUE_FIELDS: tuple[str, ...] = VENUE.form_fields()
#: China's extent in decimal degrees (longitude 73.5–135.1 E, latitude 3.8–53.6 N).
LONGITUDE_RANGE = (Decimal("73.5"), Decimal("135.1"))
LATITUDE_RANGE = (Decimal("3.8"), Decimal("53.6"))
#: Stored with six decimals (Numeric(10, 6): about 0.1 m).
COORDINATE_STEP = Decimal("0.000001")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

FORBIDDEN = _l("培训场地由企业用户维护；审核员和管理员只能查看")


def _require_enterprise(actor: Actor) -> None:
    if not actor.is_enterprise:
        raise Forbidden(FORBIDDEN)


def load_venue(session: Session, actor: Actor, pk: Any, *, for_update: bool = False) -> Venue:
    """One venue through the scope (a reviewer: its city's; an enterprise: its own).

    :raises NotFound: no such venue, or not the actor's.
    """
    return load_scoped(session, Venue, pk, actor, for_update=for_update)


# ---------------------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------------------


def _decimal(clean: Cleaner, name: str, label: Any) -> Optional[Decimal]:
    """A decimal degree from text (``113.264385``) or a JSON number, rounded to six decimals; None when empty."""
    value = clean.data.get(name)
    if value is None or (isinstance(value, str) and not normalize_text(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        clean.error(name, _l("%(label)s应为数字（小数形式的度数，如 113.264385）", label=label), value)
        return None
    text = normalize_text(value) if isinstance(value, str) else str(value)
    if not _NUMBER.fullmatch(text or ""):
        clean.error(name, _l("%(label)s应为数字（小数形式的度数，如 113.264385）", label=label), value)
        return None
    try:
        return Decimal(text).quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        clean.error(name, _l("%(label)s超出允许的数值范围", label=label), value)
        return None


def clean_venue(data: dict) -> dict[str, Any]:
    """The venue values of ``data`` (a form or JSON body), cleaned by the spec plus the coordinate rules.

    :raises ValidationFailed: every problem at once, each naming its field in Chinese.
    """
    clean = Cleaner(dict(data or {}))
    VENUE.clean_fields(clean)  # name, address, capacity (text and integer rules of the spec)
    lon_f, lat_f = VENUE.field("longitude"), VENUE.field("latitude")
    lon = _decimal(clean, lon_f.name, lon_f.label)
    lat = _decimal(clean, lat_f.name, lat_f.label)
    bad = clean.has_error(lon_f.name) or clean.has_error(lat_f.name)
    if not bad and (lon is None) != (lat is None):
        missing = lat_f if lat is None else lon_f
        clean.error(missing.name, _l("请同时填写经度和纬度，或两者都不填（缺少%(label)s）", label=missing.label))
    elif not bad and lon is not None:
        lon_ok = LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
        lat_ok = LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
        swapped = (not lon_ok and not lat_ok and LATITUDE_RANGE[0] <= lon <= LATITUDE_RANGE[1]
                   and LONGITUDE_RANGE[0] <= lat <= LONGITUDE_RANGE[1])
        if swapped:
            clean.error(lon_f.name, _l("经度和纬度可能填反了：经度（东经）应在 73.5 至 135.1 之间，"
                                       "纬度（北纬）应在 3.8 至 53.6 之间"), str(lon))
        else:
            if not lon_ok:
                clean.error(lon_f.name, _l("经度应在 73.5 至 135.1 之间（中国境内），当前为 %(v)s", v=str(lon)),
                            str(lon))
            if not lat_ok:
                clean.error(lat_f.name, _l("纬度应在 3.8 至 53.6 之间（中国境内），当前为 %(v)s", v=str(lat)),
                            str(lat))
    clean.out[lon_f.name], clean.out[lat_f.name] = lon, lat
    return clean.finish()


def _check_enterprise_id(actor: Actor, data: dict) -> None:
    """A body may name ``enterprise_id`` (DESIGN §10), but only the actor's own enterprise.

    :raises ValidationFailed: another enterprise, or not an id at all.
    """
    if "enterprise_id" not in data or data["enterprise_id"] in (None, ""):
        return
    value = data["enterprise_id"]
    same = not isinstance(value, bool) and str(value).strip() == str(actor.enterprise_id)
    if not same:
        raise ValidationFailed([FieldError("enterprise_id", _l(
            "enterprise_id（所属单位）只能是当前登录单位自己：培训场地属于本单位，不能为其他单位新增或修改"),
            value)])


# ---------------------------------------------------------------------------------------------------------
# Save and delete
# ---------------------------------------------------------------------------------------------------------


def _snapshot(venue: Optional[Venue]) -> dict[str, Any]:
    return audit.snapshot(venue, VENUE_FIELDS)


def save_venue(session: Session, actor: Actor, data: dict, pk: Any = None, *, partial: bool = False) -> Venue:
    """Create (``pk`` None) or update a venue of the actor's enterprise; audited with before/after. ``partial``
    (an API PUT): the fields missing from ``data`` keep their stored values.

    :raises Forbidden: the actor is not an enterprise user (reviewers and the admin only read venues).
    :raises NotFound: ``pk`` is not a venue of the actor's enterprise.
    :raises ValidationFailed: a field is missing or invalid, or ``enterprise_id`` names another enterprise.
    """
    _require_enterprise(actor)
    venue = load_venue(session, actor, pk, for_update=True) if pk is not None else None
    _check_enterprise_id(actor, data)
    if partial and venue is not None:
        data = {**{name: getattr(venue, name) for name in VENUE_FIELDS}, **data}
    values = clean_venue(data)
    before = _snapshot(venue)
    if venue is None:
        venue = Venue(enterprise_id=actor.enterprise_id)
        session.add(venue)
    for name in VENUE_FIELDS:
        setattr(venue, name, values.get(name))
    session.flush()
    audit.record_edit(session, actor, "update" if before else "create", venue, before, _snapshot(venue),
                      row_name=venue.name)
    return venue


def _course_end():
    """A course's last day: ``end_date`` once courses carry a period (DESIGN §10 course contract, R16), until
    then the course's one ``date``. No date yet means the course has not ended."""
    return Course.end_date if hasattr(Course, "end_date") else Course.date


def _course_label(course: Course, training_class: TrainingClass, filing: Filing) -> Any:
    """“课程名称”（培训班：职业 等级，开始 至 结束，备案编号）."""
    occupation = training_class.occupation.name if training_class.occupation else training_class.occupation_code
    level = training_class.level.name if training_class.level else str(training_class.skill_level)
    text = _l("“%(course)s”（培训班：%(occupation)s %(level)s，%(start)s 至 %(end)s", course=course.name,
              occupation=occupation, level=level, start=training_class.start_date.isoformat(),
              end=training_class.end_date.isoformat())
    if filing.filing_no:
        return _l("%(text)s，备案编号 %(no)s）", text=text, no=filing.filing_no)
    return _l("%(text)s）", text=text)


def courses_using(session: Session, venue_id: int, *, not_ended_only: bool) -> list[tuple]:
    """Up to two ``(course, class, filing)`` of the courses that refer to the venue (R25: only those not ended and
    not cancelled when ``not_ended_only``), whatever the actor's scope: every reference counts."""
    stmt = (select(Course, TrainingClass, Filing)
            .join(TrainingClass, Course.training_class_id == TrainingClass.id)
            .join(Filing, TrainingClass.filing_id == Filing.id)
            .where(Course.venue_id == venue_id)
            .order_by(Course.id))
    if not_ended_only:
        end = _course_end()
        stmt = stmt.where(Course.status != CourseStatus.CANCELLED, or_(end.is_(None), end >= today()))
    return list(session.execute(stmt.limit(2)).all())  # the first names the course; a second says "等多门课程"


def _in_use_error(session: Session, venue: Venue) -> Optional[FieldError]:
    """R25 first (a course not ended), then any course at all (the course keeps its venue)."""
    active = courses_using(session, venue.id, not_ended_only=True)
    if active:
        course, training_class, filing = active[0]
        more = _l("等多门课程") if len(active) > 1 else ""
        return FieldError("id", _l("培训场地“%(venue)s”正被未结束的课程%(course)s%(more)s使用，不能删除",
                                   venue=venue.name, course=_course_label(course, training_class, filing),
                                   more=more), venue.id)
    used = courses_using(session, venue.id, not_ended_only=False)
    if used:
        course, training_class, filing = used[0]
        more = _l("等多门课程") if len(used) > 1 else ""
        return FieldError("id", _l("培训场地“%(venue)s”已被课程%(course)s%(more)s引用，为保留培训记录不能删除",
                                   venue=venue.name, course=_course_label(course, training_class, filing),
                                   more=more), venue.id)
    return None


def delete_venue(session: Session, actor: Actor, pk: Any) -> None:
    """Delete a venue of the actor's enterprise (R25); audited with the deleted values.

    :raises Forbidden: the actor is not an enterprise user.
    :raises NotFound: not a venue of the actor's enterprise.
    :raises ValidationFailed: a course that has not ended uses it (R25), or any course refers to it; the message
        names the course and its class.
    """
    _require_enterprise(actor)
    venue = load_venue(session, actor, pk, for_update=True)
    error = _in_use_error(session, venue)
    if error is not None:
        raise ValidationFailed([error])
    audit.record_edit(session, actor, "delete", venue, _snapshot(venue), {}, row_name=venue.name)
    session.delete(venue)
    session.flush()
