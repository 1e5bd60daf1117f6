"""人员信息 of a 补贴申请 (manual §3.2.3.1 "点击新增或导入"; R20, R21): the persons tab and its forms.

- the tab (``persons_context``): the claim's persons paged on the server (20/50/100), searched by 姓名 / 身份证号码
  (masked on the list), each with 证书编号, 证书等级, 出勤率 (attended/due hours, R24), 申请金额 and the 预审结果 —
  live pre-checks for the page's persons only (``prechecks.evaluate(…, person_ids=page ids)``) while editable, the
  results stored at submission afterwards; ``?failing=1`` lists only the persons whose pre-checks fail;
- ``ClaimPersonsView``: 【新增】 a picker of the filing's trainees not yet in the claim (paged, searched, checkboxes,
  添加所选), 【全部添加在训人员】, 【删除】 the ticked persons (with confirmation), and the 证书编号 / 证书等级 form of a
  person (needed for 清算, R21). 【导入】 links to ``/claims/<id>/import`` (the import screen).
Writes through ``actions.subsidies.claims`` (all or nothing); refusals name the person and keep the input.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from actions.subsidies import claims as ca
from actions.subsidies import decisions, prechecks
from core.errors import NotFound, TransitionNotAllowed
from core.validators import mask_id_number
from models.base import db
from models.enums import ClaimStatus, Gender, TraineeStatus
from models.lookups import SkillLevel
from models.scope import load_scoped
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from queries import claims as cq
from views.glue import attempt
from views.ui.claims import claim_url, enterprise_actor, is_editable, load_claim_or_404, render_claim
from views.ui.forms import abort_for, error_map, posted

PERSON_FIELDS = ca.PERSON_FIELDS


def _list_args() -> dict[str, str]:
    """The list's search, page size, failing filter and page as typed (for links and forms)."""
    source = request.values
    out = {"q": (source.get("q") or "").strip(), "size": str(cq.page_size(source.get("size"))),
           "failing": "1" if source.get("failing") == "1" else "", "page": source.get("page") or ""}
    return {k: v for k, v in out.items() if v}


def _level_names(session) -> dict[int, str]:
    return dict(session.execute(select(SkillLevel.level, SkillLevel.name)).all())


def _percent(attended: int, due: int) -> Optional[str]:
    if not due:
        return None
    return f"{attended * 100 / due:.1f}%"


def _display_checks(checks: list[dict]) -> tuple[list[tuple[str, str]], list[str]]:
    """``([(label, message)] of the failing checks, [labels of the passing checks])`` in check order."""
    failing, passing = [], []
    for c in checks or []:
        label = str(prechecks.CHECKS.get(c.get("code"), c.get("code")))
        if c.get("ok"):
            passing.append(label)
        else:
            failing.append((label, c.get("message") or ""))
    return failing, passing


def persons_context(claim: SubsidyClaim, *, edit: Optional[dict] = None) -> dict[str, Any]:
    """What the 人员信息 tab shows: one page of persons with their pre-checks (R21) and amounts (R22)."""
    session = db.session
    editable = is_editable(claim)
    args = _list_args()
    size = cq.page_size(args.get("size"))
    only_ids = None
    failing_total = None
    if args.get("failing"):
        every = prechecks.evaluate(session, claim)
        only_ids = [r.person_id for r in every if not r.ok]
        failing_total = len(only_ids)
    found = cq.persons_page(session, claim, args.get("q", ""), args.get("page", 1), size, only_ids)
    ids = [row["person_id"] for row in found.items]
    live = {r.person_id: r for r in prechecks.evaluate(session, claim, person_ids=ids)}
    levels = _level_names(session)
    stored = not editable  # once submitted: the results and amounts as submitted (what the reviewer sees)
    rows = []
    for row in found.items:
        result = live.get(row["person_id"])
        checks = row["precheck"] if stored and row["precheck"] else (result.checks if result else [])
        failing, passing = _display_checks(checks)
        amount = row["amount"] if stored and row["amount"] is not None else (result.amount if result else None)
        attended, due = (result.attended_hours, result.due_hours) if result else (0, 0)
        rows.append({**row, "id_masked": mask_id_number(row["id_number"]), "level_name": levels.get(row["skill_level"]),
                     "attended": attended, "due": due, "rate": _percent(attended, due), "amount": amount,
                     "failing": failing, "passing": passing, "ok": not failing and bool(checks),
                     "attendance_failed": any(c.get("code") == "attendance" and not c.get("ok") for c in checks or []),
                     "decision_label": decisions.DECISIONS.get(row["decision"]) if row["decision"] else None})
    edit_pk = request.args.get("edit")
    if edit is None and editable and edit_pk and edit_pk.isdigit():
        match = next((r for r in found.items if r["person_id"] == int(edit_pk)), None)
        if match is not None:
            edit = {"person_id": match["person_id"], "name": match["name"],
                    "values": {"certificate_no": match["certificate_no"] or "",
                               "skill_level": str(match["skill_level"] or "")}, "errors": {}, "general": []}
    keep = {k: v for k, v in args.items() if k != "page"}

    def page_url(n: int) -> str:
        return claim_url(claim.id, "persons") + "?" + urlencode({**keep, "page": n})

    return {"persons": rows, "found": found, "page_url": page_url, "list_args": args, "keep_args": keep,
            "page_sizes": cq.PAGE_SIZES, "size": size, "failing_total": failing_total,
            "addable": cq.addable_count(session, claim) if editable else 0, "edit": edit,
            "level_options": sorted(levels.items(), key=lambda kv: -kv[0]), "stored": stored,
            "import_url": f"/claims/{claim.id}/import", "approved": claim.status == ClaimStatus.APPROVED,
            "threshold": prechecks.percent(prechecks.threshold())}


class ClaimPersonsView(BaseView):
    """【新增】 / 【全部添加在训人员】 / 【删除】 / 证书 of the persons of a claim (enterprise users, editable claims)."""

    route_base = "/claims"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"picker": "read", "add": "write", "add_all": "write", "remove": "write",
                              "save_person": "write"}

    def _editable_or_back(self, claim_id: int) -> Optional[Any]:
        claim = load_claim_or_404(claim_id)
        if not is_editable(claim):
            flash(str(_l("补贴申请已提交，不能修改；如需修改请先取消申请")), "warning")
            return None
        return claim

    # -----------------------------------------------------------------------------------------------------
    # 【新增】: the picker
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/persons/pick")
    @has_access
    def picker(self, claim_id: int):
        claim = self._editable_or_back(claim_id)
        if claim is None:
            return redirect(claim_url(claim_id, "persons"))
        return self._render_picker(claim)

    def _render_picker(self, claim: SubsidyClaim, *, chosen: Optional[set] = None, general: Optional[list] = None,
                       status: int = 200):
        source = request.values
        q = (source.get("q") or "").strip()
        size = cq.page_size(source.get("size"))
        found = cq.picker_page(db.session, claim, q, source.get("page", 1), size)
        keep = {k: v for k, v in {"q": q, "size": str(size)}.items() if v}

        def page_url(n: int) -> str:
            return url_for("ClaimPersonsView.picker", claim_id=claim.id) + "?" + urlencode({**keep, "page": n})

        rows = [{**row, "id_masked": mask_id_number(row["id_number"])} for row in found.items]
        return render_claim(self, claim, "persons", body="claims/picker.html", status=status, trainees=rows,
                            found=found, page_url=page_url, q=q, size=size, page_sizes=cq.PAGE_SIZES,
                            chosen=chosen or set(), general=general or [], TraineeStatus=TraineeStatus,
                            gender_label=Gender.label, addable=cq.addable_count(db.session, claim))

    @expose("/<int:claim_id>/persons/add", methods=["POST"])
    @has_access
    def add(self, claim_id: int):
        actor = enterprise_actor()
        load_claim_or_404(claim_id)
        ids = request.form.getlist("trainee_id")
        error, added = attempt(ca.add_persons, actor, claim_id, trainee_ids=ids)
        if error is None:
            flash(str(_l("已添加 %(n)d 名人员，请查看预审结果", n=added)), "success")
            return redirect(claim_url(claim_id, "persons"))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(claim_url(claim_id, "persons"))
        claim = load_claim_or_404(claim_id)
        _errors, general = error_map(error, ())
        if error.errors and len(error.errors) > 1:
            general.insert(0, str(error.message))
        return self._render_picker(claim, chosen=set(ids), general=general, status=422)

    @expose("/<int:claim_id>/persons/add_all", methods=["POST"])
    @has_access
    def add_all(self, claim_id: int):
        actor = enterprise_actor()
        load_claim_or_404(claim_id)
        error, added = attempt(ca.add_all_persons, actor, claim_id)
        if error is None:
            flash(str(_l("已添加全部在训人员 %(n)d 名，请查看预审结果", n=added)), "success")
        else:
            abort_for(error)
            flash(str(error.message if not error.errors else error.errors[0].message), "warning")
        return redirect(claim_url(claim_id, "persons"))

    # -----------------------------------------------------------------------------------------------------
    # 【删除】 and 证书
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/persons/remove", methods=["POST"])
    @has_access
    def remove(self, claim_id: int):
        actor = enterprise_actor()
        load_claim_or_404(claim_id)
        error, removed = attempt(ca.remove_persons, actor, claim_id, request.form.getlist("pk"))
        if error is None:
            flash(str(_l("已删除 %(n)d 名人员", n=removed)), "success")
        else:
            abort_for(error)
            flash(str(error.message if not error.errors else error.errors[0].message), "warning")
        back = {k: v for k, v in _list_args().items() if k != "page"}
        return redirect(claim_url(claim_id, "persons", **back))

    @expose("/<int:claim_id>/persons/<int:person_id>/save", methods=["POST"])
    @has_access
    def save_person(self, claim_id: int, person_id: int):
        actor = enterprise_actor()
        claim = load_claim_or_404(claim_id)
        try:
            person = load_scoped(db.session, SubsidyClaimPerson, person_id, actor)
        except NotFound:
            abort(404)
        if person.subsidy_claim_id != claim.id:
            abort(404)
        name = person.trainee.name
        values = posted(PERSON_FIELDS)
        error, _ = attempt(ca.update_person, actor, person_id, values)
        back = {k: v for k, v in _list_args().items()}
        if error is None:
            flash(str(_l("%(name)s 的证书信息已保存", name=name)), "success")
            return redirect(claim_url(claim_id, "persons", **back))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(claim_url(claim_id, "persons", **back))
        claim = load_claim_or_404(claim_id)
        errors, general = error_map(error, PERSON_FIELDS)
        edit = {"person_id": person_id, "name": name, "values": values, "errors": errors, "general": general}
        return render_claim(self, claim, "persons", status=422, **persons_context(claim, edit=edit))
