"""备案表 PDF (R12, issue 12): a row, and the 审核意见 section, are never split across pages.

The defect: with the section near the bottom of a page WeasyPrint broke inside the 审核意见 row, so the label
(and the heading) stood on one page and the opinion text on the next; tall rows of the lists (a teacher with a long
职称) were cut in two the same way. Checked on the PDF's text layer page by page (``pdftotext -f N -l N``):
- an opinion too tall for the rest of its page (but shorter than a page) starts on the page of its label, its
  heading and the 审核结果 row, and ends there too — whatever the number of trainees above it;
- with many teachers whose rows are several lines tall, every row (name … end of its 职称) is on one page.
"""
from __future__ import annotations

import pytest

from models.base import db
from models.filing import Teacher
from services import pdf as pdf_service
from tests import factories
from tests.test_pdf import approved_filing, load, pdf_pages, pdf_text, squash

#: 40 lines (white-space: pre-wrap keeps them): taller than what is left of almost any page, shorter than a page.
OPINION_LINES = [f"第{i:02d}条意见：材料齐全，同意备案" for i in range(1, 41)]


def page_texts(data: bytes, tmp_path) -> list[str]:
    """The squashed text of each page, first page first."""
    return [squash(pdf_text(data, tmp_path, page)) for page in range(1, pdf_pages(data, tmp_path) + 1)]


def pages_with(texts: list[str], needle: str) -> list[int]:
    return [number for number, text in enumerate(texts, start=1) if squash(needle) in text]


@pytest.mark.parametrize("trainees", [3, 30])
def test_opinion_stays_on_the_page_of_its_label(app, tmp_path, trainees):
    with app.app_context():
        filing_id = approved_filing(trainees=trainees)
        row = load(filing_id)
        row.review_opinion = "\n".join(OPINION_LINES)
        db.session.commit()
        data = pdf_service.render_filing_form(load(filing_id))
    texts = page_texts(data, tmp_path)
    heading = pages_with(texts, "审核意见")  # the heading 八、审核意见 and the row label 审核意见
    assert len(heading) == 1, f"审核意见 on pages {heading} of {len(texts)}"
    page = heading[0]
    assert pages_with(texts, "审核结果") == [page]
    for line in OPINION_LINES:
        assert pages_with(texts, line) == [page], (line, page, len(texts))


def test_tall_teacher_rows_are_not_cut(app, tmp_path):
    with app.app_context():
        filing_id = approved_filing(trainees=3)
        row = load(filing_id)
        for i in range(24):  # 职称 of 64 characters (the column's limit): a row of several lines
            title = f"起{i:02d}" + "高级技师兼职业技能等级认定考评员" * 3 + f"止{i:02d}"
            row.teachers.append(Teacher(name=f"导师{i:02d}", id_number=factories.id_number(birth="19800101", seq=i),
                                        phone="13900139000", kind="ENTERPRISE", title=title[:64]))
        db.session.commit()
        data = pdf_service.render_filing_form(load(filing_id))
    texts = page_texts(data, tmp_path)
    assert len(texts) >= 3
    for i in range(24):
        starts, ends = pages_with(texts, f"导师{i:02d}"), pages_with(texts, f"止{i:02d}")
        assert len(starts) == 1 and starts == ends, (i, starts, ends)
        assert pages_with(texts, f"起{i:02d}") == starts
