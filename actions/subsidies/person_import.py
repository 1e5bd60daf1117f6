"""人员信息【导入】 of a subsidy claim (manual §3.2.3.1: 在人员信息界面点击导入按钮，进入导入界面。点击下载模板，
将导入模板填写完毕后点击导入上传; R20: persons imported by ID number and matched to the trainees of the claim's
filing).

The columns are ``actions.specs.CLAIM_PERSON`` (身份证号码 required; 姓名 optional but, when given, equal to the
trainee's name; 证书编号 and 证书等级 for 清算). Rows come from ``imports.reader`` (the same refusals as the filing
imports); every row is checked and either all persons are added or none, with every error named by row, column and
value:

- 身份证号码: the shared cleaner (``core.validators.parse_id_number``: 18 characters, check digit, birth date; an old
  15-digit number and an empty cell are refused), once per file;
- the person: a trainee of the claim's filing (R20), not already in the claim, its name equal to 姓名 when given —
  one set-based query per chunk of ID numbers (trainee + its row in this claim, if any), never one per row;
- 证书编号 (≤ 64 characters) and 证书等级 (the 技能等级 dropdown: a label such as 四级/中级工, 四级, 中级工 or the number).

An import never changes persons already in the claim: such a row is an error ("已在本申请的人员信息中"); the user edits
that person's certificate on the claim page (``claims.update_person``) or removes the person first. Storing is
``claims.add_persons`` (all-or-nothing, audited) plus one ``import`` audit event naming the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from actions import audit
from actions.imports import add_cleaner_errors, data_rows, repeated_person, sort_by_cell
from actions.specs import CLAIM_PERSON
from actions.subsidies import claims
from core.cleaning import Cleaner
from core.errors import FieldError, FieldInvalid, ValidationFailed
from core.validators import normalize_text
from imports.specs import CHOICE, Column, build_choices
from models.enums import TraineeStatus
from models.filing import Trainee
from models.scope import Actor
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

#: The data sheet's name in the template (the reader looks for it first).
SHEET = "人员信息"
#: ID numbers per look-up statement (below every driver's bound-parameter limit).
LOOKUP_CHUNK = 5000
_BLANKS = re.compile(r"[\s\u3000]+")


def columns() -> list[Column]:
    """The template / reader columns (身份证号码, 姓名, 证书编号, 证书等级)."""
    return CLAIM_PERSON.import_columns(None)


def template_rules() -> list[str]:
    """The claim-specific lines of the template's 填写说明 (file format: fixed Chinese text)."""
    return ["只能导入本申请所属备案的培训人员：按身份证号码匹配；填写姓名时须与备案中的姓名一致。",
            "同一身份证号码在本文件中只能出现一次，也不能是本申请中已有的人员（已有人员的证书信息请在申请页面修改）。",
            "清算（BALANCE）申请须填写证书编号和证书等级，证书等级不低于培训目标等级；预拨申请可不填。"]


@dataclass
class PersonImportResult:
    """What an import did (or, for a dry run, would do)."""

    count: int
    existing: int
    dry_run: bool
    #: (Excel row, {"name", "id_number", "certificate_no", "skill_level", "lost"}) of the first rows.
    preview: list[tuple[int, dict]] = field(default_factory=list)
    #: not refused, worth a look: a trainee marked 流失 (the pre-check R21 will fail for them).
    warnings: list[FieldError] = field(default_factory=list)


@dataclass
class _Cleaned:
    """A row whose ID number is valid and first in the file: matched against the filing."""

    number: int
    raw_id: Any  # as typed (for the error list)
    values: dict  # cleaned
    ok: bool  # no problem so far in any cell of the row


def _name_key(value: Any) -> str:
    text = normalize_text(value) if value is not None else None
    return _BLANKS.sub("", text) if text else ""


def _lookup(session: Session, claim: SubsidyClaim, numbers: list[str]) -> dict[str, tuple]:
    """ID number → (trainee id, name, status, already in this claim) for the trainees of the claim's filing.

    One statement per ``LOOKUP_CHUNK`` ID numbers: the trainee outer-joined to its row in this claim.
    """
    found: dict[str, tuple] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start:start + LOOKUP_CHUNK]
        stmt = (select(Trainee.id_number, Trainee.id, Trainee.name, Trainee.status, SubsidyClaimPerson.id)
                .outerjoin(SubsidyClaimPerson, and_(SubsidyClaimPerson.trainee_id == Trainee.id,
                                                    SubsidyClaimPerson.subsidy_claim_id == claim.id))
                .where(Trainee.filing_id == claim.filing_id, Trainee.id_number.in_(chunk)))
        for number, trainee_id, name, status, person_id in session.execute(stmt):
            found[number] = (trainee_id, name, status, person_id is not None)
    return found


def import_persons(session: Session, actor: Actor, claim_id: Any, rows: Iterable[Any], *, dry_run: bool = False,
                   sheet: Optional[str] = None, source: Optional[dict] = None,
                   preview_rows: int = 10) -> PersonImportResult:
    """Check every row of a 人员信息 import into an editable claim, then add them all (or, with ``dry_run``, nothing).

    ``rows``: objects with ``number`` (Excel row), ``values`` (data key → raw cell value) and ``errors`` (problems
    found while reading), as ``imports.reader`` gives them.
    :raises NotFound: the claim is missing or out of scope.
    :raises Forbidden: not an enterprise user.
    :raises TransitionNotAllowed: the claim is not DRAFT/RETURNED.
    :raises ValidationFailed: every problem of every row (row, column, value, message); nothing is stored.
    """
    # The row lock (PostgreSQL) makes two imports into one claim run one after the other.
    claim = claims.load_claim(session, actor, claim_id, editable=True)
    rows = list(rows)
    if not rows:
        raise FieldInvalid("file", _l("文件中没有数据行"))
    cols = columns()
    specs = {c.key: c for c in cols}
    choice_columns = [(c, build_choices(session, None, c.source)) for c in cols if c.type == CHOICE]

    def located(key: Optional[str], message: Any, value: Any, number: int) -> FieldError:
        return FieldError(key, message, value=value, row=number, column=specs[key].header if key in specs else None,
                          sheet=sheet)

    errors: list[FieldError] = []
    cleaned: list[_Cleaned] = []
    first_seen: dict[str, int] = {}
    # A bad 证书等级 is reported by its dropdown, not again by the integer cleaner (clear).
    for _index, row, row_errors, data in data_rows(rows, errors, choice_columns, located, clear=True):
        values = row.values
        clean = Cleaner(data)
        CLAIM_PERSON.clean_fields(clean)
        add_cleaner_errors(row_errors, clean.errors, values,
                           lambda key, message, shown: located(key, message, shown, row.number))
        number = clean.out.get("id_number") or ""
        if number:
            row_errors.extend(repeated_person(number, first_seen, row.number,
                                              lambda message: located("id_number", message, values.get("id_number"),
                                                                      row.number)))
        if row_errors:
            errors.extend(row_errors)
        if number and number in first_seen and first_seen[number] == row.number:
            # Matched against the filing even when another cell of the row is wrong: every error at once.
            cleaned.append(_Cleaned(row.number, values.get("id_number"), clean.out, not row_errors))

    # R20: the persons are trainees of the claim's filing, matched by ID number — set-based.
    found = _lookup(session, claim, [c.values["id_number"] for c in cleaned])
    warnings: list[FieldError] = []
    good: list[_Cleaned] = []
    for item in cleaned:
        values = item.values
        match = found.get(values["id_number"])
        problems: list[FieldError] = []
        if match is None:
            problems.append(located("id_number", _l("本申请所属备案中没有身份证号码为 %(n)s 的培训人员",
                                                    n=values["id_number"]), item.raw_id, item.number))
        else:
            _trainee_id, name, status, in_claim = match
            given = values.get("name")
            if given and _name_key(given) != _name_key(name):
                problems.append(located("name", _l("姓名“%(given)s”与备案中该身份证号码的培训人员姓名“%(name)s”不一致",
                                                   given=given, name=name), given, item.number))
            if in_claim:
                problems.append(located("id_number", _l("%(name)s 已在本申请的人员信息中（如需修改证书信息，请在申请页面"
                                                        "修改该人员）", name=name), item.raw_id, item.number))
            if status == TraineeStatus.LOST:
                warnings.append(located("id_number", _l("%(name)s 已标记为流失，预审核将不通过", name=name),
                                        item.raw_id, item.number))
        errors.extend(problems)
        if item.ok and not problems:
            good.append(item)

    if errors:
        sort_by_cell(errors, cols)
        raise ValidationFailed(errors, _l("导入文件有 %(n)d 处错误（涉及 %(rows)d 行），未导入任何人员。"
                                          "请按错误列表修改后重新导入", n=len(errors),
                                          rows=len({e.row for e in errors})))

    existing = session.scalar(select(func.count()).select_from(SubsidyClaimPerson)
                              .where(SubsidyClaimPerson.subsidy_claim_id == claim.id)) or 0
    preview = []
    for item in good[:preview_rows]:
        _trainee_id, name, status, _in = found[item.values["id_number"]]
        preview.append((item.number, {"name": name, "id_number": item.values["id_number"],
                                      "certificate_no": item.values.get("certificate_no"),
                                      "skill_level": item.values.get("skill_level"),
                                      "lost": status == TraineeStatus.LOST}))
    result = PersonImportResult(len(good), existing, dry_run, preview, warnings)
    if dry_run:
        return result
    details = {item.values["id_number"]: {"certificate_no": item.values.get("certificate_no"),
                                          "skill_level": item.values.get("skill_level")} for item in good}
    claims.add_persons(session, actor, claim.id, id_numbers=list(details), details=details)
    session.expire(claim, ["persons"])
    audit.record(session, actor, "import", claim,
                 diff={"row": claims.row_name(claim), "kind": "subsidy_claim_person", "count": len(good),
                       **({"source": source} if source else {})})
    return result
