"""Registry imports (issue 14): 职业工种 from the 国家职业分类大典, 单位 and 培训机构 — at the action level (every rule, role
and scope), through the screens (check → preview with counts → confirm, the annotated error workbook) and the REST API
(``?dry_run=1``, 201, 400/403/422), with xlsx files made here by openpyxl and files re-saved by LibreOffice
(tests/fixtures/registry/make_fixtures.py).

Seed: cities, the sample occupations (6-18-01-01 车工 is used by the demo filings' classes; the others are not), the
demo enterprises (ent_gz's in 广州 4401, ent_sz's in 深圳 4403) and three demo institutions.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Optional

import openpyxl
import xlsxwriter
from sqlalchemy import func, select

from actions import registry_imports
from actions.registry_imports import import_registry
from core.errors import FieldError, Forbidden, ValidationFailed
from core.validators import complete_uscc
from imports import reader
from models.audit import AuditEvent
from models.base import db
from models.enterprise import Enterprise
from models.lookups import Occupation, TrainingInstitution
from tests import factories
from tests.conftest import csrf_token_from, login

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "registry"
OCC_HEADERS = ["职业编码", "职业名称", "工种"]
ENT_HEADERS = ["统一社会信用代码", "单位名称", "所在地市", "地址", "联系人", "联系电话"]
INST_HEADERS = ["机构名称", "统一社会信用代码", "所在地市", "联系电话", "启用"]
LIMITS = {"max_rows": 10_000, "max_bytes": 10 * 1024 * 1024, "max_uncompressed": 100 * 1024 * 1024}


# ---- helpers ------------------------------------------------------------------------------------------------

def book(headers: list[str], rows: list[list[Any]], *, text_columns: tuple[int, ...] = ()) -> bytes:
    """An xlsx with ``headers`` and ``rows`` (cells of ``text_columns`` formatted as text, as the template does)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for ci in text_columns:
        for cells in sheet.iter_rows(min_row=2, min_col=ci + 1, max_col=ci + 1):
            for cell in cells:
                cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(app, kind: str, content: bytes, username: str = "admin", *, dry_run: bool = False):
    """Read ``content`` and import it as ``username`` (committed unless dry); the result or the domain error."""
    with app.test_request_context():
        parsed = reader.read_workbook(content, "x.xlsx", registry_imports.columns(kind), **LIMITS)
        try:
            result = import_registry(db.session, factories.actor(username), kind, parsed.rows, dry_run=dry_run,
                                     sheet=parsed.sheet, source={"file_name": "x.xlsx"})
        except (ValidationFailed, Forbidden) as exc:
            db.session.rollback()
            return exc
        db.session.commit()
        return result


def located(error: ValidationFailed) -> set[tuple[Optional[int], Optional[str]]]:
    """(row, column) of every error."""
    return {(e.row, e.column) for e in error.errors}


def messages(error: ValidationFailed) -> str:
    return " | ".join(f"{e.row}:{e.column}:{e.message}" for e in error.errors)


def occupations(app) -> dict[str, tuple]:
    """code → (name, work_types, is_sample, active)."""
    with app.app_context():
        rows = db.session.execute(select(Occupation.code, Occupation.name, Occupation.work_types,
                                         Occupation.is_sample, Occupation.active)).all()
        return {code: tuple(rest) for code, *rest in rows}


def used_codes(app) -> set[str]:
    """The occupation codes the seed's training classes use."""
    from models.filing import TrainingClass

    with app.app_context():
        return set(db.session.scalars(select(TrainingClass.occupation_code).distinct()))


def enterprise(app, uscc: str) -> Optional[dict]:
    with app.app_context():
        row = db.session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        return None if row is None else {c: getattr(row, c) for c in ("name", "city_code", "address",
                                                                       "contact_name", "contact_phone")}


def uscc(city: str = "440101", letter: str = "9", n: Optional[int] = None) -> str:
    """A valid USCC; ``letter`` is the registration authority (1-9, A, N, Y)."""
    serial = factories.uscc(city)[10:17] if n is None else f"{n:07d}"
    return complete_uscc(f"{letter}1{city}MA{serial}")


def audit_events(app, entity: str, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == entity,
                                                                AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


def token(client) -> str:
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def upload(client, url: str, content: bytes, name: str = "导入.xlsx", action: str = "check"):
    return client.post(url, data={"csrf_token": token(client), "action": action,
                                  "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


# ---- 职业工种 (国家职业分类大典) ---------------------------------------------------------------------------------

DADIAN = [  # the 大典 layout: category rows, a 职业 per 工种, a 职业 without 工种
    ["6", "生产制造及有关人员", None],
    ["6-18", "机械制造基础加工人员", None],
    ["6-18-01", "机械冷加工人员", None],
    ["6-18-01-01", "车工", None],
    ["6-18-01-02", "铣工", None],
    ["6-18-01-07", "磨工", None],
    ["4-12-01-01", "汽车维修工", "汽车机械维修工"],
    ["4-12-01-01", "汽车维修工", "汽车电器维修工"],
    ["4-12-01-01", "汽车维修工", "汽车美容装潢工"],
    ["2-02-10-09", "人工智能工程技术人员", None],
]


def test_occupation_import_inserts_updates_merges_work_types_and_replaces_samples(app):
    before = occupations(app)
    assert before["6-18-01-01"][2] is True and before["6-31-01-03"][2] is True  # seed samples
    result = run(app, "occupation", book(OCC_HEADERS, DADIAN, text_columns=(0,)))
    assert not isinstance(result, Exception), messages(result)
    assert (result.count, result.created, result.updated, result.skipped) == (5, 2, 3, 3)
    after = occupations(app)
    # existing codes updated (the samples in the file become regular data), new ones inserted and active
    assert after["6-18-01-01"] == ("车工", None, False, True)
    assert after["4-12-01-01"] == ("汽车维修工", "汽车机械维修工、汽车电器维修工、汽车美容装潢工", False, True)
    assert after["6-18-01-07"] == ("磨工", None, False, True)
    assert after["2-02-10-09"][0] == "人工智能工程技术人员"
    # samples not in the file: unreferenced ones deleted, referenced ones deactivated; no category code stored
    used = used_codes(app)
    for code in ("6-18-02-04", "6-31-01-03", "4-03-02-01"):
        assert (after.get(code) == (before[code][0], None, True, False)) if code in used else code not in after
    assert sorted(result.samples_removed + result.samples_deactivated) == ["4-03-02-01", "6-18-02-04", "6-31-01-03"]
    assert result.samples_removed and not {"6", "6-18", "6-18-01"} & set(after)
    # one import event with the counts, the new codes and the before→after of the updated rows
    (event,) = audit_events(app, "occupation", "import")
    assert event.diff["created"] == 2 and event.diff["updated"] == 3 and event.diff["skipped"] == 3
    assert set(event.diff["new"]) == {"6-18-01-07", "2-02-10-09"}
    assert event.diff["changes"]["4-12-01-01"]["work_types"][0] is None
    assert event.diff["changes"]["6-18-01-01"]["is_sample"] == [True, False]
    assert event.diff["source"] == {"file_name": "x.xlsx"} and event.actor_name == "admin"
    # the same file again: nothing to change
    again = run(app, "occupation", book(OCC_HEADERS, DADIAN, text_columns=(0,)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_referenced_sample_is_deactivated_never_deleted(app):
    result = run(app, "occupation", book(OCC_HEADERS, [["6-18-01-02", "铣工", None]], text_columns=(0,)))
    assert not isinstance(result, Exception), messages(result)
    after = occupations(app)
    used = used_codes(app)
    assert "6-18-01-01" in used and "6-18-02-04" not in used  # the demo filings' classes
    assert "6-18-01-01" in result.samples_deactivated and "6-18-02-04" in result.samples_removed
    assert after["6-18-01-01"] == ("车工", None, True, False)  # kept, deactivated, still a sample
    assert "6-18-02-04" not in after and after["6-18-01-02"] == ("铣工", None, False, True)
    (event,) = audit_events(app, "occupation", "import")
    assert "6-18-01-01" in event.diff["samples_deactivated"] and "6-18-02-04" in event.diff["samples_removed"]


def test_a_file_without_work_type_column_keeps_the_stored_work_types(app):
    run(app, "occupation", book(OCC_HEADERS, [["4-12-01-01", "汽车维修工", "汽车机械维修工"]]))
    result = run(app, "occupation", book(["职业编码", "职业名称"], [["4-12-01-01", "汽车维修工（改）"]]))
    assert result.updated == 1
    assert occupations(app)["4-12-01-01"][:2] == ("汽车维修工（改）", "汽车机械维修工")


def test_bad_occupation_codes_are_named_by_row_and_column_and_nothing_changes(app):
    before = occupations(app)
    rows = [
        ["6-18-01-09", "好的一行", None],
        ["6-18-1-01", "格式不对", None],  # row 3
        ["9-01-01-01", "大类为9", None],  # row 4
        ["6-18-01-10", None, None],  # row 5: no name
        [None, "没有编码", None],  # row 6
        ["6-18-01-11", "名" * 129, None],  # row 7: too long
        ["０-18-01-01", "大类为0", None],  # row 8 (full-width digit normalised, then refused)
    ]
    error = run(app, "occupation", book(OCC_HEADERS, rows))
    assert isinstance(error, ValidationFailed)
    assert located(error) == {(3, "职业编码"), (4, "职业编码"), (5, "职业名称"), (6, "职业编码"), (7, "职业名称"),
                              (8, "职业编码")}, messages(error)
    text = messages(error)
    assert "d-dd-dd-dd" in text and "应为1至8" in text and "请填写职业名称" in text and "128" in text
    assert occupations(app) == before
    assert audit_events(app, "occupation", "import") == []


def test_a_code_excel_turned_into_a_date_is_explained(app):
    from datetime import datetime

    error = run(app, "occupation", book(OCC_HEADERS, [[datetime(2001, 6, 18), "车工", None],
                                                      ["6-18-01-01", "车工", None]]))
    assert isinstance(error, ValidationFailed)
    (only,) = error.errors
    assert (only.row, only.column) == (2, "职业编码") and "日期" in str(only.message) and "文本" in str(only.message)


def test_duplicates_in_the_file_are_named_with_both_rows(app):
    rows = [
        ["6-18-01-01", "车工", None],  # 2
        ["6-18-01-01", "车床工", None],  # 3: another name for the same code
        ["4-12-01-01", "汽车维修工", "汽车机械维修工"],  # 4
        ["4-12-01-01", "汽车维修工", "汽车机械维修工"],  # 5: the same 工种 twice
        ["6-18-01-02", "铣工", None],  # 6
        ["6-18-01-02", "铣工", None],  # 7: the same 职业 twice
    ]
    error = run(app, "occupation", book(OCC_HEADERS, rows))
    assert isinstance(error, ValidationFailed)
    by_row = {e.row: str(e.message) for e in error.errors}
    assert set(by_row) == {2, 3, 4, 5, 6, 7}
    assert "第 2、3 行" in by_row[2] and "第 2、3 行" in by_row[3] and "车工 / 车床工" in by_row[3]
    assert "第 4、5 行" in by_row[4] and "汽车机械维修工" in by_row[5]
    assert "第 6、7 行" in by_row[7]
    assert occupations(app)["6-18-01-01"][2] is True  # nothing changed


def test_three_thousand_rows_go_through_set_based(app):
    rows = [[f"{1 + i % 8}-{i // 100 % 100:02d}-{i % 100:02d}-{i // 10000 + 1:02d}", f"职业{i}",
             None if i % 3 else f"工种{i}"] for i in range(3000)]
    content = book(OCC_HEADERS, rows, text_columns=(0,))
    statements = []
    with app.app_context():
        from sqlalchemy import event

        def count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = run(app, "occupation", content)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert not isinstance(result, Exception), messages(result)[:500]
    assert result.count == 3000 and result.created == 3000
    assert len(statements) < 40, len(statements)  # a constant number of statements, never one per row
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Occupation).where(
            Occupation.name.like("职业%"))) == 3000


def test_occupation_and_institution_imports_are_the_admins(app):
    for kind in ("occupation", "training_institution"):
        for username in ("gz_reviewer", "ent_gz"):
            content = book(OCC_HEADERS, [["6-18-01-01", "车工", None]]) if kind == "occupation" else \
                book(INST_HEADERS, [["某培训学校", None, None, None, None]])
            assert isinstance(run(app, kind, content, username), Forbidden), (kind, username)
    assert occupations(app)["6-18-01-01"][2] is True


# ---- 单位 ---------------------------------------------------------------------------------------------------

def test_admin_imports_enterprises_creating_and_updating_by_uscc(app):
    gz_uscc = _demo_uscc(app, "ent_gz")
    authority_a, authority_n, authority_y = uscc(letter="A"), uscc("440301", letter="N"), uscc(letter="Y")
    rows = [
        [gz_uscc, "广州示范智能制造有限公司（更名）", "广州市", None, "王五", "13800138000"],  # update; address kept
        [authority_a, "A类单位", "4401", "广州市天河区1号", "赵六", "020-87654321"],  # city by code
        [authority_n, "N类单位", "深圳", None, None, None],  # city by short name
        [authority_y, "Y类单位", "4401 广州市", None, None, None],
    ]
    checked = run(app, "enterprise", book(ENT_HEADERS, rows, text_columns=(0, 5)), dry_run=True)
    assert not isinstance(checked, Exception), messages(checked)
    assert (checked.created, checked.updated, checked.unchanged) == (3, 1, 0)
    assert enterprise(app, authority_a) is None  # a dry run stores nothing
    result = run(app, "enterprise", book(ENT_HEADERS, rows, text_columns=(0, 5)))
    assert (result.created, result.updated) == (3, 1)
    updated = enterprise(app, gz_uscc)
    assert updated["name"] == "广州示范智能制造有限公司（更名）" and updated["contact_name"] == "王五"
    assert updated["address"] == "广州市黄埔区科学大道1号"  # an empty cell leaves the stored value
    assert enterprise(app, authority_a)["city_code"] == "4401"
    assert enterprise(app, authority_n)["city_code"] == "4403"
    # each enterprise's own event (its timeline), plus one import event with the counts
    updates = audit_events(app, "enterprise", "update")
    assert len(updates) == 1 and updates[0].diff["changes"]["contact_name"] == ["李四", "王五"]
    assert updates[0].city_code == "4401" and updates[0].enterprise_id is not None
    assert len(audit_events(app, "enterprise", "create")) == 3
    (event,) = audit_events(app, "enterprise", "import")
    assert (event.diff["created"], event.diff["updated"]) == (3, 1)


def _demo_uscc(app, username: str) -> str:
    with app.app_context():
        return factories.demo_enterprise(username).uscc


def test_bad_and_repeated_usccs_are_named(app):
    good = uscc()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        [good, "甲单位", "广州市", None, None, None],  # 2
        [bad_check, "乙单位", "广州市", None, None, None],  # 3: wrong check character
        ["91440101MA5D", "丙单位", "广州市", None, None, None],  # 4: too short
        [good, "甲单位重复", "广州市", None, None, None],  # 5: repeats row 2
        [uscc(), "丁单位", "火星市", None, None, None],  # 6: unknown city
        [uscc(), "戊单位", "广州市", None, None, "12345"],  # 7: bad phone
        [None, "己单位", None, None, None, None],  # 8: USCC and city missing
    ]
    error = run(app, "enterprise", book(ENT_HEADERS, rows))
    assert isinstance(error, ValidationFailed)
    assert located(error) == {(2, "统一社会信用代码"), (3, "统一社会信用代码"), (4, "统一社会信用代码"),
                              (5, "统一社会信用代码"), (6, "所在地市"), (7, "联系电话"), (8, "统一社会信用代码"),
                              (8, "所在地市")}, messages(error)
    by_row = {(e.row, e.column): str(e.message) for e in error.errors}
    assert "校验位" in by_row[(3, "统一社会信用代码")] and "18位" in by_row[(4, "统一社会信用代码")]
    assert "第 2、5 行" in by_row[(2, "统一社会信用代码")] and "第 2、5 行" in by_row[(5, "统一社会信用代码")]
    assert "火星市" in by_row[(6, "所在地市")]
    assert enterprise(app, good) is None


def test_reviewer_imports_its_city_only_and_never_moves_an_enterprise(app):
    own = uscc()
    rows = [[own, "本市新单位", "广州市", None, None, None],
            [uscc("440301"), "深圳的单位", "深圳市", None, None, None]]  # row 3: another city
    error = run(app, "enterprise", book(ENT_HEADERS, rows), "gz_reviewer")
    assert isinstance(error, ValidationFailed)
    assert located(error) == {(3, "所在地市")} and "本市（广州市）" in messages(error) and "深圳市" in messages(error)
    assert enterprise(app, own) is None  # the whole file refused
    # an enterprise registered in 深圳 cannot be taken over by 广州, whatever the row says
    sz_uscc = _demo_uscc(app, "ent_sz")
    error = run(app, "enterprise", book(ENT_HEADERS, [[sz_uscc, "改成广州的", "广州市", None, None, None]]),
                "gz_reviewer")
    assert isinstance(error, ValidationFailed) and located(error) == {(2, "统一社会信用代码")}
    assert "其他地市" in messages(error) and enterprise(app, sz_uscc)["city_code"] == "4403"
    # nor by the admin through an import (the city is edited on 单位信息)
    error = run(app, "enterprise", book(ENT_HEADERS, [[sz_uscc, "深圳示范", "广州市", None, None, None]]))
    assert isinstance(error, ValidationFailed) and located(error) == {(2, "所在地市")} and "深圳市" in messages(error)
    # its own city: created, and the import event carries the reviewer's city
    result = run(app, "enterprise", book(ENT_HEADERS, rows[:1]), "gz_reviewer")
    assert result.created == 1 and enterprise(app, own)["city_code"] == "4401"
    (event,) = audit_events(app, "enterprise", "import")
    assert event.city_code == "4401" and event.actor_name == "gz_reviewer"


def test_enterprise_users_may_not_import_enterprises(app):
    assert isinstance(run(app, "enterprise", book(ENT_HEADERS, [[uscc(), "单位", "广州市", None, None, None]]),
                          "ent_gz"), Forbidden)


# ---- 培训机构 ------------------------------------------------------------------------------------------------

def test_institution_import_by_name_with_optional_checked_uscc(app):
    code = uscc(letter="5")
    rows = [["广州示范技师学院（演示）", None, "广州市", "020-11112222", "否"],  # existing: update, deactivate
            ["新的培训学校", code, "佛山", None, None]]  # new: 启用 by default
    result = run(app, "training_institution", book(INST_HEADERS, rows))
    assert not isinstance(result, Exception), messages(result)
    assert (result.created, result.updated) == (1, 1)
    with app.app_context():
        rows_now = {i.name: i for i in db.session.scalars(select(TrainingInstitution))}
        assert rows_now["广州示范技师学院（演示）"].active is False
        assert rows_now["广州示范技师学院（演示）"].contact_phone == "020-11112222"
        assert rows_now["新的培训学校"].active is True and rows_now["新的培训学校"].city_code == "4406"
        assert rows_now["新的培训学校"].uscc == code
    (event,) = audit_events(app, "training_institution", "import")
    assert event.diff["changes"]["广州示范技师学院（演示）"]["active"] == [True, False]
    assert event.diff["new"] == ["新的培训学校"]
    # a repeated name, a bad USCC, a USCC another institution holds, a wrong 启用 value
    bad = [["甲学校", "12345", None, None, None],  # 2
           ["甲学校", None, None, None, None],  # 3
           ["乙学校", code, None, None, None],  # 4: held by 新的培训学校
           ["丙学校", None, None, None, "也许"]]  # 5
    error = run(app, "training_institution", book(INST_HEADERS, bad))
    assert isinstance(error, ValidationFailed)
    assert located(error) == {(2, "统一社会信用代码"), (2, "机构名称"), (3, "机构名称"), (4, "统一社会信用代码"),
                              (5, "启用")}, messages(error)
    assert "新的培训学校" in messages(error)


# ---- files: the reader's refusals, LibreOffice -------------------------------------------------------------

def test_libreoffice_saved_files_import(app):
    result = run(app, "occupation", (FIXTURES / "occupations_libreoffice.xlsx").read_bytes())
    assert not isinstance(result, Exception), messages(result)
    assert result.skipped == 3 and result.count == 5
    assert occupations(app)["4-12-01-01"][1] == "汽车机械维修工、汽车电器维修工、汽车美容装潢工"
    error = run(app, "enterprise", (FIXTURES / "enterprises_errors_libreoffice.xlsx").read_bytes())
    assert isinstance(error, ValidationFailed)
    assert located(error) == {(3, "统一社会信用代码"), (4, "统一社会信用代码"), (5, "统一社会信用代码")}, \
        messages(error)


# ---- screens -------------------------------------------------------------------------------------------------

def test_screen_check_preview_confirm_and_annotated_errors(app, client):
    login(client, "admin")
    page = client.get("/registry/occupation/import")
    assert page.status_code == 200 and "导入职业工种" in page.get_data(as_text=True)
    template = client.get("/registry/occupation/import/template")
    assert template.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = workbook["职业工种"]
    assert [c.value for c in sheet[1]] == ["大类", "中类", "小类", "*职业编码", "*职业名称", "工种"]
    assert sheet.column_dimensions["D"].number_format == "@" and "填写说明" in workbook.sheetnames

    bad = book(OCC_HEADERS, [["6-18-01-09", "好的", None], ["6-18-1", "坏的", None], ["6-18-01-99", None, None]])
    answer = upload(client, "/registry/occupation/import", bad)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'data-row="3"' in html and 'data-row="4"' in html
    assert 'data-row="2"' not in html and "download-errors" in html
    payload = html.split('name="content" value="')[1].split('"')[0]
    annotated = client.post("/registry/occupation/import/errors", data={
        "csrf_token": token(client), "content": payload, "file_name": "大典.xlsx"})
    assert annotated.status_code == 200
    marked = openpyxl.load_workbook(io.BytesIO(annotated.data)).active
    assert marked.cell(row=1, column=4).value == "错误说明" and "职业名称" in marked.cell(row=4, column=4).value

    good = book(OCC_HEADERS, DADIAN, text_columns=(0,))
    checked = upload(client, "/registry/occupation/import", good)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "将新增 2 条、更新 3 条" in html and "跳过大典分类行" in html
    assert "6-18-02-04" in html  # the samples to be removed are named
    assert "6-18-01-07" not in occupations(app)  # checking stores nothing
    payload = html.split('name="content" value="')[1].split('"')[0]
    done = client.post("/registry/occupation/import", data={"csrf_token": token(client), "action": "confirm",
                                                            "content": payload, "file_name": "大典.xlsx"})
    assert done.status_code == 302 and "/occupationview/list" in done.headers["Location"]
    assert occupations(app)["6-18-01-07"][0] == "磨工"


def test_reviewer_screen_and_template_offer_its_city(app, client):
    login(client, "gz_reviewer")
    page = client.get("/registry/enterprise/import")
    assert page.status_code == 200 and "本市（广州市）的单位" in page.get_data(as_text=True)
    template = client.get("/registry/enterprise/import/template")
    options = openpyxl.load_workbook(io.BytesIO(template.data))["选项"]
    assert [c.value for c in options["A"]][1:] == ["广州市"]
    own = uscc()
    checked = upload(client, "/registry/enterprise/import", book(ENT_HEADERS, [[own, "本市单位", "广州市", None,
                                                                                None, None]]))
    assert checked.status_code == 200 and "将新增 1 条、更新 0 条" in checked.get_data(as_text=True)
    assert client.get("/registry/occupation/import").status_code in (302, 403)


def test_enterprise_user_gets_no_import_screen(app, client):
    login(client, "ent_gz")
    for kind in ("occupation", "enterprise", "training_institution"):
        assert client.get(f"/registry/{kind}/import").status_code in (302, 403)


# ---- REST API ---------------------------------------------------------------------------------------------------

def test_api_dry_run_then_import(app, api):
    admin = api("admin")
    content = book(INST_HEADERS, [["接口培训学校", None, "4401", None, "是"]])
    checked = admin.post("/api/v1/training_institution/import?dry_run=1",
                         data={"file": (io.BytesIO(content), "机构.xlsx")}, content_type="multipart/form-data")
    body = checked.get_json()
    assert checked.status_code == 200 and body["dry_run"] is True and body["created"] == 1, body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TrainingInstitution)
                                 .where(TrainingInstitution.name == "接口培训学校")) == 0
    stored = admin.post("/api/v1/training_institution/import", data={"file": (io.BytesIO(content), "机构.xlsx")},
                        content_type="multipart/form-data")
    assert stored.status_code == 201 and stored.get_json()["created"] == 1
    template = admin.get("/api/v1/occupation/import/template")
    assert template.status_code == 200 and template.data[:2] == b"PK"


def test_api_refusals(app, api):
    admin = api("admin")
    no_file = admin.post("/api/v1/occupation/import", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.get_json()["errors"][0]["field"] == "file"
    not_xlsx = admin.post("/api/v1/occupation/import", data={"file": (io.BytesIO(b"code,name\n"), "x.xlsx")},
                          content_type="multipart/form-data")
    assert not_xlsx.status_code == 422 and "不是 Excel" in not_xlsx.get_json()["message"]
    broken = book(OCC_HEADERS, [["6-18-01-01", "车工", None]])[:300]
    assert admin.post("/api/v1/occupation/import", data={"file": (io.BytesIO(broken), "x.xlsx")},
                      content_type="multipart/form-data").status_code == 422
    out = io.BytesIO()  # a NUL byte in a cell (openpyxl refuses to write one; xlsxwriter escapes it as _x0000_)
    workbook = xlsxwriter.Workbook(out)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, OCC_HEADERS)
    sheet.write_row(1, 0, ["6-18-01-01", "车工\x00"])
    workbook.close()
    bad = admin.post("/api/v1/occupation/import", data={"file": (io.BytesIO(out.getvalue()), "x.xlsx")},
                     content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["row"] == 2
    enterprise_user = api("ent_gz")
    for kind in ("occupation", "enterprise", "training_institution"):
        answer = enterprise_user.post(f"/api/v1/{kind}/import", data={"file": (io.BytesIO(b"x"), "x.xlsx")},
                                      content_type="multipart/form-data")
        assert answer.status_code == 403, kind
    reviewer = api("sz_reviewer")
    refused = reviewer.post("/api/v1/enterprise/import?dry_run=1", data={"file": (io.BytesIO(book(ENT_HEADERS, [
        [uscc(), "广州的单位", "广州市", None, None, None]])), "x.xlsx")}, content_type="multipart/form-data")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["column"] == "所在地市"
    assert reviewer.post("/api/v1/occupation/import", data={"file": (io.BytesIO(b"x"), "x.xlsx")},
                         content_type="multipart/form-data").status_code == 403
