"""Action-level tests of the filing application rules R1–R11 (actions/filings.py), state × role × scope."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from actions import attachments, checklist, filings
from core.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from models.base import db
from models.enterprise import EcosystemRecognition
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from tests import factories as f
from tests.factories import PDF_BYTES


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


def gz():
    return f.demo_enterprise("ent_gz")


def sz():
    return f.demo_enterprise("ent_sz")


def errors_of(exc_info) -> dict:
    return {e.field: str(e.message) for e in exc_info.value.errors}


def new_filing(username="ent_gz", programme="ENTERPRISE", kind="NEW_APPRENTICE"):
    return filings.create_filing(db.session, f.actor(username), programme, kind, True)


CLASS = {"occupation_code": "6-18-01-01", "skill_level": "4", "start_date": "2027-03-01", "end_date": "2028-02-29",
         "hours": "400", "planned_headcount": "10"}
TEACHER = {"name": "陈导师", "phone": "13900139000", "kind": "ENTERPRISE", "title": "高级技师"}
TRAINEE = {"name": "张三", "phone": "13700137000", "education": "BACHELOR", "contract_start": "2026-01-01",
           "contract_end": "2028-12-31", "hire_date": "2026-01-01"}


# ---- R1 commitment, R2 types, R3 recognition ---------------------------------------------------------------

def test_r1_no_filing_before_commitment(ctx):
    with pytest.raises(ValidationFailed) as info:
        filings.create_filing(db.session, f.actor("ent_gz"), "ENTERPRISE", "NEW_APPRENTICE", False)
    assert "承诺书" in errors_of(info)["commitment_accepted"]
    assert db.session.scalar(select(func.count()).select_from(Filing)) == _demo_filings()


def _demo_filings():
    return db.session.scalar(select(func.count()).select_from(Filing))


def test_r1_records_who_and_when(ctx):
    filing = new_filing()
    assert filing.commitment_accepted and filing.commitment_accepted_by_id == f.actor("ent_gz").user_id
    assert filing.commitment_accepted_at is not None and filing.status == "DRAFT"
    assert filing.city_code == "4401" and filing.contact_phone == gz().contact_phone


@pytest.mark.parametrize("programme,kind,ok", [
    ("ECOSYSTEM", "STUDENT", True), ("ECOSYSTEM", "TECH_TRAINEE", True), ("ECOSYSTEM", "NEW_APPRENTICE", False),
    ("ENTERPRISE", "NEW_APPRENTICE", True), ("ENTERPRISE", "STUDENT", True), ("ENTERPRISE", "TECH_TRAINEE", False),
])
def test_r2_types_per_programme(ctx, programme, kind, ok):
    if ok:
        assert new_filing("ent_gz", programme, kind).apprenticeship_type == kind
    else:
        with pytest.raises(ValidationFailed) as info:
            new_filing("ent_gz", programme, kind)
        assert "apprenticeship_type" in errors_of(info)


@pytest.mark.parametrize("programme,kind,needs", [
    ("ECOSYSTEM", "STUDENT", True), ("ECOSYSTEM", "TECH_TRAINEE", True),
    ("ENTERPRISE", "STUDENT", True), ("ENTERPRISE", "NEW_APPRENTICE", False),
])
def test_r3_recognition_required(ctx, programme, kind, needs):
    if needs:
        with pytest.raises(ValidationFailed) as info:
            new_filing("ent_sz", programme, kind)
        assert errors_of(info)["apprenticeship_type"] == (
            "该机构没有当前有效的产业技能生态链企业认定记录，请联系当地人社部门维护")
    else:
        assert new_filing("ent_sz", programme, kind).status == "DRAFT"


def test_r3_recognition_must_be_current_and_of_the_filing_city(ctx):
    ent = sz()
    f.recognition(ent.id, city="4401")  # another city's recognition does not count
    f.recognition(ent.id, city="4403", valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1))  # expired
    with pytest.raises(ValidationFailed):
        new_filing("ent_sz", "ECOSYSTEM", "STUDENT")
    f.recognition(ent.id, city="4403", valid_from=date(2024, 1, 1), valid_to=None)
    assert new_filing("ent_sz", "ECOSYSTEM", "STUDENT").city_code == "4403"


@pytest.mark.parametrize("username", ["gz_reviewer", "admin"])
def test_only_enterprise_users_file(ctx, username):
    with pytest.raises(Forbidden):
        new_filing(username)


# ---- R4 one class for 学生学徒制, R10 limits -----------------------------------------------------------------

def test_r4_student_filing_has_one_class(ctx):
    filing = new_filing("ent_gz", "ECOSYSTEM", "STUDENT")
    data = {**CLASS, "skill_level": "5"}
    filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, data)
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, data)
    assert "一次备案只允许新增一条培训信息" in errors_of(info)["occupation_code"]
    assert len(filing.classes) == 1
    # editing the one class is still allowed
    only = filing.classes[0]
    filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, {**data, "hours": "500"}, pk=only.id)
    assert only.hours == 500


def test_new_apprentice_may_have_several_classes(ctx):
    filing = new_filing()
    for _ in range(2):
        filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, CLASS)
    assert len(filing.classes) == 2


@pytest.mark.parametrize("changes,field,message", [
    ({"skill_level": "5"}, "skill_level", "四级/中级工及以上"),
    ({"end_date": "2027-12-31"}, "end_date", "不能少于1年"),
    ({"end_date": "2029-06-30"}, "extension_reason", "超过2年"),
    ({"end_date": "2030-06-30", "extension_reason": "岗位需要"}, "end_date", "最长不超过3年"),
    ({"end_date": "2027-01-01"}, "end_date", "不能早于培训开始日期"),
    ({"occupation_code": "9-99-99-99"}, "occupation_code", "不存在"),
    ({"hours": "0"}, "hours", "不能小于1"),
    ({"planned_headcount": "abc"}, "planned_headcount", "应为整数"),
    ({"start_date": "2027/13/01"}, "start_date", "格式不正确"),
])
def test_r10_and_class_fields(ctx, changes, field, message):
    filing = new_filing()
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, {**CLASS, **changes})
    assert message in errors_of(info)[field]
    assert filing.classes == []


def test_r10_three_years_with_reason_accepted(ctx):
    filing = new_filing()
    row = filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id,
                             {**CLASS, "end_date": "2029-12-31", "extension_reason": "高技能岗位培养周期长"})
    assert row.end_date == date(2029, 12, 31)


def test_r10_student_type_any_level_and_period(ctx):
    filing = new_filing("ent_gz", "ECOSYSTEM", "TECH_TRAINEE")
    row = filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id,
                             {**CLASS, "skill_level": "5", "end_date": "2027-06-30"})
    assert row.skill_level == 5


def test_all_field_errors_reported_at_once(ctx):
    filing = new_filing()
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, {})
    assert set(errors_of(info)) >= {"occupation_code", "skill_level", "start_date", "end_date", "hours",
                                    "planned_headcount"}


# ---- R5 institution ------------------------------------------------------------------------------------------

def test_r5_other_institution_needs_name(ctx):
    filing = new_filing()
    with pytest.raises(ValidationFailed) as info:
        filings.save_institution(db.session, f.actor("ent_gz"), filing.id, {"institution_id": "other"})
    assert "其他培训机构名称必填" in errors_of(info)["other_institution_name"]
    filings.save_institution(db.session, f.actor("ent_gz"), filing.id,
                             {"institution_id": "other", "other_institution_name": " 某某职业培训学校 "})
    assert filing.other_institution_name == "某某职业培训学校" and filing.institution_id is None
    filings.save_institution(db.session, f.actor("ent_gz"), filing.id, {"institution_id": "1"})
    assert filing.institution_id == 1 and filing.other_institution_name is None


# ---- R6 / R7 courses -------------------------------------------------------------------------------------------

def _filing_with_class_and_teacher(kind="NEW_APPRENTICE", programme="ENTERPRISE"):
    filing = new_filing("ent_gz", programme, kind)
    a = f.actor("ent_gz")
    cls = filings.save_child(db.session, a, "training_class", filing.id,
                             {**CLASS, "skill_level": "4" if kind == "NEW_APPRENTICE" else "5"})
    teacher = filings.save_child(db.session, a, "teacher", filing.id, {**TEACHER, "id_number": f.id_number()})
    return filing, cls, teacher


def test_r6_offline_course_needs_teacher(ctx):
    filing, cls, teacher = _filing_with_class_and_teacher()
    a = f.actor("ent_gz")
    course = {"training_class_id": cls.id, "name": "数控车削", "mode": "OFFLINE", "hours": "8"}
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, a, "course", filing.id, course)
    assert "线下培训时，授课教师必填" in errors_of(info)["teacher_id"]
    filings.save_child(db.session, a, "course", filing.id, {**course, "mode": "ONLINE"})
    filings.save_child(db.session, a, "course", filing.id, {**course, "teacher_id": str(teacher.id)})
    assert len(cls.courses) == 2


def test_r7_course_date_and_venue_refused_before_approval(ctx):
    filing, cls, teacher = _filing_with_class_and_teacher()
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "course", filing.id,
                           {"training_class_id": cls.id, "name": "x", "mode": "ONLINE", "hours": "2",
                            "date": "2027-03-05", "venue_id": "1"})
    assert "备案通过后" in errors_of(info)["date"] and "venue_id" in errors_of(info)


def test_course_teacher_must_belong_to_filing(ctx):
    filing, cls, _ = _filing_with_class_and_teacher()
    other, _, other_teacher = _filing_with_class_and_teacher()
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "course", filing.id,
                           {"training_class_id": cls.id, "name": "x", "mode": "OFFLINE", "hours": "2",
                            "teacher_id": str(other_teacher.id)})
    assert "本备案的培训师资" in errors_of(info)["teacher_id"]


def test_student_filing_has_no_courses(ctx):
    filing, cls, teacher = _filing_with_class_and_teacher("STUDENT", "ECOSYSTEM")
    with pytest.raises(ValidationFailed):
        filings.save_child(db.session, f.actor("ent_gz"), "course", filing.id,
                           {"training_class_id": cls.id, "name": "x", "mode": "ONLINE", "hours": "2"})


def test_teacher_in_use_cannot_be_deleted(ctx):
    filing, cls, teacher = _filing_with_class_and_teacher()
    a = f.actor("ent_gz")
    filings.save_child(db.session, a, "course", filing.id, {"training_class_id": cls.id, "name": "实训",
                                                           "mode": "OFFLINE", "hours": "8", "teacher_id": teacher.id})
    with pytest.raises(ValidationFailed):
        filings.delete_child(db.session, a, "teacher", teacher.id)
    filings.delete_child(db.session, a, "training_class", cls.id)  # its courses go with it
    filings.delete_child(db.session, a, "teacher", teacher.id)
    assert filing.teachers == [] and db.session.scalar(select(func.count()).select_from(Course)
                                                       .where(Course.name == "实训")) == 0


# ---- R8 validation -------------------------------------------------------------------------------------------

def test_r8_trainee_id_normalised_and_derived(ctx):
    filing = new_filing()
    number = f.id_number(birth="19990815", female=True)
    messy = "  " + number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + " "
    row = filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id, {**TRAINEE, "id_number": messy})
    assert row.id_number == number and row.gender == "F" and row.birth_date == date(1999, 8, 15)


def test_r8_lowercase_x_and_residence_permit_prefixes(ctx):
    from core.validators import complete_id_number

    filing = new_filing()
    a = f.actor("ent_gz")
    x_number = next(n for n in (complete_id_number(f"44010619900101{i:03d}") for i in range(200)) if n.endswith("X"))
    row = filings.save_child(db.session, a, "trainee", filing.id, {**TRAINEE, "id_number": x_number.lower()})
    assert row.id_number.endswith("X")
    for prefix in ("810000", "820000", "830000"):
        number = complete_id_number(f"{prefix}19950101{int(prefix[1]):03d}")
        assert filings.save_child(db.session, a, "trainee", filing.id, {**TRAINEE, "id_number": number}).id


@pytest.mark.parametrize("bad,fragment", [
    ("440106199503071234", "校验位"),
    ("440106199902290011", "不存在"),
    ("440106950307123", "15位"),
    ("", "请填写身份证号码"),
])
def test_r8_bad_id_numbers(ctx, bad, fragment):
    filing = new_filing()
    if bad == "440106199503071234":
        good = f.id_number()
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id, {**TRAINEE, "id_number": bad})
    assert fragment in errors_of(info)["id_number"]
    assert filing.trainees == []


def test_r8_phone_and_contact(ctx):
    filing = new_filing()
    with pytest.raises(ValidationFailed) as info:
        filings.save_filing_info(db.session, f.actor("ent_gz"), filing.id, {"contact_name": "", "contact_phone": "123"})
    assert set(errors_of(info)) == {"contact_name", "contact_phone"}
    filings.save_filing_info(db.session, f.actor("ent_gz"), filing.id,
                             {"contact_name": "王五", "contact_phone": "+86 138 0013 8000"})
    assert filing.contact_phone == "13800138000"


# ---- R9 one active filing per person ----------------------------------------------------------------------

def test_r9_duplicate_inside_filing(ctx):
    filing = new_filing()
    number = f.id_number()
    filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id, {**TRAINEE, "id_number": number})
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id, {**TRAINEE, "id_number": number})
    assert "不能重复添加" in errors_of(info)["id_number"]


def _filing_with_period(username="ent_gz"):
    filing = new_filing(username)
    filings.save_child(db.session, f.actor(username), "training_class", filing.id, CLASS)
    return filing


@pytest.mark.parametrize("other_status,blocked", [("SUBMITTED", True), ("APPROVED", True), ("DRAFT", False),
                                                  ("RETURNED", False)])
def test_r9_active_elsewhere_refused_without_revealing(ctx, other_status, blocked):
    number = f.id_number()
    f.complete_filing(sz().id, status=other_status, id_numbers=[number])
    filing = _filing_with_period()
    call = lambda: filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,  # noqa: E731
                                      {**TRAINEE, "id_number": number})
    if blocked:
        with pytest.raises(ValidationFailed) as info:
            call()
        message = errors_of(info)["id_number"]
        assert "其他在训的学徒制培训备案" in message and sz().name not in message and "深圳" not in message
    else:
        assert call().id_number == number


def test_r9_released_when_lost_cancelled_or_not_overlapping(ctx):
    lost, cancelled, earlier = f.id_number(), f.id_number(), f.id_number()
    other = f.complete_filing(sz().id, status="APPROVED", id_numbers=[lost])
    other.trainees[0].status = "LOST"
    other2 = f.complete_filing(sz().id, status="APPROVED", id_numbers=[cancelled])
    other2.classes[0].status = "CANCELLED"
    f.complete_filing(sz().id, status="APPROVED", id_numbers=[earlier], start=date(2024, 1, 1), end=date(2025, 1, 1))
    db.session.flush()
    filing = _filing_with_period()
    for number in (lost, cancelled, earlier):
        assert filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                                  {**TRAINEE, "id_number": number}).id


def test_r9_checked_again_at_submit(ctx):
    number = f.id_number()
    filing = f.complete_filing(gz().id, id_numbers=[number])
    f.complete_filing(sz().id, status="SUBMITTED", id_numbers=[number])
    with pytest.raises(ValidationFailed) as info:
        filings.submit(db.session, f.actor("ent_gz"), filing.id)
    assert any("其他在训" in str(e.message) for e in info.value.errors)
    assert filing.status == "DRAFT"


# ---- R10 labour contract --------------------------------------------------------------------------------------

def test_r10_labour_contract_at_least_one_year(ctx):
    filing = new_filing()
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                           {**TRAINEE, "id_number": f.id_number(), "contract_end": "2026-06-30"})
    assert "不少于1年" in errors_of(info)["contract_end"]
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                           {**TRAINEE, "id_number": f.id_number(), "contract_start": "", "contract_end": ""})
    assert {"contract_start", "contract_end"} <= set(errors_of(info))


def test_student_agreement_dates_optional(ctx):
    filing = new_filing("ent_gz", "ECOSYSTEM", "STUDENT")
    row = filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                             {"name": "学生甲", "id_number": f.id_number(birth="20050101"), "phone": "13700137000",
                              "education": "SECONDARY_VOCATIONAL"})
    assert row.contract_start is None


# ---- R11 materials and the checklist ------------------------------------------------------------------------

@pytest.mark.parametrize("name,content,ok", [
    ("计划.pdf", PDF_BYTES, True),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, True),
    ("scan.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20, True),
    ("fake.pdf", b"just text, not a pdf", False),
    ("notes.txt", b"%PDF-1.4 but a txt name", False),
    ("renamed.docx", PDF_BYTES, False),
    ("empty.pdf", b"", False),
])
def test_r11_upload_sniffing(ctx, name, content, ok):
    filing = new_filing()
    call = lambda: attachments.add_attachment(db.session, f.actor("ent_gz"), filing.id, "TRAINING_PLAN",  # noqa: E731
                                          name, content)
    if ok:
        row = call()
        assert row.size == len(content) and len(row.sha256) == 64
    else:
        with pytest.raises(ValidationFailed):
            call()
        assert filing.attachments == []


def test_r11_real_docx_and_size_limit(ctx, app):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    filing = new_filing()
    assert attachments.add_attachment(db.session, f.actor("ent_gz"), filing.id, "OTHER", "协议.docx",
                                  buffer.getvalue()).media_type.endswith("wordprocessingml.document")
    app.config["UPLOAD_MAX_BYTES"] = 100
    try:
        with pytest.raises(ValidationFailed) as info:
            attachments.add_attachment(db.session, f.actor("ent_gz"), filing.id, "OTHER", "big.pdf", PDF_BYTES * 10)
    finally:
        app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    assert "大小上限" in errors_of(info)["file"]


def test_checklist_lists_every_missing_item(ctx):
    filing = new_filing()
    result = checklist.checklist(db.session, f.actor("ent_gz"), filing.id)
    assert not result.ready
    bad = {i.code for i in result.items if not i.ok}
    assert bad == {"institution", "training_class", "teacher", "trainee", "course", "attachment"}
    assert result.missing_attachment_kinds == ["TRAINING_PLAN", "COOPERATION_AGREEMENT", "LABOUR_CONTRACT"]
    body = result.as_dict()
    assert set(body) >= {"ready", "items", "missing_attachment_kinds"}
    assert set(body["items"][0]) >= {"code", "label", "ok", "message"}


@pytest.mark.parametrize("programme,kind", [("ENTERPRISE", "NEW_APPRENTICE"), ("ENTERPRISE", "STUDENT"),
                                            ("ECOSYSTEM", "STUDENT"), ("ECOSYSTEM", "TECH_TRAINEE")])
def test_complete_filing_submits(ctx, programme, kind):
    filing = f.complete_filing(gz().id, programme, kind)
    assert checklist.checklist(db.session, f.actor("ent_gz"), filing.id).ready
    filings.submit(db.session, f.actor("ent_gz"), filing.id)
    assert filing.status == "SUBMITTED" and filing.submitted_at is not None


def test_submit_rechecks_recognition(ctx):
    filing = f.complete_filing(gz().id, "ECOSYSTEM", "STUDENT")
    for rec in db.session.scalars(select(EcosystemRecognition)):
        rec.valid_to = date(2020, 1, 1)
        rec.valid_from = date(2019, 1, 1)
    with pytest.raises(ValidationFailed) as info:
        filings.submit(db.session, f.actor("ent_gz"), filing.id)
    assert "产业技能生态链企业认定" in str(info.value.errors[0].message)


def test_submit_refuses_over_planned_headcount(ctx):
    filing = f.complete_filing(gz().id, trainees=3)
    filing.classes[0].planned_headcount = 2
    result = checklist.checklist(db.session, f.actor("ent_gz"), filing.id)
    assert [i.code for i in result.items if not i.ok] == ["trainee"]


# ---- states × roles × scope --------------------------------------------------------------------------------------

EDIT_CALLS = {
    "info": lambda a, fl: filings.save_filing_info(db.session, a, fl.id, {"contact_name": "甲",
                                                                          "contact_phone": "13800138000"}),
    "class": lambda a, fl: filings.save_child(db.session, a, "training_class", fl.id, CLASS),
    "teacher": lambda a, fl: filings.save_child(db.session, a, "teacher", fl.id, {**TEACHER,
                                                                                 "id_number": f.id_number()}),
    "attachment": lambda a, fl: attachments.add_attachment(db.session, a, fl.id, "OTHER", "a.pdf", PDF_BYTES),
    "delete_trainee": lambda a, fl: filings.delete_child(db.session, a, "trainee", fl.trainees[0].id),
}


@pytest.mark.parametrize("status,editable", [("DRAFT", True), ("RETURNED", True), ("SUBMITTED", False),
                                             ("APPROVED", False), ("CANCELLED", False)])
@pytest.mark.parametrize("call", list(EDIT_CALLS))
def test_tabs_editable_only_in_draft_or_returned(ctx, status, editable, call):
    filing = f.complete_filing(gz().id, status=status)
    if editable:
        EDIT_CALLS[call](f.actor("ent_gz"), filing)
    else:
        with pytest.raises(TransitionNotAllowed):
            EDIT_CALLS[call](f.actor("ent_gz"), filing)


@pytest.mark.parametrize("username,error", [("ent_sz", NotFound), ("sz_reviewer", NotFound),
                                            ("gz_reviewer", (NotFound, Forbidden)), ("admin", Forbidden)])
@pytest.mark.parametrize("call", list(EDIT_CALLS))
def test_other_users_cannot_edit(ctx, username, error, call):
    filing = f.complete_filing(gz().id)
    before = (len(filing.classes), len(filing.teachers), len(filing.trainees), len(filing.attachments))
    with pytest.raises(error):
        EDIT_CALLS[call](f.actor(username), filing)
    assert before == (len(filing.classes), len(filing.teachers), len(filing.trainees), len(filing.attachments))


def test_child_row_of_other_filing_is_not_found(ctx):
    mine = f.complete_filing(gz().id)
    theirs = f.complete_filing(sz().id)
    with pytest.raises(NotFound):
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", mine.id,
                           {**TRAINEE, "id_number": f.id_number()}, pk=theirs.trainees[0].id)
    with pytest.raises(NotFound):
        filings.delete_child(db.session, f.actor("ent_gz"), "trainee", theirs.trainees[0].id)
    with pytest.raises(NotFound):
        attachments.delete_attachment(db.session, f.actor("ent_gz"), theirs.attachments[0].id)


@pytest.mark.parametrize("status", ["DRAFT", "RETURNED", "SUBMITTED", "APPROVED", "CANCELLED"])
def test_enterprise_transitions_by_state(ctx, status):
    a = f.actor("ent_gz")
    for fn, target, allowed in [(filings.withdraw, "DRAFT", status == "SUBMITTED"),
                                (filings.submit, "SUBMITTED", status in ("DRAFT", "RETURNED"))]:
        filing = f.complete_filing(gz().id, status=status)
        if allowed:
            assert fn(db.session, a, filing.id).status == target
        else:
            with pytest.raises(TransitionNotAllowed):
                fn(db.session, a, filing.id)
            assert filing.status == status
    filing = f.complete_filing(gz().id, status=status)
    if status in ("DRAFT", "RETURNED"):
        filings.delete_filing(db.session, a, filing.id)
        assert db.session.get(Filing, filing.id) is None
        assert db.session.scalar(select(func.count()).select_from(Trainee).where(Trainee.filing_id == filing.id)) == 0
    else:
        with pytest.raises(TransitionNotAllowed):
            filings.delete_filing(db.session, a, filing.id)


def test_transitions_write_audit(ctx):
    from models.audit import AuditEvent

    a = f.actor("ent_gz")
    filing = f.complete_filing(gz().id)
    filings.submit(db.session, a, filing.id)
    filings.withdraw(db.session, a, filing.id)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "filing",
                                                         AuditEvent.entity_id == filing.id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("submit", "DRAFT", "SUBMITTED"), ("withdraw", "SUBMITTED", "DRAFT")]
    assert {e.enterprise_id for e in events} == {gz().id} and {e.city_code for e in events} == {"4401"}
