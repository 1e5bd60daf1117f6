"""补贴申领 documents (R23: 下载申请表, 下载花名册, 导出花名册), built from the claim's rows only.

- ``claim_form_pdf``: the 申请表, one A4 page (unit, filing, class, stage, basic bank account, persons and amounts in
  figures and in 大写, signature and stamp blocks). Every free text is bounded in the template, so it stays one page.
- ``claim_roster_pdf``: the 花名册, A4 landscape. Pages are cut here in Python by a fixed line budget, so each page's
  本页小计 is exact and 合计 closes the last page; the running header and 第 X 页 共 Y 页 are on every page. Rows are
  monospaced text lines (``services.text_grid``): ~1 ms per line box in WeasyPrint made a 10-column HTML table of
  1,000 persons take ~19 s; one line per row renders the whole document in ~4.6 s (DESIGN §9: ≤ 5 s; measured by
  ``bench/claim_roster.py``).
- ``claim_roster_xlsx`` / ``export_claim_roster``: the roster as xlsx (xlsxwriter ``constant_memory``: rows
  streamed from ``queries.claim_roster``), ID numbers as text, amounts as numbers with two decimals, a 合计 row;
  every text from user data through ``core.cells.neutralise``.
The PDFs reuse ``services.pdf``: the app's Jinja environment (autoescape), Chinese locale, ``LocalOnlyFetcher``
(nothing is fetched), the CJK font by family name. Amounts are Decimal yuan (fen), never float.
"""
from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator, Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import Session
from weasyprint import HTML

from core.cells import neutralise
from core.clock import format_local
from models.enums import ApprenticeshipType, ClaimStage, ClaimStatus, Programme
from queries.claim_roster import ROSTER_COLUMNS, RosterRow, fen, occupation_label, period_text, roster_rows, \
    roster_totals
from services.pdf import LocalOnlyFetcher
from services.text_grid import MONO_CSS, Column, TextGrid

log = logging.getLogger(__name__)

FORM_TEMPLATE = "pdf/claim_form.html"
ROSTER_TEMPLATE = "pdf/claim_roster.html"

#: 表名 per programme (manual §3.2.3).
FORM_TITLES = {
    Programme.ECOSYSTEM: _l("产教评技能生态链企业新型学徒制培训补贴申请表"),
    Programme.ENTERPRISE: _l("企业新型学徒制培训补贴申请表"),
}
ROSTER_TITLES = {
    Programme.ECOSYSTEM: _l("产教评技能生态链企业新型学徒制培训补贴人员花名册"),
    Programme.ENTERPRISE: _l("企业新型学徒制培训补贴人员花名册"),
}
DOCUMENT_NAMES = {
    "form": ("补贴申请表", "pdf"),
    "roster": ("补贴花名册", "pdf"),
    "roster_xlsx": ("补贴花名册", "xlsx"),
}

# ---- money ------------------------------------------------------------------------------------------------

FEN = Decimal("0.01")
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_GROUP_UNITS = ("", "万", "亿", "万亿")


def format_yuan(amount: Optional[Decimal]) -> str:
    """``12,000.00`` (blank for ``None``); Decimal formatting, no float on the way."""
    if amount is None:
        return ""
    return f"{Decimal(amount).quantize(FEN, ROUND_HALF_UP):,.2f}"


def _group_caps(group: int) -> str:
    """0 < group < 10000 in capitals with 仟佰拾; one 零 for inner zeros, none for trailing ones."""
    out, zero, started = [], False, False
    for digit, unit in zip(f"{group:04d}", ("仟", "佰", "拾", "")):
        d = int(digit)
        if d == 0:
            zero = started
            continue
        if zero:
            out.append("零")
        out.append(_DIGITS[d] + unit)
        zero, started = False, True
    return "".join(out)


def capital_yuan(amount: Decimal) -> str:
    """An amount in yuan as 大写 on a payment document: 壹万贰仟元整, 壹拾元零伍分, 壹拾万零壹拾元伍角整, 零元整.

    Rules of the People's Bank of China for 中文大写金额 (正确填写票据和结算凭证的基本规定): 整 after 元 or 角,
    none after 分; a zero (or a run of zeros) between non-zero digits is written once as 零; 10–19 start with 壹拾.
    """
    value = Decimal(amount).quantize(FEN, ROUND_HALF_UP)
    if value < 0:
        raise ValueError("a negative amount has no 大写 form here")
    fen_total = int(value * 100)
    integer, jiao, fen_ = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    groups = []
    n = integer
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large")
    text, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or group < 1000):
            text += "零"
        text += _group_caps(group) + _GROUP_UNITS[index]
        zero_pending = False
    if text:
        text += "元"
    if jiao == 0 and fen_ == 0:
        return (text or "零元") + "整"
    if fen_ == 0:
        return text + _DIGITS[jiao] + "角整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    return text + _DIGITS[fen_] + "分"


def claim_document_name(claim: Any, kind: str) -> str:
    """``补贴申请表-12.pdf``, ``补贴花名册-12.pdf``, ``补贴花名册-12.xlsx`` (kind: form / roster / roster_xlsx); the
    caller sends it with RFC 5987 ``filename*``."""
    stem, ext = DOCUMENT_NAMES[kind]
    return f"{stem}-{claim.id}.{ext}"


# ---- shared context ---------------------------------------------------------------------------------------

def _claim_facts(claim: Any) -> dict:
    """What both PDFs show about the claim: titles' programme, unit, filing, class and stage (plain strings)."""
    filing, enterprise, cls = claim.filing, claim.enterprise, claim.training_class
    programme = filing.programme if filing is not None else Programme.ENTERPRISE
    return {
        "programme": programme,
        "claim_id": claim.id,
        "status_label": ClaimStatus.label(claim.status),
        "stage_label": ClaimStage.label(claim.stage),
        "programme_label": Programme.label(programme),
        "type_label": ApprenticeshipType.label(filing.apprenticeship_type) if filing is not None else "",
        "filing_no": (filing.filing_no or "") if filing is not None else "",
        "city_name": claim.city.name if claim.city else claim.city_code,
        "enterprise": {
            "name": enterprise.name, "uscc": enterprise.uscc, "address": enterprise.address or "",
            "legal_representative": enterprise.legal_representative or "",
        },
        "occupation": occupation_label(cls.occupation_code, cls.occupation.name if cls.occupation else None)
        if cls is not None else "",
        "level": (cls.level.name if cls.level else str(cls.skill_level)) if cls is not None else "",
        "period": period_text(cls.start_date, cls.end_date) if cls is not None else "",
        "hours": cls.hours if cls is not None else "",
    }


def _render(template_name: str, context: dict) -> str:
    template = current_app.jinja_env.get_template(template_name)
    with force_locale("zh"):
        return template.render(**context)


# ---- 申请表 -------------------------------------------------------------------------------------------------

def claim_form_context(session: Session, claim: Any, printed_at: Optional[datetime] = None) -> dict:
    """Everything the 申请表 shows, as plain values (labels resolved in Chinese, amounts formatted)."""
    with force_locale("zh"):
        facts = _claim_facts(claim)
        totals = roster_totals(session, claim.id)
        approved = fen(claim.approved_amount)
        city = facts["city_name"]
        return {
            **facts,
            "title": str(FORM_TITLES.get(facts["programme"], FORM_TITLES[Programme.ENTERPRISE])),
            "contact_name": claim.contact_name or "",
            "contact_phone": claim.contact_phone or "",
            "bank_name": claim.bank_name or "",
            "bank_account_name": claim.bank_account_name or "",
            "bank_account_no": claim.bank_account_no or "",
            "persons": totals.count,
            # the persons' amounts are the source of the requested total (R22); the claim row keeps the same sum
            "requested": format_yuan(totals.amount),
            "requested_caps": capital_yuan(totals.amount),
            "approved": format_yuan(approved) if approved is not None else "",
            "approved_caps": capital_yuan(approved) if approved is not None else "",
            "submitted_at": format_local(claim.submitted_at, "%Y-%m-%d %H:%M"),
            "review_opinion": claim.review_opinion or "",
            "review_date": format_local(claim.reviewed_at, "%Y年%m月%d日"),
            "review_unit": str(_l("%(city)s人力资源和社会保障局", city=city)),
            "printed_at": format_local(printed_at or datetime.now(timezone.utc), "%Y-%m-%d %H:%M"),
        }


def render_claim_form_html(session: Session, claim: Any, **extra: Any) -> str:
    """The 申请表 as HTML (Chinese, autoescaped); ``extra`` adds or overrides template values."""
    return _render(FORM_TEMPLATE, {**claim_form_context(session, claim), **extra})


def claim_form_pdf(session: Session, claim: Any, *, fetcher: Optional[LocalOnlyFetcher] = None) -> bytes:
    """PDF bytes of the 申请表 of ``claim`` (loaded by the caller through the scope; submitted or later, R23)."""
    html = render_claim_form_html(session, claim)
    return HTML(string=html, base_url=None, url_fetcher=fetcher or LocalOnlyFetcher()).write_pdf()


# ---- 花名册 (PDF) -------------------------------------------------------------------------------------------

#: Text lines of person rows per page. Fixed, so pages are cut here and 本页小计 is exact (a row never splits).
ROSTER_LINES_PER_PAGE = 27
#: The roster PDF's columns (indices into ``ROSTER_COLUMNS``): a claim is for one class, so 职业（工种）, 培训等级
#: and 培训期间 are the same on every line — they are printed once in each page's heading, not on 1,000 lines
#: (WeasyPrint's cost is per character drawn: this keeps a 1,000-person roster well inside 5 s, DESIGN §9).
ROSTER_PDF_COLUMNS = (0, 1, 2, 3, 7, 8, 9)
#: Column widths in half-em units (titles filled in Chinese per render, ``_grid_with_zh_titles``).
ROSTER_GRID = TextGrid([
    Column("", 6, "right"),
    Column("", 20),
    Column("", 22),
    Column("", 6, "center"),
    Column("", 36),
    Column("", 16, "right"),
    Column("", 16, "right"),
], max_lines=6)
_SUM_SPANS = (5, 1, 1)  # 本页小计 / 合计 over the first five columns, then the two amounts


def _grid_with_zh_titles() -> TextGrid:
    """The roster grid with its column titles in Chinese (``ROSTER_COLUMNS`` are lazy strings)."""
    with force_locale("zh"):
        titles = [str(ROSTER_COLUMNS[i]) for i in ROSTER_PDF_COLUMNS]
    return TextGrid([Column(t, c.width, c.align) for t, c in zip(titles, ROSTER_GRID.columns)],
                    ROSTER_GRID.max_lines)


def _add(total: Optional[Decimal], value: Optional[Decimal]) -> Optional[Decimal]:
    if value is None:
        return total
    return value if total is None else total + value


def roster_pages(rows: Iterator[RosterRow], grid: TextGrid, lines_per_page: int = ROSTER_LINES_PER_PAGE
                 ) -> Iterator[dict]:
    """Pages of at most ``lines_per_page`` row lines: ``{"rows": [[Markup line, …], …], "count", "amount",
    "approved"}`` with this page's sums (approved: None when nobody on the page is decided)."""
    page: dict = {"rows": [], "lines": 0, "count": 0, "amount": Decimal("0.00"), "approved": None}
    for row in rows:
        lines = grid.row([str(row.seq), row.name, row.id_number, row.gender, row.certificate_no,
                          format_yuan(row.amount), format_yuan(row.approved_amount)])
        if page["rows"] and page["lines"] + len(lines) > lines_per_page:
            yield page
            page = {"rows": [], "lines": 0, "count": 0, "amount": Decimal("0.00"), "approved": None}
        page["rows"].append(lines)
        page["lines"] += len(lines)
        page["count"] += 1
        page["amount"] += row.amount or Decimal("0.00")
        page["approved"] = _add(page["approved"], row.approved_amount)
    if page["rows"] or page["count"] == 0:
        yield page


def roster_context(session: Session, claim: Any, *, lines_per_page: int = ROSTER_LINES_PER_PAGE,
                   printed_at: Optional[datetime] = None) -> dict:
    """The 花名册 template's values: the claim's facts, the grid geometry and the pages with their sum lines."""
    grid = _grid_with_zh_titles()
    with force_locale("zh"):
        facts = _claim_facts(claim)
        totals = roster_totals(session, claim.id)
        pages = list(roster_pages(roster_rows(session, claim.id), grid, lines_per_page))
        for page in pages:
            page["subtotal"] = grid.row(
                [str(_l("本页小计（%(n)d 人）", n=page["count"])), format_yuan(page["amount"]),
                 format_yuan(page["approved"])], spans=_SUM_SPANS, aligns=["center", "right", "right"])
        pages[-1]["total"] = grid.row(
            [str(_l("合计（%(n)d 人）", n=totals.count)), format_yuan(totals.amount), format_yuan(totals.approved)],
            spans=_SUM_SPANS, aligns=["center", "right", "right"])
        xs = grid.boundaries()
        sum_xs = [xs[0], xs[5], xs[6], xs[7]]
        return {
            **facts,
            "title": str(ROSTER_TITLES.get(facts["programme"], ROSTER_TITLES[Programme.ENTERPRISE])),
            "mono_css": Markup(MONO_CSS),
            "grid_units": grid.units,
            "rules": xs,
            "sum_rules": sum_xs,
            "header": grid.header(),
            "pages": pages,
            "page_count": len(pages),
            "total_count": totals.count,
            "total_amount": format_yuan(totals.amount),
            "total_caps": capital_yuan(totals.amount),
            "total_approved": format_yuan(totals.approved) if totals.approved is not None else "",
            "total_approved_caps": capital_yuan(totals.approved) if totals.approved is not None else "",
            "printed_at": format_local(printed_at or datetime.now(timezone.utc), "%Y-%m-%d %H:%M"),
        }


def render_claim_roster_html(session: Session, claim: Any, **extra: Any) -> str:
    return _render(ROSTER_TEMPLATE, {**roster_context(session, claim), **extra})


def claim_roster_pdf(session: Session, claim: Any, *, fetcher: Optional[LocalOnlyFetcher] = None,
                     lines_per_page: int = ROSTER_LINES_PER_PAGE) -> bytes:
    """PDF bytes of the 花名册 of ``claim`` (A4 landscape; per-page 本页小计, 合计 on the last page)."""
    context = roster_context(session, claim, lines_per_page=lines_per_page)
    document = HTML(string=_render(ROSTER_TEMPLATE, context), base_url=None,
                    url_fetcher=fetcher or LocalOnlyFetcher()).render()
    if len(document.pages) != context["page_count"]:
        # a page overflowed its line budget: the 本页小计 lines no longer match the printed pages
        log.error("Claim %s roster: %d pages laid out for %d planned", claim.id, len(document.pages),
                  context["page_count"])
    return document.write_pdf()


# ---- 花名册 (xlsx) ------------------------------------------------------------------------------------------

XLSX_WIDTHS = (6, 10, 21, 6, 28, 13, 23, 20, 13, 13)
_TEXT_COLUMNS = range(1, 8)  # 姓名 … 证书编号 (written as text, neutralised)


def write_roster_xlsx(session: Session, claim: Any, path: str, tmpdir: Optional[str] = None) -> int:
    """Write the roster of ``claim`` to ``path`` (xlsxwriter constant_memory, rows streamed); returns the count."""
    import xlsxwriter

    with force_locale("zh"):
        facts = _claim_facts(claim)
        titles = [str(t) for t in ROSTER_COLUMNS]
        title = str(ROSTER_TITLES.get(facts["programme"], ROSTER_TITLES[Programme.ENTERPRISE]))
        total_label = str(_l("合计"))
    options = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    book = xlsxwriter.Workbook(path, options)
    book.set_properties({"title": title, "author": "学徒制培训备案与补贴申领系统"})
    sheet = book.add_worksheet("花名册")
    bold = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    info = book.add_format({"text_wrap": True, "valign": "vcenter"})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                              "valign": "vcenter", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    money = book.add_format({"num_format": "#,##0.00"})
    total_text = book.add_format({"bold": True, "top": 1})
    total_money = book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})
    last = len(titles) - 1
    for ci, width in enumerate(XLSX_WIDTHS):
        sheet.set_column(ci, ci, width, text if ci in _TEXT_COLUMNS else None)
    sheet.set_row(0, 26)
    sheet.merge_range(0, 0, 0, last, title, bold)
    facts_line = (f"申请编号：{facts['claim_id']}　单位名称：{facts['enterprise']['name']}　"
                  f"统一社会信用代码：{facts['enterprise']['uscc']}　备案编号：{facts['filing_no']}　"
                  f"申领阶段：{facts['stage_label']}")
    sheet.merge_range(1, 0, 1, last, neutralise(facts_line), info)
    for ci, name in enumerate(titles):
        sheet.write_string(2, ci, name, header)
    sheet.freeze_panes(3, 0)
    r = 2
    for row in roster_rows(session, claim.id):
        r += 1
        sheet.write_number(r, 0, row.seq)
        for ci, value in zip(_TEXT_COLUMNS, (row.name, row.id_number, row.gender, row.occupation, row.level,
                                             row.period, row.certificate_no)):
            if value:
                sheet.write_string(r, ci, neutralise(value), text)
        # xlsx stores numbers as binary doubles: the Decimal becomes a float only at this boundary
        if row.amount is not None:
            sheet.write_number(r, 8, float(row.amount), money)
        if row.approved_amount is not None:
            sheet.write_number(r, 9, float(row.approved_amount), money)
    count = r - 2
    totals = roster_totals(session, claim.id)
    r += 1
    sheet.write_string(r, 0, total_label, total_text)
    sheet.write_string(r, 1, f"{totals.count}人", total_text)
    for ci in range(2, 8):
        sheet.write_blank(r, ci, None, total_text)
    sheet.write_number(r, 8, float(totals.amount), total_money)
    if totals.approved is not None:
        sheet.write_number(r, 9, float(totals.approved), total_money)
    else:
        sheet.write_blank(r, 9, None, total_money)
    if count:
        sheet.autofilter(2, 0, 2 + count, last)
    book.close()
    return count


def export_claim_roster(session: Session, claim: Any) -> tuple[str, int]:
    """The roster xlsx in a temporary file of ``export_dir()`` (mode 0700: it holds complete ID numbers); returns
    (path, persons). The caller streams it and removes it (``services.trainee_export.stream_and_remove``)."""
    from services.trainee_export import export_dir

    directory = export_dir()
    handle, path = tempfile.mkstemp(prefix="claim-roster-", suffix=".xlsx", dir=directory)
    os.close(handle)
    try:
        count = write_roster_xlsx(session, claim, path, str(directory))
    except BaseException:
        os.unlink(path)
        raise
    return path, count


def claim_roster_xlsx(session: Session, claim: Any) -> bytes:
    """The roster xlsx as bytes (written through a temporary file, removed at once)."""
    path, _count = export_claim_roster(session, claim)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)
