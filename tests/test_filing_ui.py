"""备案申请 screens and 办理结果 (issue 3, enterprise side of issue 5), through the Flask test client with CSRF on.

Matrices: every tab × state (editable while DRAFT/RETURNED, read-only otherwise), reviewer read-only, scope
(ent_sz gets 404 on every URL of ent_gz's filings), each rule's error shown under its field with nothing stored,
the results list's filters and pagination, and the row actions shown only when allowed and refused otherwise.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import today
from models.base import db
from models.enums import TraineeStatus
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from models.security import AppUser
from tests import factories
from tests.conftest import csrf_token_from, login

TABS = ["info", "institution", "classes", "teachers", "trainees", "courses", "attachments"]
ROW_TABS = {"classes": TrainingClass, "teachers": Teacher, "trainees": Trainee, "courses": Course}
FIELD_ERROR = r'<span class="help-block field-error" data-field="{}">([^<]*)</span>'


# ---- helpers ------------------------------------------------------------------------------------------------

def demo_filings(app, username: str) -> dict[str, int]:
    """Status → id of the four demo filings of a demo enterprise."""
    with app.app_context():
        ent = factories.demo_enterprise(username)
        rows = db.session.scalars(select(Filing).filter_by(enterprise_id=ent.id)).all()
        return {f.status: f.id for f in rows}


def token(client) -> str:
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def body(html: str) -> str:
    """The page's own content (the navbar and footer are FAB's)."""
    assert 'id="filing-page"' in html, html[:500]
    return html.split('id="filing-page"', 1)[1].split("<footer", 1)[0]


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(FIELD_ERROR.format(field), html)


def count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def filing_row(app, filing_id):
    with app.app_context():
        row = db.session.get(Filing, filing_id)
        return None if row is None else {"status": row.status, "contact_phone": row.contact_phone,
                                         "institution_id": row.institution_id,
                                         "other": row.other_institution_name}


def first_child(app, filing_id, tab):
    with app.app_context():
        if tab == "courses":
            return db.session.scalars(select(Course.id).join(TrainingClass)
                                      .where(TrainingClass.filing_id == filing_id)).first()
        return db.session.scalars(select(ROW_TABS[tab].id).filter_by(filing_id=filing_id)).first()


@pytest.fixture
def gz(app):
    return demo_filings(app, "ent_gz")


@pytest.fixture
def sz(app):
    return demo_filings(app, "ent_sz")


# ---- menus and 申请备案 (R1, R2, R3) ---------------------------------------------------------------------------

def test_enterprise_menus_and_no_menus_for_others(client):
    login(client, "ent_gz")
    html = client.get("/").get_data(as_text=True)
    for text in ("产教评技能生态链企业新型学徒制培训", "企业新型学徒制培训", "备案申请", "办理结果",
                 "/filing/apply/ECOSYSTEM", "/filing/results/ENTERPRISE"):
        assert text in html
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "gz_reviewer")
    navbar = client.get("/").get_data(as_text=True).split('<div class="container">')[0]
    assert "/filing/apply/" not in navbar and "/filing/results/" not in navbar


@pytest.mark.parametrize("programme,shown,hidden", [
    ("ECOSYSTEM", ["STUDENT", "TECH_TRAINEE"], ["NEW_APPRENTICE"]),
    ("ENTERPRISE", ["NEW_APPRENTICE", "STUDENT"], ["TECH_TRAINEE"]),
])
def test_apply_page_shows_commitment_and_only_the_programmes_types(client, programme, shown, hidden):
    login(client, "ent_gz")
    html = client.get(f"/filing/apply/{programme}").get_data(as_text=True)
    for text in ("学徒制培训备案承诺书", "本单位已阅读并承诺遵守上述内容", "真实、准确、完整", "专款专用",
                 "监督检查", "法律责任", "广州示范智能制造有限公司"):
        assert text in html
    for code in shown:
        assert f'value="{code}"' in html
    for code in hidden:
        assert f'value="{code}"' not in html


def test_apply_page_unknown_programme_is_404(client):
    login(client, "ent_gz")
    assert client.get("/filing/apply/NOPE").status_code == 404


@pytest.mark.parametrize("username", ["gz_reviewer", "admin"])
def test_only_enterprises_may_apply(client, username):
    login(client, username)
    assert client.get("/filing/apply/ENTERPRISE").status_code == 403


def test_apply_without_commitment_is_refused_and_nothing_created(app, client):
    login(client, "ent_gz")
    with app.app_context():
        before = count(Filing)
    response = client.post("/filing/apply/ENTERPRISE",
                           data={"apprenticeship_type": "NEW_APPRENTICE", "csrf_token": token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "commitment_accepted") == ["请先阅读并确认承诺书"]
    assert 'value="NEW_APPRENTICE" checked' in html  # the user's choice stays
    with app.app_context():
        assert count(Filing) == before


def test_apply_type_not_offered_by_programme_is_refused(app, client):  # R2
    login(client, "ent_gz")
    with app.app_context():
        before = count(Filing)
    response = client.post("/filing/apply/ECOSYSTEM", data={
        "commitment_accepted": "1", "apprenticeship_type": "NEW_APPRENTICE", "csrf_token": token(client)})
    assert field_errors(response.get_data(as_text=True), "apprenticeship_type") == ["该培训项目不提供所选的学徒制培训类型"]
    with app.app_context():
        assert count(Filing) == before


@pytest.mark.parametrize("programme,kind", [("ECOSYSTEM", "STUDENT"), ("ECOSYSTEM", "TECH_TRAINEE"),
                                            ("ENTERPRISE", "STUDENT")])
def test_apply_without_recognition_shows_the_exact_r3_message(app, client, programme, kind):
    login(client, "ent_sz")
    with app.app_context():
        before = count(Filing)
    response = client.post(f"/filing/apply/{programme}", data={
        "commitment_accepted": "1", "apprenticeship_type": kind, "csrf_token": token(client)})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "apprenticeship_type") == [
        "该机构没有当前有效的产业技能生态链企业认定记录，请联系当地人社部门维护"]
    with app.app_context():
        assert count(Filing) == before


def test_apply_creates_draft_and_records_who_confirmed(app, client):
    login(client, "ent_sz")
    response = client.post("/filing/apply/ENTERPRISE", data={
        "commitment_accepted": "1", "apprenticeship_type": "NEW_APPRENTICE", "csrf_token": token(client)})
    assert response.status_code == 302
    match = re.search(r"/filing/(\d+)/info$", response.headers["Location"])
    assert match
    with app.app_context():
        filing = db.session.get(Filing, int(match.group(1)))
        user = db.session.scalars(select(AppUser).filter_by(username="ent_sz")).one()
        assert filing.status == "DRAFT" and filing.programme == "ENTERPRISE"
        assert filing.apprenticeship_type == "NEW_APPRENTICE" and filing.commitment_accepted
        assert filing.commitment_accepted_by_id == user.id and filing.commitment_accepted_at is not None
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已确认（深圳示范经办人（ent_sz）" in html and "深圳示范电子科技有限公司" in html


def test_apply_requires_csrf_token(app, client):
    login(client, "ent_gz")
    with app.app_context():
        before = count(Filing)
    response = client.post("/filing/apply/ENTERPRISE",
                           data={"commitment_accepted": "1", "apprenticeship_type": "NEW_APPRENTICE"})
    assert response.status_code == 400
    with app.app_context():
        assert count(Filing) == before


# ---- every tab × state -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["DRAFT", "RETURNED"])
@pytest.mark.parametrize("tab", TABS)
def test_tabs_are_editable_while_draft_or_returned(client, gz, status, tab):
    login(client, "ent_gz")
    response = client.get(f"/filing/{gz[status]}/{tab}")
    assert response.status_code == 200
    html = body(response.get_data(as_text=True))
    assert 'data-editable="yes"' in html
    action = "/attachments/upload" if tab == "attachments" else f"/{tab}/save"
    if tab in ROW_TABS:
        # rows exist: the list has 修改/删除 and the 新增 button opens the form
        assert "修改" in html and f"/filing/{gz[status]}/{tab}/" in html and "/delete" in html
        html = body(client.get(f"/filing/{gz[status]}/{tab}?new=1").get_data(as_text=True))
    assert f'action="/filing/{gz[status]}{action}"' in html
    assert "保存" in html or "上传" in html


@pytest.mark.parametrize("status", ["SUBMITTED", "APPROVED"])
@pytest.mark.parametrize("tab", TABS)
def test_tabs_are_read_only_once_submitted(client, gz, status, tab):
    login(client, "ent_gz")
    fid = gz[status]
    html = body(client.get(f"/filing/{fid}/{tab}?new=1").get_data(as_text=True))
    assert 'data-editable="no"' in html and "内容只读" in html
    assert "/save" not in html and "/upload" not in html and "?edit=" not in html
    assert f"/filing/{fid}/{tab}/" not in html  # no row delete forms
    if tab in ROW_TABS:
        assert 'id="rows-table"' in html


@pytest.mark.parametrize("tab", TABS + ["submit"])
def test_reviewer_of_the_city_reads_a_submitted_filing_without_any_form(client, gz, tab):
    login(client, "gz_reviewer")
    response = client.get(f"/filing/{gz['SUBMITTED']}/{tab}?new=1&edit=1&lost=1")
    assert response.status_code == 200
    html = body(response.get_data(as_text=True))
    # read-only: no form that writes (the child lists' search box is a GET form, issue 12)
    assert 'method="post"' not in html.lower() and "<select" not in html and "<textarea" not in html
    inputs = re.findall(r"<input[^>]*>", html)
    assert all('type="search"' in i or 'type="hidden"' in i for i in inputs), inputs
    assert "撤回" not in html and "删除" not in html and "标记为流失" not in html


def test_reviewer_sees_the_rows_read_only(client, gz):
    login(client, "gz_reviewer")
    html = body(client.get(f"/filing/{gz['SUBMITTED']}/trainees").get_data(as_text=True))
    assert "在训" in html and "440305" in html
    html = body(client.get(f"/filing/{gz['RETURNED']}/info").get_data(as_text=True))
    assert "审核意见" in html


@pytest.mark.parametrize("username,status,code", [
    ("sz_reviewer", "SUBMITTED", 404),  # another city
    ("gz_reviewer", "DRAFT", 404),      # drafts belong to the enterprise alone
    ("gz_reviewer", "APPROVED", 200),
    ("admin", "APPROVED", 200),
])
def test_reviewer_scope(client, gz, username, status, code):
    login(client, username)
    assert client.get(f"/filing/{gz[status]}/info").status_code == code


def test_reviewer_cannot_write(app, client, gz):
    login(client, "gz_reviewer")
    response = client.post(f"/filing/{gz['SUBMITTED']}/info/save",
                           data={"contact_name": "改", "contact_phone": "13900000000", "csrf_token": token(client)})
    assert response.status_code == 403
    assert client.post(f"/filing/{gz['SUBMITTED']}/do/withdraw", data={"csrf_token": token(client)}).status_code == 403
    assert filing_row(app, gz["SUBMITTED"])["status"] == "SUBMITTED"


def test_unknown_tab_and_courses_of_student_filing_are_404(app, client, gz):
    login(client, "ent_gz")
    assert client.get(f"/filing/{gz['DRAFT']}/nope").status_code == 404
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        student = factories.complete_filing(ent.id, "ECOSYSTEM", "STUDENT").id
        db.session.commit()
    html = client.get(f"/filing/{student}/info").get_data(as_text=True)
    assert "培训课程信息" not in html
    assert client.get(f"/filing/{student}/courses").status_code == 404


# ---- scope: ent_sz and ent_gz's filings ------------------------------------------------------------------------

def test_other_enterprise_gets_404_on_every_url(app, client, gz, sz):
    login(client, "ent_sz")
    csrf = token(client)
    with app.app_context():
        attachment_id = db.session.scalars(select(Attachment.id).filter_by(filing_id=gz["SUBMITTED"])).first()
        trainee_id = db.session.scalars(select(Trainee.id).filter_by(filing_id=gz["APPROVED"])).first()
    before = {status: filing_row(app, fid) for status, fid in gz.items()}
    for status, fid in gz.items():
        for tab in TABS + ["submit"]:
            assert client.get(f"/filing/{fid}/{tab}").status_code == 404, (status, tab)
        for tab in ("info", "institution", *ROW_TABS):
            assert client.post(f"/filing/{fid}/{tab}/save", data={"csrf_token": csrf}).status_code == 404
        for tab in ROW_TABS:
            pk = first_child(app, fid, tab)
            assert client.post(f"/filing/{fid}/{tab}/{pk}/delete", data={"csrf_token": csrf}).status_code == 404
            # the other enterprise's row under ent_sz's own filing id: still 404
            assert client.post(f"/filing/{sz['DRAFT']}/{tab}/{pk}/delete",
                               data={"csrf_token": csrf}).status_code == 404
            assert client.post(f"/filing/{sz['DRAFT']}/{tab}/save",
                               data={"csrf_token": csrf, "pk": pk, "name": "x"}).status_code == 404
            assert client.get(f"/filing/{sz['DRAFT']}/{tab}?edit={pk}").status_code == 404
        for action in ("submit", "withdraw", "delete"):
            assert client.post(f"/filing/{fid}/do/{action}", data={"csrf_token": csrf}).status_code == 404
        assert client.post(f"/filing/{fid}/attachments/upload",
                           data={"csrf_token": csrf, "kind": "OTHER"}).status_code == 404
    assert client.get(f"/filing/attachment/{attachment_id}").status_code == 404
    assert client.post(f"/filing/{gz['SUBMITTED']}/attachments/{attachment_id}/delete",
                       data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/filing/{gz['APPROVED']}/trainees/{trainee_id}/lost",
                       data={"csrf_token": csrf, "lost_reason": "x"}).status_code == 404
    assert client.post(f"/filing/{sz['APPROVED']}/trainees/{trainee_id}/lost",
                       data={"csrf_token": csrf, "lost_reason": "x"}).status_code == 404
    after = {status: filing_row(app, fid) for status, fid in gz.items()}
    assert before == after
    html = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    assert "XT4401" not in html and "XT4403" in html


# ---- 备案信息 / 培训机构情况 ------------------------------------------------------------------------------------------

def test_info_tab_shows_registry_data_read_only_and_saves_contact(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    html = body(client.get(f"/filing/{fid}/info").get_data(as_text=True))
    for text in ("广州示范智能制造有限公司", "广州市黄埔区科学大道1号", "统一社会信用代码", "张三", "提交审核"):
        assert text in html
    assert 'name="uscc"' not in html and 'name="name"' not in html  # registry data is not a form field
    response = client.post(f"/filing/{fid}/info/save", data={
        "contact_name": "赵经办", "contact_phone": "020 8765 4321", "csrf_token": token(client)})
    assert response.status_code == 302
    assert filing_row(app, fid)["contact_phone"] == "020-87654321"


def test_info_tab_errors_keep_the_input_and_store_nothing(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    before = filing_row(app, fid)
    response = client.post(f"/filing/{fid}/info/save", data={
        "contact_name": "", "contact_phone": "12345", "csrf_token": token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "contact_name") == ["请填写联系人"]
    assert "联系电话格式不正确" in field_errors(html, "contact_phone")[0]
    assert 'value="12345"' in html and "保存失败" in html
    assert filing_row(app, fid) == before


def test_institution_other_requires_its_name(app, client, gz):  # R5
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    before = filing_row(app, fid)
    response = client.post(f"/filing/{fid}/institution/save", data={
        "institution_id": "other", "other_institution_name": "", "csrf_token": token(client)})
    assert field_errors(response.get_data(as_text=True), "other_institution_name") == [
        "合作培训机构选择“其他培训机构”时，其他培训机构名称必填"]
    assert filing_row(app, fid) == before
    response = client.post(f"/filing/{fid}/institution/save", data={
        "institution_id": "", "other_institution_name": "", "csrf_token": token(client)})
    assert field_errors(response.get_data(as_text=True), "institution_id") == ["请选择合作培训机构"]
    client.post(f"/filing/{fid}/institution/save", data={
        "institution_id": "other", "other_institution_name": "黄埔职业培训学校", "csrf_token": token(client)})
    row = filing_row(app, fid)
    assert row["institution_id"] is None and row["other"] == "黄埔职业培训学校"
    html = client.get(f"/filing/{fid}/institution").get_data(as_text=True)
    assert '<option value="other" selected>' in html and 'value="黄埔职业培训学校"' in html


# ---- row tabs: rules R4, R6, R7, R8, R9, R10 ------------------------------------------------------------------------

def _post_row(client, fid, tab, **data):
    return client.post(f"/filing/{fid}/{tab}/save", data={"csrf_token": token(client), **data})


CLASS_OK = {"occupation_code": "6-18-01-01", "skill_level": "4", "start_date": "2027-09-01",
            "end_date": "2028-08-31", "hours": "300", "planned_headcount": "5"}


@pytest.mark.parametrize("change,field,message", [
    ({"skill_level": "5"}, "skill_level", "企业新型学徒制的培训等级应为四级/中级工及以上"),
    ({"end_date": "2028-03-01"}, "end_date", "企业新型学徒制培训期限不能少于1年"),
    ({"end_date": "2030-09-30"}, "end_date", "企业新型学徒制培训期限最长不超过3年"),
    ({"end_date": "2029-12-31"}, "extension_reason", "培训期限超过2年时，请填写延长培训期限原因"),
    ({"end_date": "2027-08-01"}, "end_date", "培训结束日期不能早于培训开始日期"),
    ({"occupation_code": ""}, "occupation_code", "请选择职业（工种）"),  # a select (issue 12)
    ({"skill_level": ""}, "skill_level", "请选择培训等级"),
    ({"hours": "abc"}, "hours", "培训课时应为整数"),
    ({"start_date": "2027-02-30"}, "start_date", "培训开始日期有误：日期 2027-02-30 不存在，请核对"),
])
def test_class_rules_show_under_their_field_and_store_nothing(app, client, gz, change, field, message):  # R10
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    with app.app_context():
        before = count(TrainingClass, filing_id=fid)
    data = {**CLASS_OK, **change}
    response = _post_row(client, fid, "classes", **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_errors(html, field)
    for key, value in data.items():
        if value and key not in ("occupation_code", "skill_level"):
            assert f'value="{value}"' in html  # the user's input stays in the form
    with app.app_context():
        assert count(TrainingClass, filing_id=fid) == before


def test_class_saved_and_extension_with_reason(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    response = _post_row(client, fid, "classes", **{**CLASS_OK, "end_date": "2029-12-31",
                                                   "extension_reason": "岗位技能复杂，需延长实训期"})
    assert response.status_code == 302
    with app.app_context():
        assert count(TrainingClass, filing_id=fid) == 2


def test_student_filing_allows_exactly_one_class(app, client):  # R4
    login(client, "ent_gz")
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        fid = factories.complete_filing(ent.id, "ECOSYSTEM", "STUDENT").id
        db.session.commit()
    html = body(client.get(f"/filing/{fid}/classes").get_data(as_text=True))
    assert "新增培训信息" not in html.split('id="rows-table"')[0].replace("学生学徒制一次备案只允许新增一条培训信息", "")
    assert "学生学徒制一次备案只允许新增一条培训信息" in html
    response = _post_row(client, fid, "classes", **{**CLASS_OK, "skill_level": "5"})
    assert field_errors(response.get_data(as_text=True), "occupation_code") == ["学生学徒制一次备案只允许新增一条培训信息"]
    with app.app_context():
        assert count(TrainingClass, filing_id=fid) == 1
        pk = db.session.scalars(select(TrainingClass.id).filter_by(filing_id=fid)).one()
    # the one class can still be edited
    response = _post_row(client, fid, "classes", pk=str(pk), **{**CLASS_OK, "skill_level": "5", "hours": "321"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(TrainingClass, pk).hours == 321


TEACHER_OK = {"name": "钱师傅", "id_number": "", "phone": "13911112222", "kind": "ENTERPRISE", "title": "技师",
              "certificate_no": "ZS001"}


def test_teacher_validation_and_save(app, client, gz):  # R8
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    with app.app_context():
        before = count(Teacher, filing_id=fid)
    response = _post_row(client, fid, "teachers", **{**TEACHER_OK, "id_number": "44010619800101123",
                                                     "phone": "123", "kind": ""})
    html = response.get_data(as_text=True)
    assert "身份证号码应为18位" in field_errors(html, "id_number")[0]
    assert field_errors(html, "kind") == ["请选择导师类型"]
    assert "联系电话格式不正确" in field_errors(html, "phone")[0]
    assert 'value="钱师傅"' in html
    with app.app_context():
        assert count(Teacher, filing_id=fid) == before
    number = factories.id_number(region="810000", birth="19800101")  # HK residence permit: accepted (R8)
    assert _post_row(client, fid, "teachers", **{**TEACHER_OK, "id_number": number}).status_code == 302
    with app.app_context():
        assert count(Teacher, filing_id=fid) == before + 1


TRAINEE_OK = {"name": "新学员", "phone": "13722223333", "education": "JUNIOR_COLLEGE", "contract_start": "2026-09-01",
              "contract_end": "2029-08-31", "hire_date": "2026-09-01"}


@pytest.mark.parametrize("change,field,message", [
    ({"id_number": "440106199503070000"}, "id_number", "身份证号码校验位错误，请核对"),
    ({"id_number": "44010619950230001X"}, "id_number", "身份证号码中的出生日期 1995-02-30 不存在，请核对"),
    ({"contract_end": "2027-03-01"}, "contract_end", "企业新型学徒制培训人员的劳动合同期限应不少于1年"),
    ({"contract_start": ""}, "contract_start", "请填写劳动合同开始日期"),
    ({"education": "PHD"}, "education", "文化程度的值“PHD”不在可选范围内"),
    ({"phone": "010-123"}, "phone", "联系电话格式不正确，应为11位手机号码或带区号的固定电话（如 020-12345678）"),
])
def test_trainee_rules_show_under_their_field_and_store_nothing(app, client, gz, change, field, message):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    with app.app_context():
        before = count(Trainee, filing_id=fid)
    data = {**TRAINEE_OK, "id_number": factories.id_number(region="440111"), **change}
    response = _post_row(client, fid, "trainees", **data)
    assert response.status_code == 422
    assert message in field_errors(response.get_data(as_text=True), field)
    with app.app_context():
        assert count(Trainee, filing_id=fid) == before


def test_trainee_duplicate_in_filing_and_r9_across_filings(app, client, gz, sz):  # R9
    login(client, "ent_sz")
    with app.app_context():
        own = db.session.scalars(select(Trainee.id_number).filter_by(filing_id=sz["DRAFT"])).first()
        # a person active in ent_gz's SUBMITTED filing (2027-03 … 2028-02) overlaps ent_sz's draft (2027)
        other = db.session.scalars(select(Trainee.id_number).filter_by(filing_id=gz["SUBMITTED"])).first()
        before = count(Trainee, filing_id=sz["DRAFT"])
    html = _post_row(client, sz["DRAFT"], "trainees", **{**TRAINEE_OK, "id_number": own}).get_data(as_text=True)
    assert field_errors(html, "id_number") == ["该人员已在本备案中，不能重复添加"]
    html = _post_row(client, sz["DRAFT"], "trainees", **{**TRAINEE_OK, "id_number": other}).get_data(as_text=True)
    assert field_errors(html, "id_number") == [
        "该人员已在其他在训的学徒制培训备案中（培训期间重叠），同一人同一时间只能参加一个备案"]
    assert "广州示范" not in body(html)  # the other filing is never named
    with app.app_context():
        assert count(Trainee, filing_id=sz["DRAFT"]) == before


def test_trainee_saved_with_gender_and_birth_date_shown(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    number = factories.id_number(region="440111", birth="19990521", female=True)
    assert _post_row(client, fid, "trainees", **{**TRAINEE_OK, "id_number": number.lower()}).status_code == 302
    html = body(client.get(f"/filing/{fid}/trainees").get_data(as_text=True))
    row = html.split(f'data-trainee="{number}"')[1].split("</tr>")[0]
    assert "女" in row and "1999-05-21" in row and "在训" in row


def test_student_trainee_needs_no_labour_contract(app, client):
    login(client, "ent_gz")
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        fid = factories.complete_filing(ent.id, "ECOSYSTEM", "STUDENT").id
        db.session.commit()
    html = client.get(f"/filing/{fid}/trainees?new=1").get_data(as_text=True)
    assert "学徒培训协议开始日期" in html and "劳动合同开始日期" not in html
    response = _post_row(client, fid, "trainees", name="在校生", id_number=factories.id_number(region="440112"),
                         phone="13733334444", education="SECONDARY_VOCATIONAL")
    assert response.status_code == 302


def test_course_rules(app, client, gz):  # R6, R7
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    with app.app_context():
        class_id = db.session.scalars(select(TrainingClass.id).filter_by(filing_id=fid)).first()
        teacher_id = db.session.scalars(select(Teacher.id).filter_by(filing_id=fid)).first()
        other_teacher = db.session.scalars(select(Teacher.id).filter_by(filing_id=gz["SUBMITTED"])).first()
        before = db.session.scalar(select(func.count()).select_from(Course)
                                   .where(Course.training_class_id == class_id))
    html = client.get(f"/filing/{fid}/courses?new=1").get_data(as_text=True)
    assert 'name="date"' not in html and 'name="venue_id"' not in html  # R7: configured after approval
    assert "备案变更申请" in html
    response = _post_row(client, fid, "courses", training_class_id=str(class_id), name="钳工基础", mode="OFFLINE",
                         hours="16", teacher_id="")
    assert field_errors(response.get_data(as_text=True), "teacher_id") == ["授课方式为线下培训时，授课教师必填"]
    response = _post_row(client, fid, "courses", training_class_id=str(class_id), name="钳工基础", mode="OFFLINE",
                         hours="16", teacher_id=str(other_teacher))
    assert field_errors(response.get_data(as_text=True), "teacher_id") == ["授课教师须为本备案的培训师资"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)
                                 .where(Course.training_class_id == class_id)) == before
    # 线上 needs no teacher; a date typed into the request is not taken (R7)
    response = _post_row(client, fid, "courses", training_class_id=str(class_id), name="安全教育（线上）",
                         mode="ONLINE", hours="4", teacher_id="", date="2027-03-05")
    assert response.status_code == 302
    response = _post_row(client, fid, "courses", training_class_id=str(class_id), name="钳工基础", mode="OFFLINE",
                         hours="16", teacher_id=str(teacher_id))
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Course).where(Course.training_class_id == class_id)).all()
        assert len(rows) == before + 2 and all(r.start_date is None and r.venue_id is None for r in rows)


def test_row_edit_and_delete_while_draft(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    with app.app_context():
        trainee = db.session.scalars(select(Trainee).filter_by(filing_id=fid)).first()
        pk, number = trainee.id, trainee.id_number
    html = client.get(f"/filing/{fid}/trainees?edit={pk}").get_data(as_text=True)
    assert f'name="pk" value="{pk}"' in html and f'value="{number}"' in html and "修改培训人员" in html
    response = _post_row(client, fid, "trainees", pk=str(pk), **{**TRAINEE_OK, "name": "改名学员",
                                                                 "id_number": number})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Trainee, pk).name == "改名学员"
    assert client.post(f"/filing/{fid}/trainees/{pk}/delete", data={"csrf_token": token(client)}).status_code == 302
    with app.app_context():
        assert db.session.get(Trainee, pk) is None


def test_teacher_of_a_course_cannot_be_deleted(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    pk = first_child(app, fid, "teachers")
    response = client.post(f"/filing/{fid}/teachers/{pk}/delete", data={"csrf_token": token(client)},
                           follow_redirects=True)
    assert "仍是课程" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Teacher, pk) is not None


@pytest.mark.parametrize("status", ["SUBMITTED", "APPROVED"])
@pytest.mark.parametrize("tab", list(ROW_TABS))
def test_rows_of_a_submitted_filing_cannot_change(app, client, gz, status, tab):
    login(client, "ent_gz")
    fid = gz[status]
    pk = first_child(app, fid, tab)
    model = ROW_TABS[tab]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(model))
    response = client.post(f"/filing/{fid}/{tab}/{pk}/delete", data={"csrf_token": token(client)},
                           follow_redirects=True)
    assert "当前不能修改" in response.get_data(as_text=True)
    response = client.post(f"/filing/{fid}/{tab}/save", data={"csrf_token": token(client), "pk": pk, "name": "x"},
                           follow_redirects=True)
    assert "当前不能修改" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(model)) == before
        assert db.session.get(model, pk) is not None


# ---- 上传材料 (R11) and preview / download ----------------------------------------------------------------------------

def _upload(client, fid, kind, name, content):
    import io

    return client.post(f"/filing/{fid}/attachments/upload", data={
        "csrf_token": token(client), "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_upload_checks_content_and_kind(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    response = _upload(client, fid, "TRAINING_PLAN", "计划.pdf", b"not a pdf at all")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不是有效的 PDF" in field_errors(html, "file")[0]
    assert '<option value="TRAINING_PLAN" selected>' in html
    response = _upload(client, fid, "", "计划.pdf", factories.PDF_BYTES)
    assert field_errors(response.get_data(as_text=True), "kind") == ["请选择材料类型"]
    with app.app_context():
        assert count(Attachment, filing_id=fid) == 0
    assert _upload(client, fid, "TRAINING_PLAN", "培训计划.pdf", factories.PDF_BYTES).status_code == 302
    html = body(client.get(f"/filing/{fid}/attachments").get_data(as_text=True))
    assert "培训计划.pdf" in html and "校企合作协议（未上传）" in html and "劳动合同（未上传）" in html


def test_attachment_preview_download_and_delete(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    _upload(client, fid, "TRAINING_PLAN", "培训 计划.pdf", factories.PDF_BYTES)
    _upload(client, fid, "OTHER", "名单.docx", _docx_bytes())
    with app.app_context():
        pdf_id, docx_id = db.session.scalars(select(Attachment.id).filter_by(filing_id=fid)
                                             .order_by(Attachment.id)).all()
    response = client.get(f"/filing/attachment/{pdf_id}")
    assert response.status_code == 200 and response.data == factories.PDF_BYTES
    assert response.headers["Content-Type"].startswith("application/pdf")
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "filename*=UTF-8''%E5%9F%B9%E8%AE%AD%20%E8%AE%A1%E5%88%92.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/filing/attachment/{pdf_id}?download=1").headers["Content-Disposition"].startswith(
        "attachment")
    assert client.get(f"/filing/attachment/{docx_id}").headers["Content-Disposition"].startswith("attachment")
    assert client.post(f"/filing/{fid}/attachments/{pdf_id}/delete",
                       data={"csrf_token": token(client)}).status_code == 302
    with app.app_context():
        assert db.session.get(Attachment, pdf_id) is None
    assert client.get(f"/filing/attachment/{pdf_id}").status_code == 404


def test_attachments_of_a_submitted_filing_are_read_only_but_viewable(app, client, gz):
    with app.app_context():
        attachment_id = db.session.scalars(select(Attachment.id).filter_by(filing_id=gz["SUBMITTED"])).first()
    login(client, "ent_gz")
    response = client.post(f"/filing/{gz['SUBMITTED']}/attachments/{attachment_id}/delete",
                           data={"csrf_token": token(client)}, follow_redirects=True)
    assert "当前不能修改" in response.get_data(as_text=True)
    response = _upload(client, gz["SUBMITTED"], "OTHER", "x.pdf", factories.PDF_BYTES)
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is not None
        assert count(Attachment, filing_id=gz["SUBMITTED"], kind="OTHER") == 0
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "gz_reviewer")
    assert client.get(f"/filing/attachment/{attachment_id}").status_code == 200
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "sz_reviewer")
    assert client.get(f"/filing/attachment/{attachment_id}").status_code == 404


def _docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


# ---- 提交审核 / 撤回 / 删除 (R11, R12) ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status,shown,hidden", [
    ("DRAFT", ["action-delete", "submit-filing"], ["action-withdraw"]),
    ("RETURNED", ["action-delete", "submit-filing"], ["action-withdraw"]),
    ("SUBMITTED", ["action-withdraw"], ["action-delete", "submit-filing", "action-submit"]),
    ("APPROVED", [], ["action-delete", "submit-filing", "action-submit", "action-withdraw"]),
])
def test_actions_shown_only_when_allowed(app, client, gz, status, shown, hidden):
    login(client, "ent_gz")
    html = body(client.get(f"/filing/{gz[status]}/info").get_data(as_text=True))
    for element in shown:
        assert f'id="{element}"' in html
    for element in hidden:
        assert f'id="{element}"' not in html
    print_possible = "FilingPrintView.form_pdf" in app.view_functions
    assert ('id="action-print"' in html) == (status == "APPROVED" and print_possible)
    if status in ("DRAFT", "RETURNED"):
        teachers = body(client.get(f"/filing/{gz[status]}/teachers").get_data(as_text=True))
        assert 'id="action-submit"' in teachers  # from other tabs the action bar links to the checklist
        assert 'data-confirm="确定删除该备案申请吗？删除后不可恢复。"' in html


@pytest.mark.parametrize("status,action", [
    ("DRAFT", "withdraw"), ("RETURNED", "withdraw"), ("SUBMITTED", "delete"), ("SUBMITTED", "submit"),
    ("APPROVED", "delete"), ("APPROVED", "withdraw"), ("APPROVED", "submit"),
])
def test_actions_refused_on_the_server_when_not_allowed(app, client, gz, status, action):
    login(client, "ent_gz")
    response = client.post(f"/filing/{gz[status]}/do/{action}", data={"csrf_token": token(client)},
                           follow_redirects=True)
    assert "当前状态不允许" in response.get_data(as_text=True)
    assert filing_row(app, gz[status])["status"] == status


def test_submit_lists_every_missing_item_then_submits(app, client, gz):
    login(client, "ent_gz")
    fid = gz["DRAFT"]
    response = client.post(f"/filing/{fid}/do/submit", data={"csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/filing/{fid}/submit")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "还有 1 项未完成，不能提交审核" in html
    assert "缺少材料：培训计划" in html and "缺少材料：校企合作协议" in html and "缺少材料：劳动合同" in html
    assert f'href="/filing/{fid}/attachments"' in html and 'id="checklist-submit"' not in html
    assert filing_row(app, fid)["status"] == "DRAFT"
    for kind in ("TRAINING_PLAN", "COOPERATION_AGREEMENT", "LABOUR_CONTRACT"):
        assert _upload(client, fid, kind, f"{kind}.pdf", factories.PDF_BYTES).status_code == 302
    html = client.get(f"/filing/{fid}/submit").get_data(as_text=True)
    assert "检查通过" in html and 'id="checklist-submit"' in html
    response = client.post(f"/filing/{fid}/do/submit", data={"csrf_token": token(client)})
    assert response.headers["Location"].endswith("/filing/results/ENTERPRISE")
    row = filing_row(app, fid)
    assert row["status"] == "SUBMITTED"
    html = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    assert "已提交审核，请等待地市人社部门审核" in html


def test_checklist_lists_all_problems_at_once(app, client):
    login(client, "ent_gz")
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        fid = factories.filing(ent.id, contact_name=None, contact_phone=None).id
        db.session.commit()
    html = body(client.get(f"/filing/{fid}/submit").get_data(as_text=True))
    for text in ("请填写备案联系人和联系电话", "请选择合作培训机构", "请至少填写一条培训信息", "请至少填写一名培训师资",
                 "请至少填写一名培训人员", "请至少新增一门培训课程", "缺少材料：培训计划"):
        assert text in html
    assert "还有 7 项未完成" in html
    for tab in ("info", "institution", "classes", "teachers", "trainees", "courses", "attachments"):
        assert f'href="/filing/{fid}/{tab}"' in html


def test_withdraw_then_delete(app, client, gz):
    login(client, "ent_gz")
    fid = gz["SUBMITTED"]
    response = client.post(f"/filing/{fid}/do/withdraw", data={"csrf_token": token(client)})
    assert response.headers["Location"].endswith(f"/filing/{fid}/info")
    assert filing_row(app, fid)["status"] == "DRAFT"
    assert 'data-editable="yes"' in client.get(f"/filing/{fid}/info").get_data(as_text=True)
    response = client.post(f"/filing/{fid}/do/delete", data={"csrf_token": token(client)})
    assert response.headers["Location"].endswith("/filing/results/ENTERPRISE")
    assert filing_row(app, fid) is None
    assert client.get(f"/filing/{fid}/info").status_code == 404


def test_returned_filing_shows_the_opinion_and_can_be_resubmitted(app, client, gz):
    login(client, "ent_gz")
    fid = gz["RETURNED"]
    html = body(client.get(f"/filing/{fid}/info").get_data(as_text=True))
    assert 'id="review-opinion"' in html and "培训计划未写明各阶段的课时安排" in html
    listing = client.get("/filing/results/ENTERPRISE?status=RETURNED").get_data(as_text=True)
    assert "培训计划未写明各阶段的课时安排" in listing
    response = client.post(f"/filing/{fid}/do/submit", data={"csrf_token": token(client)})
    assert response.status_code == 302 and filing_row(app, fid)["status"] == "SUBMITTED"


# ---- 标记为流失 (R12) ----------------------------------------------------------------------------------------------

def test_mark_lost_on_approved_filing(app, client, gz):
    login(client, "ent_gz")
    fid = gz["APPROVED"]
    with app.app_context():
        trainee = db.session.scalars(select(Trainee).filter_by(filing_id=fid).order_by(Trainee.id)).first()
        pk, name = trainee.id, trainee.name
    html = body(client.get(f"/filing/{fid}/trainees").get_data(as_text=True))
    assert html.count("标记为流失") == 2
    html = body(client.get(f"/filing/{fid}/trainees?lost={pk}").get_data(as_text=True))
    assert 'id="lost-form"' in html and f'value="{today().isoformat()}"' in html
    response = client.post(f"/filing/{fid}/trainees/{pk}/lost", data={
        "csrf_token": token(client), "lost_reason": "", "lost_date": "2026-01-05"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "lost_reason") == ["请填写流失原因"] and 'value="2026-01-05"' in html
    future = (today() + timedelta(days=3)).isoformat()
    response = client.post(f"/filing/{fid}/trainees/{pk}/lost", data={
        "csrf_token": token(client), "lost_reason": "个人原因离职", "lost_date": future})
    assert field_errors(response.get_data(as_text=True), "lost_date") == ["流失日期不能晚于今天"]
    with app.app_context():
        assert db.session.get(Trainee, pk).status == TraineeStatus.ACTIVE
    response = client.post(f"/filing/{fid}/trainees/{pk}/lost", data={
        "csrf_token": token(client), "lost_reason": "个人原因离职", "lost_date": ""})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Trainee, pk)
        assert row.status == TraineeStatus.LOST and row.lost_reason == "个人原因离职" and row.lost_date == today()
    html = body(client.get(f"/filing/{fid}/trainees").get_data(as_text=True))
    row_html = html.split(f"<td>{name}</td>")[1].split("</tr>")[0]
    assert "流失" in row_html and "个人原因离职" in row_html and "标记为流失" not in row_html
    again = client.post(f"/filing/{fid}/trainees/{pk}/lost", data={
        "csrf_token": token(client), "lost_reason": "再次"}, follow_redirects=True)
    assert "该人员已标记为流失" in again.get_data(as_text=True)


def test_mark_lost_not_offered_nor_allowed_before_approval(app, client, gz):
    login(client, "ent_gz")
    fid = gz["SUBMITTED"]
    pk = first_child(app, fid, "trainees")
    html = body(client.get(f"/filing/{fid}/trainees?lost={pk}").get_data(as_text=True))
    assert "标记为流失" not in html and 'id="lost-form"' not in html
    response = client.post(f"/filing/{fid}/trainees/{pk}/lost", data={
        "csrf_token": token(client), "lost_reason": "离职"}, follow_redirects=True)
    assert "只有审核通过的备案才能标记流失人员" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Trainee, pk).status == TraineeStatus.ACTIVE


# ---- 导入 buttons (the import screens come from another issue) -------------------------------------------------------

@pytest.mark.parametrize("tab", ["classes", "teachers", "trainees", "courses"])
def test_import_button_only_when_the_import_screen_exists_and_editable(app, client, gz, tab):
    login(client, "ent_gz")
    exists = "FilingImportView.upload" in app.view_functions
    draft = body(client.get(f"/filing/{gz['DRAFT']}/{tab}").get_data(as_text=True))
    assert ('id="import-rows"' in draft) == exists
    submitted = body(client.get(f"/filing/{gz['SUBMITTED']}/{tab}").get_data(as_text=True))
    assert 'id="import-rows"' not in submitted


# ---- 办理结果 -----------------------------------------------------------------------------------------------------------

def test_results_list_columns_and_rows(client, gz):
    login(client, "ent_gz")
    html = body(client.get("/filing/results/ENTERPRISE").get_data(as_text=True))
    for header in ("职业（工种）", "培训等级", "开班日期", "结班日期", "审核意见", "操作"):
        assert f"<th>{header}</th>" in html
    assert ">培训人数</th>" in html and '<th class="type">学徒制培训类型</th>' in html
    for key, header in (("application_no", "申请编号"), ("filing_no", "备案编号"), ("status", "状态"),
                        ("created_at", "创建时间"), ("submitted_at", "提交时间")):  # sortable (issue 12)
        assert re.search(rf'<a href="[^"]*" class="sort-link" id="sort-{key}"[^>]*>{header}', html), header
    assert html.count('class="btn btn-xs btn-primary enter-link"') == 4
    assert "XT4401-2026-" in html or "XT4401-" in html
    for label in ("未提交", "已提交待审核", "已退回", "审核通过"):
        assert label in html
    assert "车工" in html and "2027-01-01" in html
    for fid in gz.values():
        assert f'href="/filing/{fid}/info"' in html
    assert "暂无符合条件的备案记录" in client.get("/filing/results/ECOSYSTEM").get_data(as_text=True)


def _rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-filing-id="(\d+)">', html)]


def test_results_filters(app, client, gz):
    login(client, "ent_gz")
    with app.app_context():
        approved_no = db.session.get(Filing, gz["APPROVED"]).filing_no
        ent = factories.demo_enterprise("ent_gz")
        other = factories.complete_filing(ent.id, status="SUBMITTED", start=date(2029, 3, 1),
                                          end=date(2030, 2, 28))
        other.classes[0].occupation_code = "6-31-01-03"
        other.submitted_at = datetime(2025, 6, 1, 2, 0)  # 2025-06-01 10:00 in Shanghai
        student = factories.complete_filing(ent.id, "ENTERPRISE", "STUDENT", status="DRAFT")
        db.session.commit()
        other_id, student_id = other.id, student.id
    url = "/filing/results/ENTERPRISE"

    def rows(query):
        return set(_rows(client.get(url + "?" + query).get_data(as_text=True)))

    assert rows("") == set(gz.values()) | {other_id, student_id}
    assert rows("status=SUBMITTED") == {gz["SUBMITTED"], other_id}
    assert rows("apprenticeship_type=STUDENT") == {student_id}
    assert rows(f"filing_no={approved_no[-6:]}") == {gz["APPROVED"]}
    assert rows("occupation=6-31-01-03") == {other_id}
    assert rows("submitted_from=2025-06-01&submitted_to=2025-06-01") == {other_id}
    assert rows("submitted_to=2025-05-31") == set()
    assert gz["SUBMITTED"] in rows(f"submitted_from={today().isoformat()}")
    html = client.get(url + "?submitted_from=2025-13-01").get_data(as_text=True)
    assert "提交日期起格式不正确" in html
    html = client.get(url + "?status=SUBMITTED&occupation=6-31-01-03").get_data(as_text=True)
    assert '<option value="SUBMITTED" selected>' in html  # the query stays in the form


def test_results_pagination_and_scope(app, client):
    login(client, "ent_sz")
    with app.app_context():
        ent = factories.demo_enterprise("ent_sz")
        for _ in range(9):
            factories.filing(ent.id)
        db.session.commit()
    first = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    second = client.get("/filing/results/ENTERPRISE?page=2").get_data(as_text=True)
    assert len(_rows(first)) == 10 and len(_rows(second)) == 3
    assert not set(_rows(first)) & set(_rows(second))
    assert "共 13 条" in first and "第 2 / 2 页" in second and "page=2" in first
    assert len(_rows(client.get("/filing/results/ENTERPRISE?page=99").get_data(as_text=True))) == 3
    assert "XT4401" not in first + second


def test_results_list_constant_number_of_queries(app, client):
    """The list runs a fixed number of statements whatever the page holds (no N+1)."""
    from sqlalchemy import event

    login(client, "ent_gz")

    def statements():
        seen = []

        def listener(*args):
            seen.append(1)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            client.get("/filing/results/ENTERPRISE")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        for _ in range(6):
            factories.complete_filing(ent.id, trainees=1)
        db.session.commit()
    assert statements() == few


@pytest.mark.parametrize("tab", list(ROW_TABS))
def test_row_of_another_own_filing_under_this_filing_url_is_404(app, client, gz, tab):
    """A row id is only valid under the URL of its own filing (no edit/delete of filing A through filing B)."""
    login(client, "ent_gz")
    pk = first_child(app, gz["RETURNED"], tab)
    assert client.get(f"/filing/{gz['DRAFT']}/{tab}?edit={pk}").status_code == 404
    response = client.post(f"/filing/{gz['DRAFT']}/{tab}/{pk}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ROW_TABS[tab], pk) is not None


@pytest.mark.parametrize("username", ["ent_gz", "ent_sz"])
def test_demo_filings_are_valid_per_the_rules(app, username):
    """The seed's complete filings pass the submit checklist (R3–R11); the draft lacks only its materials."""
    from actions.checklist import build_checklist

    ids = demo_filings(app, username)
    assert set(ids) == {"DRAFT", "SUBMITTED", "RETURNED", "APPROVED"}
    with app.app_context():
        for status, fid in ids.items():
            filing = db.session.get(Filing, fid)
            result = build_checklist(db.session, filing)
            bad = [item.code for item in result.items if not item.ok]
            assert bad == (["attachment"] if status == "DRAFT" else []), (status, result.as_dict())
            assert filing.apprenticeship_type == "NEW_APPRENTICE" and filing.commitment_accepted
            assert (filing.filing_no is not None) == (status == "APPROVED")
        returned = db.session.get(Filing, ids["RETURNED"])
        assert returned.review_opinion and returned.reviewed_by_id


def test_info_tab_shows_audit_timeline_to_enterprise(app, client):
    """The enterprise sees the same 审核记录 timeline as the reviewer (issue 5): submit, return with opinion."""
    from actions import filings as fa
    from actions import review as ra
    from models.base import db
    from tests import factories as fx

    with app.app_context():
        filing = fx.complete_filing(fx.demo_enterprise("ent_gz").id)
        fa.submit(db.session, fx.actor("ent_gz"), filing.id)
        ra.return_filing(db.session, fx.actor("gz_reviewer"), filing.id, "培训计划缺少盖章页")
        db.session.commit()
        filing_id = filing.id
    login(client, "ent_gz")
    html = client.get(f"/filing/{filing_id}/info").get_data(as_text=True)
    timeline = html.split('id="audit-timeline"')[1]
    assert "提交审核" in timeline and "退回" in timeline and "培训计划缺少盖章页" in timeline
    assert "gz_reviewer" in timeline
