"""打印备案表: the approved filing rendered as an A4 PDF with WeasyPrint from a Jinja template (DESIGN §1, R12).

- The template (templates/pdf/filing_form.html) is rendered by the app's Jinja environment with autoescape on,
  always in Chinese (the 备案表 is an official form), so user text can never become markup.
- Nothing is ever fetched while rendering: ``LocalOnlyFetcher`` refuses every URL that is not ``data:``
  (http, https, file, ftp …) and records what it was asked for. Fonts come from fontconfig by family name
  (``WenQuanYi Zen Hei`` from Debian's fonts-wqy-zenhei, installed by scripts/setup.sh), not from URLs.
- The PDF's text layer holds the real characters (checked with pdftotext in tests/test_pdf.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from core.clock import format_local
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    ClassStatus,
    CourseMode,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TeacherKind,
    TraineeStatus,
)

log = logging.getLogger(__name__)

TEMPLATE = "pdf/filing_form.html"

#: 表名 per programme (manual §3.2.1 / §3.2.2).
FORM_TITLES = {
    Programme.ECOSYSTEM: _l("产教评技能生态链企业新型学徒制培训备案表"),
    Programme.ENTERPRISE: _l("企业新型学徒制培训备案表"),
}


class ExternalResourceRefused(ValueError):
    """A URL other than ``data:`` was requested while rendering a PDF."""


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves ``data:`` URLs only and refuses everything else (no network, no files).

    ``requested`` lists every URL WeasyPrint asked for, ``refused`` those it was denied (tests assert on both).
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Optional[dict] = None):
        self.requested.append(url)
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            log.warning("PDF rendering refused an external resource: %.200s", url)
            raise ExternalResourceRefused(f"external resources are not loaded: {url[:200]}")
        return super().fetch(url, headers)


def render_html(html: str, *, fetcher: Optional[LocalOnlyFetcher] = None) -> bytes:
    """PDF bytes of an HTML string rendered with the local-only fetcher (no base URL: nothing relative resolves)."""
    return HTML(string=html, base_url=None, url_fetcher=fetcher or LocalOnlyFetcher()).write_pdf()


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def form_context(filing: Any, printed_at: Optional[datetime] = None) -> dict:
    """Everything the 备案表 template shows, as plain values (labels resolved, dates formatted)."""
    from actions.filings import TYPE_RULES

    enterprise = filing.enterprise
    classes = list(filing.classes)
    class_names = {c.id: f"{c.occupation.name}（{c.occupation_code}）" if c.occupation else c.occupation_code
                   for c in classes}
    rules = TYPE_RULES.get(filing.apprenticeship_type)
    labour_contract = bool(rules and rules.labour_contract)
    institution = filing.institution.name if filing.institution else (filing.other_institution_name or "")
    if filing.institution is None and filing.other_institution_name:
        institution = str(_l("%(name)s（其他培训机构）", name=filing.other_institution_name))
    courses = [course for c in classes for course in c.courses]
    city_name = filing.city.name if filing.city else filing.city_code
    return {
        "title": str(FORM_TITLES.get(filing.programme, FORM_TITLES[Programme.ENTERPRISE])),
        "filing_no": filing.filing_no or "",
        "application_no": filing.application_no or "",  # 申请编号 (issue 12): the number it was filed under
        "status_label": FilingStatus.label(filing.status),
        "programme_label": Programme.label(filing.programme),
        "type_label": ApprenticeshipType.label(filing.apprenticeship_type),
        "city_name": city_name,
        "enterprise": {
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "address": enterprise.address or "",
            "legal_representative": enterprise.legal_representative or "",
        },
        "contact_name": filing.contact_name or "",
        "contact_phone": filing.contact_phone or "",
        "institution": institution,
        "institution_uscc": filing.institution.uscc if filing.institution and filing.institution.uscc else "",
        "classes": [
            {
                "occupation": class_names[c.id],
                "level": c.level.name if c.level else str(c.skill_level),
                "start": _day(c.start_date),
                "end": _day(c.end_date),
                "hours": c.hours,
                "headcount": c.planned_headcount,
                "status": ClassStatus.label(c.status),
            }
            for c in classes
        ],
        "teachers": [
            {"name": t.name, "id_number": t.id_number, "kind": TeacherKind.label(t.kind), "title": t.title or "",
             "certificate_no": t.certificate_no or "", "phone": t.phone or ""}
            for t in filing.teachers if t.active
        ],
        "contract_label": str(_l("劳动合同期限") if labour_contract else _l("学徒培训协议期限")),
        "trainees": [
            {"name": t.name, "gender": Gender.label(t.gender) if t.gender else "", "id_number": t.id_number,
             "education": Education.label(t.education) if t.education else "", "phone": t.phone or "",
             "contract": (str(_l("%(a)s 至 %(b)s", a=_day(t.contract_start), b=_day(t.contract_end)))
                          if t.contract_start or t.contract_end else ""),
             "hire_date": _day(t.hire_date),
             "status": TraineeStatus.label(t.status), "lost_date": _day(t.lost_date)}
            for t in filing.trainees
        ],
        "show_courses": bool(courses) or bool(rules and rules.has_courses),
        "courses": [
            {"name": c.name, "class_name": class_names.get(c.training_class_id, ""), "mode": CourseMode.label(c.mode),
             "hours": c.hours, "teacher": c.teacher.name if c.teacher else ""}
            for c in courses
        ],
        "attachments": [{"kind": AttachmentKind.label(a.kind), "file_name": a.file_name} for a in filing.attachments],
        "submitted_at": format_local(filing.submitted_at, "%Y-%m-%d %H:%M"),
        "review_opinion": filing.review_opinion or "",
        "review_date": format_local(filing.reviewed_at or filing.approved_at, "%Y年%m月%d日"),
        "review_unit": str(_l("%(city)s人力资源和社会保障局", city=city_name)),
        "printed_at": format_local(printed_at or datetime.now(timezone.utc), "%Y-%m-%d %H:%M"),
    }


def render_form_html(filing: Any, **extra: Any) -> str:
    """The 备案表 as HTML (Chinese, autoescaped); ``extra`` adds or overrides template values."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    with force_locale("zh"):
        return template.render(**{**form_context(filing), **extra})


def render_filing_form(filing: Any, *, fetcher: Optional[LocalOnlyFetcher] = None) -> bytes:
    """PDF bytes of the 备案表 of ``filing`` (loaded by the caller through the scope; APPROVED or later)."""
    return render_html(render_form_html(filing), fetcher=fetcher)


def pdf_filename(filing: Any) -> str:
    """备案表-XT4401-2026-000123.pdf (the caller sends it with RFC 5987 ``filename*``)."""
    return f"备案表-{filing.filing_no or filing.id}.pdf"
