"""企业新型学徒制培训补贴 screens of the enterprise (manual §3.2.3.1 立即办理, §3.2.3.2 办理结果; R20–R23), through the
Flask test client with CSRF on, on ent_gz's demo running class (seed/demo_running_class.py: 6 trainees, 杨帆 at
50 % attendance).

Covers: every screen renders; the flow 承诺书 → class and stage → 单位基本信息 (a wrong 账户名称 keeps the input and
names the field) → persons (新增 / 全部添加 / 删除 / 证书) → pre-check reasons (杨帆's 出勤率) → 附件 → 提交审核 refused
while 杨帆 is in, accepted after removing him → 取消申请 → 删除; the read-only page once submitted and approved;
办理结果 filters (a bad date is reported) and bulk delete; paging and search of persons; another enterprise gets
404 on every claim URL, reviewers and the admin 403; CSRF required on every POST.
"""
from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from sqlalchemy import func, select

from actions.subsidies import claims as ca
from actions.subsidies import decisions
from actions.workflow import run
from models.base import db
from models.enums import ClaimStatus, ClassStatus, TraineeStatus
from models.filing import Attachment, Filing, Trainee, TrainingClass
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from seed import demo_running_class
from tests import factories
from tests.conftest import csrf_token_from, login

PDF = factories.PDF_BYTES
FIELD_ERROR = r'<span class="help-block field-error" data-field="{}">([^<]*)</span>'


# ---- helpers ------------------------------------------------------------------------------------------------


def running_class(app) -> int:
    """ent_gz's demo running class (seeded here: the per-test seed does not include it)."""
    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        ent = factories.demo_enterprise("ent_gz")
        return db.session.scalars(select(TrainingClass.id).join(Filing).where(
            Filing.enterprise_id == ent.id, TrainingClass.planned_headcount == 6)).one()


def token(client) -> str:
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def text_of(response) -> str:
    """The page's own content as plain text (navbar and footer left out)."""
    page = response.get_data(as_text=True)
    assert 'id="claim-page"' in page, page[:800]
    body = page.split('id="claim-page"', 1)[1].split("<footer", 1)[0]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def field_errors(response, field: str) -> list[str]:
    return [html_lib.unescape(m) for m in re.findall(FIELD_ERROR.format(field), response.get_data(as_text=True))]


def flashes(client) -> list[str]:
    with client.session_transaction() as cookie:
        return [str(message) for _category, message in cookie.pop("_flashes", [])]


def claim_row(app, claim_id):
    with app.app_context():
        return db.session.get(SubsidyClaim, claim_id)


def new_claim(client, class_id: int, stage: str = "ADVANCE") -> int:
    response = client.post("/claims/apply", data={"csrf_token": token(client), "commitment_accepted": "1",
                                                  "training_class_id": str(class_id), "stage": stage})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/claims/(\d+)/unit", response.headers["Location"]).group(1))


def person_ids(app, claim_id) -> dict[str, int]:
    """Name → person id of the claim."""
    with app.app_context():
        return dict(db.session.execute(
            select(Trainee.name, SubsidyClaimPerson.id).join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
            .where(SubsidyClaimPerson.subsidy_claim_id == claim_id)).all())


def trainee_ids(app, class_id) -> dict[str, int]:
    with app.app_context():
        cls = db.session.get(TrainingClass, class_id)
        return dict(db.session.execute(select(Trainee.name, Trainee.id).where(Trainee.filing_id == cls.filing_id)).all())


def upload_plan(client, claim_id):
    return client.post(f"/claims/{claim_id}/attachments/upload",
                       data={"csrf_token": token(client), "kind": "TRAINING_PLAN",
                             "file": (io.BytesIO(PDF), "培训计划.pdf")}, content_type="multipart/form-data")


@pytest.fixture
def cls_id(app):
    return running_class(app)


@pytest.fixture
def gz(client):
    assert login(client, "ent_gz").status_code == 302
    return client


def ready_claim(app, client, cls_id) -> int:
    """A DRAFT claim of ent_gz with every person but 杨帆 and the 培训计划 (ready to submit)."""
    claim_id = new_claim(client, cls_id)
    client.post(f"/claims/{claim_id}/persons/add_all", data={"csrf_token": token(client)})
    client.post(f"/claims/{claim_id}/persons/remove",
                data={"csrf_token": token(client), "pk": str(person_ids(app, claim_id)["杨帆"])})
    assert upload_plan(client, claim_id).status_code == 302
    return claim_id


# ---- every screen renders -----------------------------------------------------------------------------------


def test_every_screen_renders_for_ent_gz(app, gz, cls_id):
    apply_page = gz.get("/claims/apply")
    assert apply_page.status_code == 200
    text = text_of(apply_page)
    assert "承诺书" in text and "我已阅读并承诺" in text
    assert f'data-class-id="{cls_id}"' in apply_page.get_data(as_text=True)
    assert "培训中" in text and "预拨" in text and "清算" in text and "开班后申请" in text
    assert gz.get("/claims/results").status_code == 200
    claim_id = new_claim(gz, cls_id)
    for tab in ("unit", "persons", "attachments", "submit"):
        response = gz.get(f"/claims/{claim_id}/{tab}")
        assert response.status_code == 200, tab
        assert f'id="tab-{tab}"' in response.get_data(as_text=True)
    assert gz.get(f"/claims/{claim_id}/persons/pick").status_code == 200
    assert gz.get(f"/claims/{claim_id}/nothing").status_code == 404


def test_home_page_leads_to_the_claim_screens(gz):
    page = gz.get("/").get_data(as_text=True)
    assert 'href="/claims/apply"' in page and 'href="/claims/results"' in page
    assert "职业补贴" in page


# ---- 立即办理: 承诺书, class, stage (R20) ----------------------------------------------------------------------


def test_commitment_first(app, gz, cls_id):
    response = gz.post("/claims/apply", data={"csrf_token": token(gz), "training_class_id": str(cls_id),
                                              "stage": "ADVANCE"})
    assert response.status_code == 422
    assert any("承诺书" in m for m in field_errors(response, "commitment_accepted"))
    assert f'id="class-{cls_id}"' in response.get_data(as_text=True)  # the choice is kept
    assert re.search(rf'value="{cls_id}" id="class-{cls_id}"\s+checked', response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0


def test_class_and_stage_are_required(app, gz, cls_id):
    response = gz.post("/claims/apply", data={"csrf_token": token(gz), "commitment_accepted": "1"})
    assert response.status_code == 422
    assert field_errors(response, "stage") and field_errors(response, "training_class_id")
    assert re.search(r'id="commitment_accepted" name="commitment_accepted" value="1" form="apply-form"\s+checked',
                     response.get_data(as_text=True))


def test_cancelled_classes_are_not_offered(app, gz, cls_id):
    with app.app_context():
        db.session.get(TrainingClass, cls_id).status = ClassStatus.CANCELLED
        db.session.commit()
    page = gz.get("/claims/apply").get_data(as_text=True)
    assert f'data-class-id="{cls_id}"' not in page


def test_class_search_and_only_approved_filings(app, gz, cls_id):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        cls = db.session.get(TrainingClass, cls_id)
        filing_no = cls.filing.filing_no
        approved = db.session.scalar(select(func.count()).select_from(TrainingClass).join(Filing).where(
            Filing.enterprise_id == ent.id, Filing.status == "APPROVED", TrainingClass.status == "NORMAL"))
    page = gz.get("/claims/apply").get_data(as_text=True)
    assert len(re.findall(r'<tr data-class-id="\d+"', page)) == approved
    found = gz.get("/claims/apply?" + f"q={filing_no}&accepted=1").get_data(as_text=True)
    assert re.findall(r'<tr data-class-id="(\d+)"', found) == [str(cls_id)]
    assert re.search(r'id="commitment_accepted"[^>]*\s+checked', found)  # the tick survives the search
    assert 'id="no-classes"' in gz.get("/claims/apply?q=没有这个备案").get_data(as_text=True)


# ---- the whole flow -----------------------------------------------------------------------------------------


def test_flow_from_commitment_to_submission(app, gz, cls_id):
    claim_id = new_claim(gz, cls_id)
    unit = gz.get(f"/claims/{claim_id}/unit")
    assert "账户名称须与单位名称" in text_of(unit)
    with app.app_context():
        ent_name = factories.demo_enterprise("ent_gz").name

    # 单位基本信息: a wrong account name keeps the input and names the field (R20)
    data = {"csrf_token": token(gz), "bank_name": "中国工商银行广州天河支行", "bank_account_name": "别的公司",
            "bank_account_no": "3602 0001 0920 0012 345", "contact_name": "李四", "contact_phone": "13800138000"}
    response = gz.post(f"/claims/{claim_id}/unit/save", data=data)
    assert response.status_code == 422
    assert any(ent_name in m for m in field_errors(response, "bank_account_name"))
    assert 'value="别的公司"' in response.get_data(as_text=True)
    assert 'value="中国工商银行广州天河支行"' in response.get_data(as_text=True)
    assert claim_row(app, claim_id).bank_name != "中国工商银行广州天河支行"
    response = gz.post(f"/claims/{claim_id}/unit/save", data={**data, "bank_account_name": ent_name})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/claims/{claim_id}/persons")
    assert claim_row(app, claim_id).bank_account_no == "3602000109200012345"

    # persons: 全部添加在训人员, then the pre-checks with their reasons (R21)
    assert "全部添加在训人员（6）" in text_of(gz.get(f"/claims/{claim_id}/persons"))
    assert gz.post(f"/claims/{claim_id}/persons/add_all", data={"csrf_token": token(gz)}).status_code == 302
    persons = gz.get(f"/claims/{claim_id}/persons")
    page = persons.get_data(as_text=True)
    ids = person_ids(app, claim_id)
    row = page.split(f'data-person-id="{ids["杨帆"]}"', 1)[1].split("</tr>", 1)[0]
    assert "precheck-fail" in row and "出勤率 50.0%（32/64 学时），低于 80.0%" in html_lib.unescape(row)
    assert "text-danger" in row
    ok_row = page.split(f'data-person-id="{ids["张晓明"]}"', 1)[1].split("</tr>", 1)[0]
    assert "precheck-fail" not in ok_row and "项检查全部通过" in ok_row and "2200.00" in ok_row
    with app.app_context():
        full = db.session.get(Trainee, trainee_ids(app, cls_id)["杨帆"]).id_number
    assert full in page  # the claim's own detail: full for its owner (issue 12 policy, core.validators)

    # 附件 (R23): 培训计划 is required for 预拨
    attachments = gz.get(f"/claims/{claim_id}/attachments").get_data(as_text=True)
    assert 'kind-missing" data-kind="TRAINING_PLAN"' in attachments
    assert upload_plan(gz, claim_id).status_code == 302
    assert 'kind-ok" data-kind="TRAINING_PLAN"' in gz.get(f"/claims/{claim_id}/attachments").get_data(as_text=True)

    # 提交审核: the checklist names the failing person count; the submit is refused while 杨帆 is in
    submit_tab = text_of(gz.get(f"/claims/{claim_id}/submit"))
    assert "有 1 人预审未通过" in submit_tab and "查看未通过的 1 人" in submit_tab
    assert "5500.00 元/人·年 × 1 年 × 预拨比例 40.0% = 2200.00 元" in submit_tab and "13200.00 元" in submit_tab
    failing = text_of(gz.get(f"/claims/{claim_id}/persons?failing=1"))
    assert "杨帆" in failing and "张晓明" not in failing
    flashes(gz)
    response = gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/submit")
    messages = flashes(gz)
    assert any("杨帆" in m and "出勤率" in m for m in messages), messages
    assert claim_row(app, claim_id).status == ClaimStatus.DRAFT

    # 【删除】 杨帆, then the submit goes through
    response = gz.post(f"/claims/{claim_id}/persons/remove", data={"csrf_token": token(gz), "pk": str(ids["杨帆"])})
    assert response.status_code == 302
    assert "杨帆" not in person_ids(app, claim_id)
    assert "检查通过" in text_of(gz.get(f"/claims/{claim_id}/submit"))
    response = gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/claims/results")
    claim = claim_row(app, claim_id)
    assert claim.status == ClaimStatus.SUBMITTED and str(claim.requested_amount) == "11000.00"
    results = gz.get("/claims/results").get_data(as_text=True)
    row = results.split(f'data-claim-id="{claim_id}"', 1)[1].split("</tr>", 1)[0]
    assert "已提交待审核" in row and "11000.00" in row and "取消申请" in row


def test_submitted_claim_is_read_only_and_can_be_cancelled_then_deleted(app, gz, cls_id):
    claim_id = ready_claim(app, gz, cls_id)
    assert gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)}).status_code == 302
    page = gz.get(f"/claims/{claim_id}/persons").get_data(as_text=True)
    assert 'id="readonly-note"' in page and 'id="persons-toolbar"' not in page and 'id="edit-form"' not in page
    assert 'id="tab-link-submit"' not in page and 'id="action-cancel"' in page
    assert 'id="unit-form"' not in gz.get(f"/claims/{claim_id}/unit").get_data(as_text=True)
    assert 'id="upload-form"' not in gz.get(f"/claims/{claim_id}/attachments").get_data(as_text=True)
    for suffix in ("form-pdf", "roster-pdf", "roster-xlsx"):
        assert f'id="doc-{suffix}"' in page
    # edits of a submitted claim are refused, nothing changes
    before = person_ids(app, claim_id)
    gz.post(f"/claims/{claim_id}/persons/remove", data={"csrf_token": token(gz), "pk": str(before["张晓明"])})
    assert person_ids(app, claim_id) == before
    assert gz.get(f"/claims/{claim_id}/persons/pick").status_code == 302
    # 取消申请 → back to 未提交, editable again
    response = gz.post(f"/claims/{claim_id}/do/cancel", data={"csrf_token": token(gz)})
    assert response.status_code == 302
    assert claim_row(app, claim_id).status == ClaimStatus.DRAFT
    assert 'id="persons-toolbar"' in gz.get(f"/claims/{claim_id}/persons").get_data(as_text=True)
    # 删除 → gone
    response = gz.post(f"/claims/{claim_id}/do/delete", data={"csrf_token": token(gz)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/claims/results")
    assert claim_row(app, claim_id) is None
    assert gz.get(f"/claims/{claim_id}/unit").status_code == 404


def test_documents_only_once_submitted(app, gz, cls_id):
    claim_id = ready_claim(app, gz, cls_id)
    response = gz.get(f"/claims/{claim_id}/form.pdf")
    assert response.status_code == 302  # a draft: back to the claim with a message
    assert any("提交审核后" in m for m in flashes(gz))
    gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)})
    for suffix, magic in (("form.pdf", b"%PDF"), ("roster.pdf", b"%PDF"), ("roster.xlsx", b"PK")):
        response = gz.get(f"/claims/{claim_id}/{suffix}")
        assert response.status_code == 200, suffix
        assert response.data.startswith(magic)
        assert "attachment;" in response.headers["Content-Disposition"]


def test_approved_claim_shows_amounts_and_decisions(app, gz, cls_id):
    claim_id = ready_claim(app, gz, cls_id)
    gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)})
    ids = person_ids(app, claim_id)
    with app.app_context():
        reviewer = factories.actor("gz_reviewer")
        decisions.decide_person(db.session, reviewer, ids["刘子轩"], {"approved_amount": "2000", "reason": "出勤折算"})
        run(db.session, reviewer, "subsidy_claim", "approve", claim_id, {"opinion": "同意"})
        db.session.commit()
    page = gz.get(f"/claims/{claim_id}/persons")
    text = text_of(page)
    assert "审核通过" in text and "核定金额 10800.00 元" in text
    row = page.get_data(as_text=True).split(f'data-person-id="{ids["刘子轩"]}"', 1)[1].split("</tr>", 1)[0]
    assert "2000.00" in row and "出勤折算" in row and "核减" in row
    assert 'id="action-' not in page.get_data(as_text=True).split('id="claim-actions"', 1)[1].split("</div>", 1)[0]


def test_returned_claim_shows_the_opinion_and_is_editable(app, gz, cls_id):
    claim_id = ready_claim(app, gz, cls_id)
    gz.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(gz)})
    with app.app_context():
        run(db.session, factories.actor("gz_reviewer"), "subsidy_claim", "return", claim_id,
            {"opinion": "请补充培训考勤记录"})
        db.session.commit()
    page = gz.get(f"/claims/{claim_id}/unit").get_data(as_text=True)
    assert 'id="review-opinion"' in page and "请补充培训考勤记录" in page and 'id="unit-form"' in page


# ---- persons: 新增 (picker), certificates, paging and search ----------------------------------------------------


def test_picker_adds_the_chosen_trainees(app, gz, cls_id):
    claim_id = new_claim(gz, cls_id)
    trainees = trainee_ids(app, cls_id)
    picker = gz.get(f"/claims/{claim_id}/persons/pick").get_data(as_text=True)
    assert len(re.findall(r'<tr data-trainee-id=', picker)) == 6
    searched = gz.get(f"/claims/{claim_id}/persons/pick?q=李思").get_data(as_text=True)
    assert re.findall(r'<tr data-trainee-id="(\d+)"', searched) == [str(trainees["李思雨"])]
    response = gz.post(f"/claims/{claim_id}/persons/add", data={
        "csrf_token": token(gz), "trainee_id": [str(trainees["张晓明"]), str(trainees["李思雨"])]})
    assert response.status_code == 302
    assert set(person_ids(app, claim_id)) == {"张晓明", "李思雨"}
    picker = gz.get(f"/claims/{claim_id}/persons/pick").get_data(as_text=True)
    assert len(re.findall(r'<tr data-trainee-id=', picker)) == 4
    # nothing chosen, or a trainee of another filing: refused with a message, nothing added, choices kept
    response = gz.post(f"/claims/{claim_id}/persons/add", data={"csrf_token": token(gz)})
    assert response.status_code == 422 and "请选择要添加的培训人员" in text_of(response)
    with app.app_context():
        other = db.session.scalars(select(Trainee.id).where(Trainee.filing_id != db.session.get(
            TrainingClass, cls_id).filing_id)).first()
    response = gz.post(f"/claims/{claim_id}/persons/add", data={
        "csrf_token": token(gz), "trainee_id": [str(trainees["王建华"]), str(other)]})
    assert response.status_code == 422 and "不属于本申请的备案" in text_of(response)
    assert re.search(rf'value="{trainees["王建华"]}" class="pick-one"\s+checked', response.get_data(as_text=True))
    assert set(person_ids(app, claim_id)) == {"张晓明", "李思雨"}
    # 全部添加 adds the rest; once all are in, the button is off
    gz.post(f"/claims/{claim_id}/persons/add_all", data={"csrf_token": token(gz)})
    assert len(person_ids(app, claim_id)) == 6
    assert 'id="add-all" disabled' in gz.get(f"/claims/{claim_id}/persons").get_data(as_text=True)


def test_lost_trainees_cannot_be_picked(app, gz, cls_id):
    trainees = trainee_ids(app, cls_id)
    with app.app_context():
        row = db.session.get(Trainee, trainees["王建华"])
        row.status = TraineeStatus.LOST
        db.session.commit()
    claim_id = new_claim(gz, cls_id)
    picker = gz.get(f"/claims/{claim_id}/persons/pick").get_data(as_text=True)
    row = picker.split(f'data-trainee-id="{trainees["王建华"]}"', 1)[1].split("</tr>", 1)[0]
    assert "已流失" in row and 'name="trainee_id"' not in row


def test_certificate_of_a_person(app, gz, cls_id):
    claim_id = new_claim(gz, cls_id, stage="BALANCE")
    gz.post(f"/claims/{claim_id}/persons/add_all", data={"csrf_token": token(gz)})
    pid = person_ids(app, claim_id)["张晓明"]
    page = gz.get(f"/claims/{claim_id}/persons").get_data(as_text=True)
    row = page.split(f'data-person-id="{pid}"', 1)[1].split("</tr>", 1)[0]
    assert "未填写职业技能等级证书编号" in row and "尚未结业" in row  # 清算 before the class ends
    form = gz.get(f"/claims/{claim_id}/persons?edit={pid}").get_data(as_text=True)
    assert 'id="edit-form"' in form
    response = gz.post(f"/claims/{claim_id}/persons/{pid}/save",
                       data={"csrf_token": token(gz), "certificate_no": "Z" * 80, "skill_level": "9"})
    assert response.status_code == 422
    assert field_errors(response, "certificate_no") and field_errors(response, "skill_level")
    assert 'value="' + "Z" * 80 + '"' in response.get_data(as_text=True)
    response = gz.post(f"/claims/{claim_id}/persons/{pid}/save",
                       data={"csrf_token": token(gz), "certificate_no": "S0001234", "skill_level": "4"})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(SubsidyClaimPerson, pid)
        assert (person.certificate_no, person.skill_level) == ("S0001234", 4)
    row = gz.get(f"/claims/{claim_id}/persons").get_data(as_text=True).split(f'data-person-id="{pid}"', 1)[1]
    assert "S0001234" in row.split("</tr>", 1)[0]
    # a person of another claim is not this claim's: 404
    other_claim = new_claim(gz, cls_id)
    assert gz.post(f"/claims/{other_claim}/persons/{pid}/save",
                   data={"csrf_token": token(gz), "certificate_no": "X1"}).status_code == 404


def test_persons_are_paged_and_searched_on_the_server(app, gz, cls_id):
    with app.app_context():
        cls = db.session.get(TrainingClass, cls_id)
        for n in range(19):  # 6 + 19 = 25 persons
            db.session.add(Trainee(filing_id=cls.filing_id, name=f"学员{n:02d}", id_number=factories.id_number(seq=700 + n),
                                   status=TraineeStatus.ACTIVE))
        db.session.commit()
    claim_id = new_claim(gz, cls_id)
    gz.post(f"/claims/{claim_id}/persons/add_all", data={"csrf_token": token(gz)})
    rows = lambda r: re.findall(r'<tr data-person-id="(\d+)"', r.get_data(as_text=True))  # noqa: E731
    first = gz.get(f"/claims/{claim_id}/persons")
    assert len(rows(first)) == 20 and "共 25 条，每页 20 条，第 1 / 2 页" in text_of(first)
    second = gz.get(f"/claims/{claim_id}/persons?page=2")
    assert len(rows(second)) == 5 and not set(rows(first)) & set(rows(second))
    assert len(rows(gz.get(f"/claims/{claim_id}/persons?size=50"))) == 25
    assert len(rows(gz.get(f"/claims/{claim_id}/persons?size=7"))) == 20  # not offered: the default
    assert len(rows(gz.get(f"/claims/{claim_id}/persons?page=x"))) == 20
    assert len(rows(gz.get(f"/claims/{claim_id}/persons?q=学员1"))) == 9  # 学员10 … 学员18
    with app.app_context():
        number = db.session.get(Trainee, trainee_ids(app, cls_id)["杨帆"]).id_number
    found = gz.get(f"/claims/{claim_id}/persons?q={number[-6:]}")
    assert len(rows(found)) == 1 and "杨帆" in text_of(found)
    assert 'id="no-persons"' in gz.get(f"/claims/{claim_id}/persons?q=查无此人").get_data(as_text=True)


# ---- 附件 ------------------------------------------------------------------------------------------------------


def test_attachments_upload_download_delete(app, gz, cls_id):
    claim_id = new_claim(gz, cls_id)
    response = gz.post(f"/claims/{claim_id}/attachments/upload",
                       data={"csrf_token": token(gz), "kind": "TRAINING_PLAN",
                             "file": (io.BytesIO(b"not a pdf at all"), "plan.pdf")},
                       content_type="multipart/form-data")
    assert response.status_code == 422 and field_errors(response, "file")
    response = gz.post(f"/claims/{claim_id}/attachments/upload",
                       data={"csrf_token": token(gz), "kind": "", "file": (io.BytesIO(PDF), "plan.pdf")},
                       content_type="multipart/form-data")
    assert response.status_code == 422 and field_errors(response, "kind")
    assert upload_plan(gz, claim_id).status_code == 302
    with app.app_context():
        attachment_id = db.session.scalars(select(Attachment.id).where(Attachment.subsidy_claim_id == claim_id)).one()
    download = gz.get(f"/claims/attachment/{attachment_id}?download=1")
    assert download.status_code == 200 and download.data == PDF
    page = gz.get(f"/claims/{claim_id}/attachments").get_data(as_text=True)
    assert 'data-confirm="确定删除附件“培训计划.pdf”吗？"' in page
    assert gz.post(f"/claims/{claim_id}/attachments/{attachment_id}/delete",
                   data={"csrf_token": token(gz)}).status_code == 302
    with app.app_context():
        assert db.session.get(Attachment, attachment_id) is None


# ---- 办理结果 ---------------------------------------------------------------------------------------------------


def test_results_filters(app, gz, cls_id):
    draft = new_claim(gz, cls_id)
    submitted = ready_claim(app, gz, cls_id)
    gz.post(f"/claims/{submitted}/do/submit", data={"csrf_token": token(gz)})
    balance = new_claim(gz, cls_id, stage="BALANCE")
    ids = lambda r: {int(i) for i in re.findall(r'<tr data-claim-id="(\d+)"', r.get_data(as_text=True))}  # noqa
    assert ids(gz.get("/claims/results")) == {draft, submitted, balance}
    assert ids(gz.get("/claims/results?stage=BALANCE")) == {balance}
    assert ids(gz.get("/claims/results?status=SUBMITTED")) == {submitted}
    with app.app_context():
        day = db.session.get(SubsidyClaim, submitted).submitted_at
    from core.clock import format_local

    local_day = format_local(day, "%Y-%m-%d")
    assert ids(gz.get(f"/claims/results?submitted_from={local_day}&submitted_to={local_day}")) == {submitted}
    assert ids(gz.get("/claims/results?submitted_from=2000-01-01&submitted_to=2000-01-02")) == set()
    bad = gz.get("/claims/results?submitted_from=2026-13-45")
    assert bad.status_code == 200
    assert any("提交日期起格式不正确" in m for m in field_errors(bad, "submitted_from"))
    assert 'id="filter-errors"' in bad.get_data(as_text=True) and 'value="2026-13-45"' in bad.get_data(as_text=True)
    reversed_ = gz.get("/claims/results?submitted_from=2026-05-02&submitted_to=2026-05-01")
    assert field_errors(reversed_, "submitted_to")


def test_results_are_paged_on_the_server(app, gz, cls_id):
    with app.app_context():
        for _ in range(21):
            ca.create_claim(db.session, factories.actor("ent_gz"), {"training_class_id": cls_id, "stage": "ADVANCE",
                                                                    "commitment_accepted": True})
        db.session.commit()
    rows = lambda r: re.findall(r'<tr data-claim-id="(\d+)"', r.get_data(as_text=True))  # noqa: E731
    first = gz.get("/claims/results")
    assert len(rows(first)) == 20 and "共 21 条，每页 20 条，第 1 / 2 页" in text_of(first)
    second = gz.get("/claims/results?page=2")
    assert len(rows(second)) == 1 and rows(second)[0] not in rows(first)
    assert len(rows(gz.get("/claims/results?size=50"))) == 21
    assert '<option value="50" selected>' in gz.get("/claims/results?size=50&stage=ADVANCE").get_data(as_text=True)
    assert 'page=2' in first.get_data(as_text=True) and "size=20" in first.get_data(as_text=True)  # the pager keeps it


def test_results_bulk_delete_of_drafts(app, gz, cls_id):
    first, second = new_claim(gz, cls_id), new_claim(gz, cls_id)
    page = gz.get("/claims/results").get_data(as_text=True)
    assert 'id="bulk-delete"' in page and 'form="bulk-subsidy_claim"' in page
    response = gz.post("/rows/subsidy_claim/delete", data={"csrf_token": token(gz), "pk": [str(first), str(second)],
                                                           "next": "/claims/results"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/claims/results")
    assert claim_row(app, first) is None and claim_row(app, second) is None


def test_results_row_actions_come_back_to_the_list(app, gz, cls_id):
    claim_id = new_claim(gz, cls_id)
    response = gz.post(f"/claims/{claim_id}/do/delete",
                       data={"csrf_token": token(gz), "next": "/claims/results?stage=ADVANCE"})
    assert response.headers["Location"].endswith("/claims/results?stage=ADVANCE")
    assert claim_row(app, claim_id) is None


# ---- scope, roles, CSRF -------------------------------------------------------------------------------------


def claim_urls(app, claim_id: int) -> tuple[list[str], list[tuple[str, dict]]]:
    """Every GET and POST URL of one claim (with its person and attachment)."""
    with app.app_context():
        person = db.session.scalars(select(SubsidyClaimPerson.id).where(
            SubsidyClaimPerson.subsidy_claim_id == claim_id)).first()
        attachment = db.session.scalars(select(Attachment.id).where(Attachment.subsidy_claim_id == claim_id)).first()
        trainee = db.session.scalars(select(SubsidyClaimPerson.trainee_id).where(
            SubsidyClaimPerson.subsidy_claim_id == claim_id)).first()
    gets = [f"/claims/{claim_id}/{tab}" for tab in ("unit", "persons", "attachments", "submit")] + [
        f"/claims/{claim_id}/persons/pick", f"/claims/{claim_id}/form.pdf", f"/claims/{claim_id}/roster.pdf",
        f"/claims/{claim_id}/roster.xlsx", f"/claims/attachment/{attachment}"]
    posts = [
        (f"/claims/{claim_id}/unit/save", {"bank_name": "x"}),
        (f"/claims/{claim_id}/persons/add", {"trainee_id": str(trainee)}),
        (f"/claims/{claim_id}/persons/add_all", {}),
        (f"/claims/{claim_id}/persons/remove", {"pk": str(person)}),
        (f"/claims/{claim_id}/persons/{person}/save", {"certificate_no": "X"}),
        (f"/claims/{claim_id}/attachments/{attachment}/delete", {}),
        (f"/claims/{claim_id}/do/delete", {}),
        (f"/claims/{claim_id}/do/submit", {}),
    ]
    return gets, posts


def test_another_enterprise_gets_404_everywhere(app, client, cls_id):
    login(client, "ent_gz")
    claim_id = ready_claim(app, client, cls_id)
    gets, posts = claim_urls(app, claim_id)
    client.post("/logout/", data={"csrf_token": token(client)})
    assert login(client, "ent_sz").status_code == 302
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token(client), **data}).status_code == 404, url
    upload = client.post(f"/claims/{claim_id}/attachments/upload",
                         data={"csrf_token": token(client), "kind": "OTHER", "file": (io.BytesIO(PDF), "x.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 404
    assert client.post("/rows/subsidy_claim/delete", data={"csrf_token": token(client),
                                                           "pk": str(claim_id)}).status_code == 404
    assert claim_row(app, claim_id).status == ClaimStatus.DRAFT and len(person_ids(app, claim_id)) == 5
    assert f'data-claim-id="{claim_id}"' not in client.get("/claims/results").get_data(as_text=True)


@pytest.mark.parametrize("username", ["gz_reviewer", "admin"])
def test_reviewer_and_admin_get_403_on_the_enterprise_screens(app, client, cls_id, username):
    login(client, "ent_gz")
    claim_id = ready_claim(app, client, cls_id)
    client.post(f"/claims/{claim_id}/do/submit", data={"csrf_token": token(client)})  # visible to gz_reviewer
    gets, posts = claim_urls(app, claim_id)
    client.post("/logout/", data={"csrf_token": token(client)})
    assert login(client, username).status_code == 302
    for url in ["/claims/apply", "/claims/results", *gets]:
        assert client.get(url).status_code == 403, url
    for url, data in [("/claims/apply", {"commitment_accepted": "1", "training_class_id": str(cls_id),
                                         "stage": "ADVANCE"}), *posts]:
        assert client.post(url, data={"csrf_token": token(client), **data}).status_code == 403, url
    assert claim_row(app, claim_id).status == ClaimStatus.SUBMITTED


def test_csrf_is_required_on_every_post(app, gz, cls_id):
    claim_id = ready_claim(app, gz, cls_id)
    _gets, posts = claim_urls(app, claim_id)
    for url, data in [("/claims/apply", {"commitment_accepted": "1", "training_class_id": str(cls_id),
                                         "stage": "ADVANCE"}), *posts]:
        assert gz.post(url, data=data).status_code == 400, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 1
    assert claim_row(app, claim_id).status == ClaimStatus.DRAFT and len(person_ids(app, claim_id)) == 5


def test_anonymous_goes_to_the_login_page(client, cls_id):
    for url in ("/claims/apply", "/claims/results"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.headers["Location"]
