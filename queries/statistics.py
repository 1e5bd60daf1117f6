"""统计分析 (issue 14, DESIGN §6 / §10): every figure as one SQL aggregate (GROUP BY), scoped, never by loading rows.

``FIGURES`` is the one spec: name → title, what the date range applies to, the columns (key, Chinese label, kind)
and the chart. ``GET /api/v1/statistics/<name>`` (views/api/statistics.py), the dashboard's tables and charts and
the xlsx export (views/ui/statistics.py) all derive from it.

Scope (DESIGN §2): the admin reads the province (``city_code`` narrows it to one city), a reviewer its city
(``models.scope.scope_condition(Filing | SubsidyClaim | ClassFigures, actor)``); drafts — of filings, change requests and claims —
are the enterprise's alone and never counted. The date range (``from`` / ``to``, calendar days in Asia/Shanghai,
both optional and inclusive) applies to:

- filings (``filings_by_city_status``, ``filings_by_month``): 提交日期 ``submitted_at`` — when the city received the
  filing (the latest submission after a 退回); a filing is counted in its current status;
- classes, trainees, attendance (``classes_by_status``, ``trainees_by_occupation_level``,
  ``attendance_rate_distribution``): the class's training period overlaps the range (classes of APPROVED or
  CANCELLED filings, as 培训情况跟踪); a filing's trainees count under each of its classes, as the headcount of
  培训情况跟踪 does;
- change requests: 提交日期 ``submitted_at`` (a 开班信息变更 is submitted when it is filed);
- subsidy claims: 提交日期 ``submitted_at``; ``requested`` sums the claims under review or approved (a returned claim
  is with the enterprise again), ``approved`` the approved amounts of the approved ones.

Class states as of today: 未开班 (start after today), 培训中, 已结束 (end before today), 已注销 (cancelled, R18).

Live and pre-aggregated (DESIGN §9, ≤ 500 ms per dashboard at 1M trainees / 10M attendance rows): filings, change
requests and subsidy claims are counted live — a filing submitted a moment ago is in the admin's and the reviewer's
figures at once. The three class figures read the class pre-aggregate (``models.statistics.ClassFigures``, rebuilt
nightly by ``flask --app app statistics refresh``: counting 1M trainees and probing 10M attendance rows per request
cannot answer in time); their cards and API answers say when it was computed (``refreshed_at``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from actions.statistics import CLASS_FIGURES
from core.clock import today
from core.errors import FieldError, NotFound, ValidationFailed
from core.validators import parse_date
from models.enums import (
    ChangeRequestKind,
    ChangeRequestStatus,
    ClaimStage,
    ClaimStatus,
    ClassStatus,
    CodeSet,
    FilingStatus,
)
from models.filing import ChangeRequest, Filing
from models.lookups import City, Occupation, SkillLevel
from models.scope import Actor, scope_condition
from models.statistics import ClassFigures, RateBucket, StatisticsRefresh
from models.subsidy import SubsidyClaim
from queries.search import timestamp_on_days


class ClassState(CodeSet):
    """A class's state as of today (``classes_by_status``)."""

    NOT_STARTED = "NOT_STARTED"
    RUNNING = "RUNNING"
    ENDED = "ENDED"
    CANCELLED = "CANCELLED"
    LABELS = {NOT_STARTED: _l("未开班"), RUNNING: _l("培训中"), ENDED: _l("已结束"), CANCELLED: _l("已注销")}


# ---------------------------------------------------------------------------------------------------------------
# Parameters: from / to / city_code
# ---------------------------------------------------------------------------------------------------------------

PARAMETER_LABELS = {"from": _l("开始日期"), "to": _l("结束日期"), "city_code": _l("地市")}


@dataclass(frozen=True)
class StatFilters:
    """The dashboard's filter: a date range (either end optional) and, for the admin, one city."""

    first: Optional[date] = None
    last: Optional[date] = None
    city_code: Optional[str] = None

    def as_args(self) -> dict[str, str]:
        out = {}
        if self.first:
            out["from"] = self.first.isoformat()
        if self.last:
            out["to"] = self.last.isoformat()
        if self.city_code:
            out["city_code"] = self.city_code
        return out


def parse_filters(session: Session, actor: Actor, args: Mapping[str, Any]) -> StatFilters:
    """``from`` / ``to`` / ``city_code`` of a request.

    A reviewer's range is always its own city (its own code may be passed; another city's answers like a missing
    one). :raises ValidationFailed: a date is not a date (the parameter named), or from > to (422).
    :raises NotFound: ``city_code`` names no city, or one out of the actor's scope (404).
    """
    days: dict[str, date] = {}
    errors = []
    for key in ("from", "to"):
        raw = args.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            days[key] = parse_date(str(raw)[:40], key)
        except ValidationFailed:
            errors.append(FieldError(key, _l("%(label)s（%(key)s）格式不正确，应为 YYYY-MM-DD",
                                             label=PARAMETER_LABELS[key], key=key), str(raw)[:40]))
    if errors:
        raise ValidationFailed(errors)
    if "from" in days and "to" in days and days["from"] > days["to"]:
        raise ValidationFailed([FieldError("from", _l("开始日期（from）不能晚于结束日期（to）"), days["from"].isoformat())])
    city = (args.get("city_code") or "").strip()
    if city:
        if len(city) > 6 or not session.scalar(select(City.code).where(City.code == city)):
            raise NotFound(_l("地市不存在或无权访问"))
        if actor.is_reviewer and city != actor.city_code:
            raise NotFound(_l("地市不存在或无权访问"))
    if actor.is_reviewer:
        city = actor.city_code
    return StatFilters(days.get("from"), days.get("to"), city or None)


# ---------------------------------------------------------------------------------------------------------------
# Conditions shared by the figures
# ---------------------------------------------------------------------------------------------------------------


def _filings(actor: Actor, filters: StatFilters) -> list:
    """The actor's filings (never drafts), narrowed to the chosen city."""
    out = [scope_condition(Filing, actor), Filing.status != FilingStatus.DRAFT]
    if filters.city_code:
        out.append(Filing.city_code == filters.city_code)
    return out


def _classes(actor: Actor, filters: StatFilters) -> list:
    """Rows of the class pre-aggregate in the actor's scope (a reviewer: its city), narrowed to the chosen city,
    whose training period overlaps the range."""
    out = [scope_condition(ClassFigures, actor)]
    if filters.city_code:
        out.append(ClassFigures.city_code == filters.city_code)
    if filters.first:
        out.append(ClassFigures.end_date >= filters.first)
    if filters.last:
        out.append(ClassFigures.start_date <= filters.last)
    return out


def _count_if(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _local_month(session: Session, column) -> Any:
    """The month of a stored naive-UTC timestamp in Asia/Shanghai (UTC+8 all year, no daylight saving): a
    timestamp truncated to the month on PostgreSQL, ``YYYY-MM`` text on SQLite (``_month_text`` makes both text)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", column + timedelta(hours=8))
    return func.strftime("%Y-%m", column, "+8 hours")


def _month_text(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, datetime) else str(value)


# ---------------------------------------------------------------------------------------------------------------
# The figures: one aggregate statement each → rows of raw values (codes, ints, Decimals)
# ---------------------------------------------------------------------------------------------------------------


def filings_by_city_status(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    counted = (select(Filing.city_code, Filing.status, func.count().label("count"))
               .where(*_filings(actor, filters), *timestamp_on_days(Filing.submitted_at, filters.first, filters.last))
               .group_by(Filing.city_code, Filing.status)
               .subquery())  # grouped first (an index-only scan of ix_filing_city_status), then named
    stmt = (select(counted.c.city_code, City.name.label("city_name"), counted.c.status, counted.c.count)
            .join(City, City.code == counted.c.city_code)
            .order_by(City.sort_order, counted.c.city_code))
    return _ordered(session.execute(stmt).mappings(), "status", FilingStatus)


def filings_by_month(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    month = _local_month(session, Filing.submitted_at).label("month")
    inner = (select(month, Filing.status)
             .where(*_filings(actor, filters), Filing.submitted_at.is_not(None),
                    *timestamp_on_days(Filing.submitted_at, filters.first, filters.last))
             .subquery())
    stmt = (select(inner.c.month, inner.c.status, func.count().label("count"))
            .group_by(inner.c.month, inner.c.status).order_by(inner.c.month))
    rows = [{**row, "month": _month_text(row["month"])} for row in session.execute(stmt).mappings()]
    return _ordered(rows, "status", FilingStatus)


def classes_by_status(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    day = today()
    state = case((ClassFigures.class_status == ClassStatus.CANCELLED, literal(ClassState.CANCELLED)),
                 (ClassFigures.end_date < day, literal(ClassState.ENDED)),
                 (ClassFigures.start_date > day, literal(ClassState.NOT_STARTED)),
                 else_=literal(ClassState.RUNNING)).label("state")
    inner = select(ClassFigures.city_code, state).where(*_classes(actor, filters)).subquery()
    counted = (select(inner.c.city_code, inner.c.state, func.count().label("count"))
               .group_by(inner.c.city_code, inner.c.state).subquery())
    stmt = (select(counted.c.city_code, City.name.label("city_name"), counted.c.state, counted.c.count)
            .join(City, City.code == counted.c.city_code)
            .order_by(City.sort_order, counted.c.city_code))
    return _ordered(session.execute(stmt).mappings(), "state", ClassState)


def trainees_by_occupation_level(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    counted = (select(ClassFigures.occupation_code, ClassFigures.skill_level,
                      func.sum(ClassFigures.active).label("active"), func.sum(ClassFigures.lost).label("lost"))
               .where(*_classes(actor, filters))
               .group_by(ClassFigures.occupation_code, ClassFigures.skill_level)
               .subquery())  # grouped first, then named (the names join a few rows, not every class)
    stmt = (select(counted.c.occupation_code, Occupation.name.label("occupation_name"), counted.c.skill_level,
                   SkillLevel.name.label("skill_level_name"), counted.c.active, counted.c.lost)
            .join(Occupation, Occupation.code == counted.c.occupation_code)
            .join(SkillLevel, SkillLevel.level == counted.c.skill_level)
            .order_by(counted.c.occupation_code, counted.c.skill_level.desc()))
    return [dict(row) for row in session.execute(stmt).mappings()]


def attendance_rate_distribution(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    sums = [func.coalesce(func.sum(getattr(ClassFigures, column)), 0) for column in RateBucket.COLUMNS.values()]
    totals = session.execute(select(*sums).where(*_classes(actor, filters))).one()
    # every bucket, in order, also the empty ones (a distribution reads with its zeros)
    return [{"bucket": code, "trainees": int(total or 0)} for code, total in zip(RateBucket.COLUMNS, totals)]


def change_requests_by_kind_status(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    stmt = (select(ChangeRequest.kind, ChangeRequest.status, func.count().label("count"))
            .where(ChangeRequest.status != ChangeRequestStatus.DRAFT,
                   *timestamp_on_days(ChangeRequest.submitted_at, filters.first, filters.last))
            .group_by(ChangeRequest.kind, ChangeRequest.status))
    if not (actor.is_admin and not filters.city_code):
        # a city's: through its filings (the admin's province needs no join: a change request exists only on an
        # approved filing, never on a draft)
        stmt = stmt.join(Filing, Filing.id == ChangeRequest.filing_id).where(*_filings(actor, filters))
    rows = [dict(row) for row in session.execute(stmt).mappings()]
    return sorted(rows, key=lambda r: (_rank(ChangeRequestKind, r["kind"]), _rank(ChangeRequestStatus, r["status"])))


def subsidy_by_city_stage(session: Session, actor: Actor, filters: StatFilters) -> list[dict]:
    conditions = [scope_condition(SubsidyClaim, actor),
                  SubsidyClaim.status.in_((ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)),
                  *timestamp_on_days(SubsidyClaim.submitted_at, filters.first, filters.last)]
    if filters.city_code:
        conditions.append(SubsidyClaim.city_code == filters.city_code)
    approved = SubsidyClaim.status == ClaimStatus.APPROVED
    stmt = (select(SubsidyClaim.city_code, City.name.label("city_name"), SubsidyClaim.stage,
                   func.count().label("claims"), _count_if(approved).label("approved_claims"),
                   func.coalesce(func.sum(SubsidyClaim.requested_amount), 0).label("requested"),
                   func.coalesce(func.sum(case((approved, SubsidyClaim.approved_amount), else_=0)), 0)
                   .label("approved"))
            .join(City, City.code == SubsidyClaim.city_code)
            .where(*conditions)
            .group_by(SubsidyClaim.city_code, City.name, City.sort_order, SubsidyClaim.stage)
            .order_by(City.sort_order, SubsidyClaim.city_code))
    return _ordered(session.execute(stmt).mappings(), "stage", ClaimStage)


def _rank(codes: type[CodeSet], value: Any) -> int:
    order = codes.codes()
    return order.index(value) if value in order else len(order)


def _ordered(rows, key: str, codes: type[CodeSet]) -> list[dict]:
    """Rows kept in the statement's order of their city / month, and within one by the code set's order of ``key``
    (the order a clerk reads statuses in, not the alphabet)."""
    out = [dict(row) for row in rows]
    group = next((k for k in ("city_code", "month") if out and k in out[0]), None)
    first_seen: dict[Any, int] = {}
    for i, row in enumerate(out):
        first_seen.setdefault(row[group] if group else None, i)
    return sorted(out, key=lambda r: (first_seen[r[group] if group else None], _rank(codes, r[key])))


# ---------------------------------------------------------------------------------------------------------------
# The registry: name → figure spec (API, tables, xlsx and charts derive from it)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field of a figure's rows. ``kind``: text, count (integer) or money (yuan, a decimal string in JSON).
    ``codes``: the code set naming the values — the row also carries ``<key>_label``, and tables show the label.
    ``shown``: a column of the tables and the xlsx (a code whose name is another column is not)."""

    key: str
    label: Any
    kind: str = "text"
    codes: Optional[type[CodeSet]] = None
    shown: bool = True


@dataclass(frozen=True)
class Chart:
    """How statistics.js draws a figure: ``kind`` bar / line / pie; the category axis joins the ``x`` fields
    (labels); with ``series`` each distinct value of that field is a series of ``values[0]``, otherwise each of
    ``values`` is one; ``stack`` stacks the bars."""

    kind: str
    x: tuple[str, ...]
    values: tuple[str, ...]
    series: Optional[str] = None
    stack: bool = False

    def as_dict(self, columns: tuple[Column, ...]) -> dict:
        labels = {c.key: str(c.label) for c in columns}
        return {"kind": self.kind, "x": list(self.x), "series": self.series, "stack": self.stack,
                "values": [{"key": key, "label": labels[key]} for key in self.values]}


@dataclass(frozen=True)
class Figure:
    name: str
    title: Any
    date_basis: Any  # what the date range applies to, shown on the card
    columns: tuple[Column, ...]
    query: Callable[[Session, Actor, StatFilters], list[dict]]
    chart: Chart
    refreshed: Optional[str] = None  # the pre-aggregate it reads (StatisticsRefresh.name), if any
    notes: tuple = field(default=())

    def shown_columns(self) -> list[Column]:
        return [c for c in self.columns if c.shown]


CITY = (Column("city_code", _l("地市代码"), shown=False), Column("city_name", _l("地市")))
SUBMITTED_ON = _l("按提交日期统计")
PERIOD_OVERLAPS = _l("按培训期间与所选日期范围有交集统计")

FIGURES: dict[str, Figure] = {f.name: f for f in (
    Figure("filings_by_city_status", _l("培训备案（按地市、状态）"), SUBMITTED_ON,
           (*CITY, Column("status", _l("备案状态"), codes=FilingStatus), Column("count", _l("备案数"), "count")),
           filings_by_city_status, Chart("bar", ("city_name",), ("count",), series="status_label", stack=True)),
    Figure("filings_by_month", _l("培训备案（按月份、状态）"), SUBMITTED_ON,
           (Column("month", _l("提交月份")), Column("status", _l("备案状态"), codes=FilingStatus),
            Column("count", _l("备案数"), "count")),
           filings_by_month, Chart("line", ("month",), ("count",), series="status_label")),
    Figure("classes_by_status", _l("培训班（培训中、已结束、已注销）"), PERIOD_OVERLAPS,
           (*CITY, Column("state", _l("培训班状态（截至今日）"), codes=ClassState), Column("count", _l("培训班数"), "count")),
           classes_by_status, Chart("bar", ("city_name",), ("count",), series="state_label", stack=True),
           refreshed=CLASS_FIGURES),
    Figure("trainees_by_occupation_level", _l("培训人员（按职业、等级：在训、流失）"), PERIOD_OVERLAPS,
           (Column("occupation_code", _l("职业（工种）编码")), Column("occupation_name", _l("职业（工种）")),
            Column("skill_level", _l("培训等级代码"), shown=False), Column("skill_level_name", _l("培训等级")),
            Column("active", _l("在训人数"), "count"), Column("lost", _l("流失人数"), "count")),
           trainees_by_occupation_level,
           Chart("bar", ("occupation_name", "skill_level_name"), ("active", "lost"), stack=True),
           refreshed=CLASS_FIGURES),
    Figure("attendance_rate_distribution", _l("培训人员出勤率分布"), PERIOD_OVERLAPS,
           (Column("bucket", _l("出勤率区间"), codes=RateBucket), Column("trainees", _l("人数"), "count")),
           attendance_rate_distribution, Chart("pie", ("bucket_label",), ("trainees",)),
           refreshed=CLASS_FIGURES,
           notes=(_l("出勤率 = 已出勤课时 ÷ 已结束课程的应出勤课时（R24），每人每个培训班计一次。"),)),
    Figure("change_requests_by_kind_status", _l("变更申请（按类型、状态）"), SUBMITTED_ON,
           (Column("kind", _l("变更类型"), codes=ChangeRequestKind),
            Column("status", _l("变更状态"), codes=ChangeRequestStatus), Column("count", _l("申请数"), "count")),
           change_requests_by_kind_status, Chart("bar", ("kind_label",), ("count",), series="status_label",
                                                 stack=True)),
    Figure("subsidy_by_city_stage", _l("补贴申领（按地市、阶段）"), SUBMITTED_ON,
           (*CITY, Column("stage", _l("申领阶段"), codes=ClaimStage), Column("claims", _l("申请数"), "count"),
            Column("approved_claims", _l("审核通过数"), "count"),
            Column("requested", _l("申请金额（元）"), "money"), Column("approved", _l("核定金额（元）"), "money")),
           subsidy_by_city_stage, Chart("bar", ("city_name", "stage_label"), ("requested", "approved")),
           notes=(_l("申请金额：已提交待审核和审核通过的申请；核定金额：审核通过的申请。"),)),
)}


def figure_or_none(name: str) -> Optional[Figure]:
    return FIGURES.get(name)


def _money(value: Any) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def figure_rows(session: Session, actor: Actor, figure: Figure, filters: StatFilters) -> list[dict]:
    """The figure's rows as the API answers them: codes with their ``<key>_label``, counts as integers, money as
    decimal strings (yuan, two decimals)."""
    out = []
    for raw in figure.query(session, actor, filters):
        row: dict[str, Any] = {}
        for column in figure.columns:
            value = raw.get(column.key)
            if column.kind == "count":
                value = int(value or 0)
            elif column.kind == "money":
                value = _money(value)
            row[column.key] = value
            if column.codes is not None:
                row[f"{column.key}_label"] = column.codes.label(value)
        out.append(row)
    return out


def cell_text(column: Column, row: dict) -> Any:
    """What a table cell or xlsx cell shows for ``column``: the label of a code, else the value."""
    if column.codes is not None:
        return row.get(f"{column.key}_label")
    return row.get(column.key)


def refreshed_at(session: Session, figure: Figure) -> Optional[datetime]:
    """When the figure's pre-aggregate was last rebuilt (``None``: never, or the figure is live)."""
    if figure.refreshed is None:
        return None
    return session.scalar(select(StatisticsRefresh.refreshed_at).where(StatisticsRefresh.name == figure.refreshed))


def cities(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The cities of the admin's city select (a reviewer: its own)."""
    if not (actor.is_admin or actor.is_reviewer):
        return []
    stmt = select(City.code, City.name).order_by(City.sort_order, City.code)
    if actor.is_reviewer:
        stmt = stmt.where(City.code == actor.city_code)
    return [(code, name) for code, name in session.execute(stmt)]
