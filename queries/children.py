"""The child lists of one filing — 培训信息, 培训师资, 培训人员, 培训课程, 上传材料 — paged on the server with a search
box (issue 12: a filing of 3,305 trainees rendered all of them, 2.5 MB of HTML).

``ListArgs`` is the list's position as URL arguments (``q`` search text, ``page``, ``size`` ∈ 20/50/100; with a
``prefix`` when one page shows several lists, as the reviewer's detail does); the screens carry it through their
edit links, forms and redirects so a row edited on page 7 comes back to page 7. ``child_page`` is one COUNT and one
page SELECT of the filing's rows (``queries.paging``), searched by name / ID number (or file name, course name,
occupation) within the filing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.validators import normalize_text
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from models.lookups import Occupation
from queries.paging import Page, paginate
from queries.search import contains

PAGE_SIZES = (20, 50, 100)
MAX_QUERY = 64


@dataclass(frozen=True)
class ListArgs:
    """Where a child list is: search text, page, page size (``prefix`` names them when a page has several)."""

    q: str = ""
    page: int = 1
    size: int = PAGE_SIZES[0]
    prefix: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any], prefix: str = "") -> "ListArgs":
        from queries.paging import page_number

        q = normalize_text(args.get(f"{prefix}q") or "") or ""
        raw_size = str(args.get(f"{prefix}size") or "")
        size = int(raw_size) if raw_size.isdecimal() and int(raw_size) in PAGE_SIZES else PAGE_SIZES[0]
        return cls(q[:MAX_QUERY], page_number(args.get(f"{prefix}page")), size, prefix)

    def as_args(self, **overrides: Any) -> dict[str, Any]:
        """The non-default values as URL arguments (with ``overrides`` — ``page``, ``q``, ``size`` — applied)."""
        values = {"q": self.q, "page": self.page, "size": self.size, **overrides}
        defaults = {"q": "", "page": 1, "size": PAGE_SIZES[0]}
        return {f"{self.prefix}{key}": value for key, value in values.items() if value != defaults[key]}


def _search(kind: str, q: str) -> list:
    """The condition of the search box for ``kind`` (empty text: none)."""
    if not q:
        return []
    if kind in ("trainees", "teachers"):
        model = Trainee if kind == "trainees" else Teacher
        return [or_(contains(model.name, q), contains(model.id_number, q.upper()))]
    if kind == "courses":
        return [contains(Course.name, q)]
    if kind == "attachments":
        return [contains(Attachment.file_name, q)]
    if kind == "classes":
        return [or_(contains(Occupation.name, q), contains(TrainingClass.occupation_code, q))]
    return []


def child_statement(filing: Filing, kind: str, q: str = ""):
    """The ordered SELECT of the filing's rows of ``kind`` (tab key) matching ``q``."""
    conditions = _search(kind, q)
    if kind == "trainees":
        return select(Trainee).where(Trainee.filing_id == filing.id, *conditions).order_by(Trainee.id)
    if kind == "teachers":
        return select(Teacher).where(Teacher.filing_id == filing.id, *conditions).order_by(Teacher.id)
    if kind == "classes":
        return (select(TrainingClass).join(Occupation, Occupation.code == TrainingClass.occupation_code)
                .where(TrainingClass.filing_id == filing.id, *conditions).order_by(TrainingClass.id))
    if kind == "courses":
        return (select(Course).join(TrainingClass, TrainingClass.id == Course.training_class_id)
                .where(TrainingClass.filing_id == filing.id, *conditions)
                .options(joinedload(Course.teacher), joinedload(Course.venue),
                         selectinload(Course.training_class))
                .order_by(Course.training_class_id, Course.id))
    if kind == "attachments":
        return (select(Attachment).where(Attachment.filing_id == filing.id, *conditions)
                .order_by(Attachment.id))
    raise KeyError(kind)


def child_page(session: Session, filing: Filing, kind: str, args: ListArgs) -> Page:
    """One page of the filing's rows of ``kind`` (two statements whatever the size of the filing)."""
    return paginate(session, child_statement(filing, kind, args.q), args.page, args.size)


def attachment_kinds(session: Session, filing: Filing) -> list[str]:
    """The kinds of material the filing carries (the 上传材料 summary), without loading the files' rows."""
    return list(session.scalars(select(Attachment.kind).where(Attachment.filing_id == filing.id).distinct()))
