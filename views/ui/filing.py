"""备案申请 screens of the enterprise (manual §3.2.1.1, §3.2.3.2) and its 办理结果 list (§3.2.1.2, §3.2.2.2).

Both programmes share one implementation: the programme and the apprenticeship type are data
(``actions.filings.TYPE_RULES``). Screens of ``FilingView``:

- ``/filing/apply/<programme>``: 承诺书 shown in full + 学徒制培训类型 (R1–R3); POST creates the DRAFT filing.
- ``/filing/<id>/<tab>``: the tabbed filing page (``FilingView.tab``); editable only for the enterprise while
  DRAFT/RETURNED, read-only otherwise (reviewers of the filing city open the same page: no forms at all).
- ``/filing/results/<programme>``: 办理结果 with query conditions, pagination and 【进入处理】.
- ``/filing/attachment/<id>``: preview / download of a material (``views.downloads.attachment_response``).

Views are thin: every write calls one function of actions/ (rules, scope and audit live there) through
``views.glue.attempt`` (commit once) and shows each FieldError under its field with the user's input kept in the
form (``views.ui.forms``). The menu entries 备案申请 / 办理结果 are in ``views/menu.py``.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from actions import attachments as attachment_actions
from actions import checklist as checklist_actions
from actions import filings as fa
from actions.specs import ATTACHMENT, COURSE, FILING_INFO, INSTITUTION, TEACHER, TRAINEE, TRAINING_CLASS
from actions.transitions import FILING_EDITABLE
from actions.workflow import workflow
from core.clock import today
from core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from models.base import db
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    CourseMode,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TeacherKind,
    TraineeStatus,
    TYPES_BY_PROGRAMME,
)
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel, TrainingInstitution
from models.scope import current_actor, load_scoped
from models.security import AppUser
from queries import filings as filing_queries
from queries.children import PAGE_SIZES, ListArgs, attachment_kinds, child_page
from queries.sorting import Sort
from views.downloads import attachment_response
from views.glue import attempt
from views.ui.row_actions import dispatch, offered
from views.ui.forms import (abort_for, endpoint_exists, error_map, posted, posted_file, programme_or_404,
                            row_values)

#: Tab key → (label, which child kind of actions.filings.save_child it edits, or None).
TABS: dict[str, tuple[Any, Optional[str]]] = {
    "info": (_l("企业信息"), None),  # manual §3.2.1.1: 在企业信息tab页点击【提交审核】
    "institution": (_l("培训机构情况"), None),
    "classes": (_l("培训信息"), "training_class"),
    "teachers": (_l("培训师资信息"), "teacher"),
    "trainees": (_l("培训人员信息"), "trainee"),
    "courses": (_l("培训课程信息"), "course"),
    "attachments": (_l("上传材料"), None),
    "submit": (_l("提交审核"), None),
}
ROW_TABS = {tab: kind for tab, (_label, kind) in TABS.items() if kind}
#: The fields each form posts (FieldError.field equals these keys).
#: The field spec each tab's form is built from (actions/specs.py): labels, limits, hints, the posted names.
TAB_SPECS = {"info": FILING_INFO, "institution": INSTITUTION, "classes": TRAINING_CLASS, "teachers": TEACHER,
             "trainees": TRAINEE, "courses": COURSE, "attachments": ATTACHMENT}
#: The fields each form posts (FieldError.field equals these keys): the specs', and the row actions' inputs.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    **{tab: spec.form_fields() for tab, spec in TAB_SPECS.items()},
    "lost": tuple(item.name for item in workflow("trainee").transition("mark_lost").inputs),
    "apply": ("commitment_accepted", "apprenticeship_type"),
}
ROW_MODELS = {"training_class": TrainingClass, "teacher": Teacher, "trainee": Trainee, "course": Course}
IMPORT_KINDS = {"classes": "training_class", "teachers": "teacher", "trainees": "trainee", "courses": "course"}
STATUS_STYLE = {
    FilingStatus.DRAFT: "default",
    FilingStatus.SUBMITTED: "primary",
    FilingStatus.RETURNED: "warning",
    FilingStatus.APPROVED: "success",
    FilingStatus.CANCELLED: "default",
}


#: Tabs whose rows are a paged, searchable list (queries/children.py).
CHILD_TABS = ("classes", "teachers", "trainees", "courses", "attachments")


def _list_url_args(list_args: ListArgs, changes: dict) -> dict:
    """URL arguments of a child-list link: the list's position with ``changes`` (q / page / size and others)."""
    position = {key: changes.pop(key) for key in ("q", "page", "size") if key in changes}
    return {**list_args.as_args(**position), **changes}


def _back_to(filing_id: int, tab: str) -> str:
    """The tab as the user left it: its list's search, page and page size come back with the form's URL."""
    return url_for("FilingView.tab", filing_id=filing_id, tab=tab, **ListArgs.from_args(request.args).as_args())


class FilingView(BaseView):
    """备案申请 / 办理结果 / the tabbed filing page, for both programmes."""

    route_base = "/filing"
    default_view = "results_default"
    class_permission_name = "Filing"
    method_permission_name = {
        "results_default": "read",
        "results": "read",
        "tab": "read",
        "attachment": "read",
        "apply": "write",
        "save": "write",
        "delete_row": "write",
        "upload": "write",
        "transition": "write",
        "mark_lost": "write",
    }

    # -----------------------------------------------------------------------------------------------------
    # 申请备案: 承诺书 + 学徒制培训类型 (R1, R2, R3)
    # -----------------------------------------------------------------------------------------------------

    @expose("/apply/<programme>", methods=["GET", "POST"])
    @has_access
    def apply(self, programme: str):
        programme = programme_or_404(programme)
        actor = current_actor()
        values = {"commitment_accepted": "", "apprenticeship_type": ""}
        errors: dict[str, list[str]] = {}
        general: list[str] = []
        if request.method == "POST":
            values = posted(FORM_FIELDS["apply"])
            accepted = request.form.get("commitment_accepted") in ("1", "on", "true", "y")
            error, result = attempt(fa.create_filing, actor, programme, values["apprenticeship_type"] or None,
                                  accepted)
            if error is None:
                flash(str(_l("已确认承诺书并创建备案申请，请逐页填写并保存，完成后在“备案信息”页点击【提交审核】")),
                      "success")
                return redirect(url_for("FilingView.tab", filing_id=result.id, tab="info"))
            abort_for(error)
            errors, general = error_map(error, FORM_FIELDS["apply"] + ("programme",))
            if "programme" in errors:
                general += errors.pop("programme")
        enterprise = None
        if actor.is_enterprise:
            from models.enterprise import Enterprise

            enterprise = db.session.get(Enterprise, actor.enterprise_id)
        recognised = bool(enterprise) and fa.has_valid_recognition(db.session, enterprise.id, enterprise.city_code)
        types = [(code, ApprenticeshipType.label(code), fa.requires_recognition(programme, code))
                 for code in TYPES_BY_PROGRAMME[programme]]
        body = self.render_template(
            "filing/apply.html", programme=programme, programme_label=Programme.label(programme),
            enterprise=enterprise, types=types, values=values, errors=errors, general=general,
            recognised=recognised, today=today(),
        )
        return body, (422 if errors or general else 200)

    # -----------------------------------------------------------------------------------------------------
    # 办理结果
    # -----------------------------------------------------------------------------------------------------

    @expose("/results/")
    @has_access
    def results_default(self):
        return redirect(url_for("FilingView.results", programme=Programme.ENTERPRISE))

    @expose("/results/<programme>")
    @has_access
    def results(self, programme: str):
        programme = programme_or_404(programme)
        actor = current_actor()
        filters = filing_queries.ResultFilters.from_args(programme, request.args)
        sort = Sort.from_args(request.args, filing_queries.SORT_COLUMNS)  # issue 12: whitelisted sort/dir
        found = filing_queries.results_page(db.session, actor, filters, request.args.get("page", 1), sort=sort)
        page = found.page
        keep = filters.as_args()
        base = url_for("FilingView.results", programme=programme)

        def page_url(n: int) -> str:
            return base + "?" + urlencode({**keep, **sort.as_args(), "page": n})

        def sort_url(key: str) -> str:
            return base + "?" + urlencode({**keep, **sort.toggled(key, filing_queries.SORT_COLUMNS).as_args()})

        return self.render_template(
            "filing/results.html", programme=programme, programme_label=Programme.label(programme),
            filings=page.items, classes=found.classes, trainees=found.trainees, total=page.total, page=page.page,
            pages=page.pages, page_url=page_url, query=filters.values, errors=filters.errors,
            occupations=filing_queries.active_occupations(db.session),
            types=[(c, ApprenticeshipType.label(c)) for c in TYPES_BY_PROGRAMME[programme]],
            statuses=FilingStatus.choices(), status_style=STATUS_STYLE, type_label=ApprenticeshipType.label,
            status_label=FilingStatus.label, can_apply=actor.is_enterprise, page_size=page.page_size,
            sort=sort, sort_url=sort_url,
        )

    # -----------------------------------------------------------------------------------------------------
    # The tabbed filing page
    # -----------------------------------------------------------------------------------------------------

    def _load(self, filing_id: int) -> Filing:
        try:
            return fa.load_filing(db.session, current_actor(), filing_id)
        except NotFound:
            abort(404)

    @staticmethod
    def _tabs_of(filing: Filing, editable: bool) -> list[str]:
        rules = fa.rules_for(filing)
        tabs = [t for t in TABS if t != "courses" or rules.has_courses]
        if not editable:
            tabs.remove("submit")
        return tabs

    def _render(self, filing: Filing, tab: str, *, form_values: Optional[dict] = None,
                form_errors: Optional[dict] = None, general: Optional[list] = None, form_mode: Optional[str] = None,
                edit_row: Any = None, lost_form: Optional[dict] = None, status: int = 200):
        """Render one tab of the filing page (``form_*`` carry the user's input and errors after a failed save)."""
        actor = current_actor()
        session = db.session
        editable = actor.is_enterprise and filing.status in FILING_EDITABLE
        tabs = self._tabs_of(filing, editable)
        if tab not in tabs and tab != "submit":  # the checklist stays readable once submitted
            abort(404)
        rules = fa.rules_for(filing)
        kind = ROW_TABS.get(tab)
        counts = fa.count_rows(session, filing)
        form_values = dict(form_values or {})
        # Which form to show on a row tab: an explicit 新增/修改, a failed save, or the empty list's first row.
        if editable and kind and form_mode is None:
            edit_pk = request.args.get("edit")
            if edit_pk:
                row = self._row_or_404(filing, kind, edit_pk)
                edit_row, form_mode = row, "edit"
                form_values = row_values(row, FORM_FIELDS[tab])
            elif request.args.get("new") or not counts.get(tab):
                form_mode = "new"
        if form_mode == "new" and kind == "training_class" and rules.single_class and filing.classes \
                and not form_errors:
            form_mode = None  # R4: the one 培训信息 exists; only 修改 remains
        if tab == "info" and not form_values:
            form_values = row_values(filing, FORM_FIELDS["info"])
        if tab == "institution" and not form_values:
            form_values = {"institution_id": str(filing.institution_id) if filing.institution_id else
                           ("other" if filing.other_institution_name else ""),
                           "other_institution_name": filing.other_institution_name or ""}
        context: dict[str, Any] = {}
        if tab == "info":
            from queries.audit import timeline_context  # the 审核记录 timeline shared with the reviewer's page

            context.update(timeline_context(session, actor, filing))
            accepted_by = session.get(AppUser, filing.commitment_accepted_by_id) \
                if filing.commitment_accepted_by_id else None
            name = f"{accepted_by.first_name or ''}{accepted_by.last_name or ''}" if accepted_by else ""
            context["accepted_by_label"] = (f"{name}（{accepted_by.username}）" if name else accepted_by.username) \
                if accepted_by else "—"
        if tab == "institution":
            context["institutions"] = session.scalars(
                select(TrainingInstitution).where(TrainingInstitution.active.is_(True))
                .order_by(TrainingInstitution.name)).all()
        if tab == "classes":
            context["occupation_options"] = [
                (code, f"{code} {name}") for code, name in session.execute(
                    select(Occupation.code, Occupation.name).where(Occupation.active.is_(True))
                    .order_by(Occupation.code))]
            context["level_options"] = [
                (lv.level, lv.name) for lv in session.scalars(select(SkillLevel).order_by(SkillLevel.level.desc()))
                if rules.min_skill_level is None or lv.level <= rules.min_skill_level]
        list_args = ListArgs.from_args(request.args)
        if tab in CHILD_TABS:  # issue 12: every child list pages on the server and searches
            context["rows_page"] = child_page(session, filing, tab, list_args)
            context["rows"] = context["rows_page"].items
        if tab == "attachments":
            context["present_kinds"] = attachment_kinds(session, filing)
        if tab in ("submit",):
            context["checklist"] = checklist_actions.build_checklist(session, filing)
        if tab == "trainees":
            context["lost_form"] = lost_form
            if lost_form is None and filing.status == FilingStatus.APPROVED and actor.is_enterprise \
                    and request.args.get("lost"):
                trainee = self._row_or_404(filing, "trainee", request.args.get("lost"))
                if trainee.status == TraineeStatus.ACTIVE:
                    context["lost_form"] = {"trainee": trainee, "values": {"lost_reason": "",
                                                                           "lost_date": today().isoformat()},
                                            "errors": {}, "general": []}
        import_url = None
        if editable and tab in IMPORT_KINDS and endpoint_exists("FilingImportView.upload"):
            import_url = url_for("FilingImportView.upload", filing_id=filing.id, kind=IMPORT_KINDS[tab])
        print_url = None
        if filing.status == FilingStatus.APPROVED and endpoint_exists("FilingPrintView.form_pdf"):
            print_url = url_for("FilingPrintView.form_pdf", filing_id=filing.id)
        actions = {t.action: t for t in offered("filing", filing, None)}  # the table's rows this user may run
        body = self.render_template(
            "filing/filing.html", filing=filing, tab=tab, tabs=[(t, TABS[t][0]) for t in tabs], rules=rules,
            editable=editable, counts=counts, form_values=form_values, form_errors=form_errors or {},
            general=general or [], form_mode=form_mode, edit_row=edit_row, import_url=import_url,
            print_url=print_url, actions=actions, actor=actor, status_style=STATUS_STYLE,
            status_label=FilingStatus.label, type_label=ApprenticeshipType.label,
            programme_label=Programme.label(filing.programme), TeacherKind=TeacherKind, Education=Education,
            CourseMode=CourseMode, AttachmentKind=AttachmentKind, Gender=Gender, TraineeStatus=TraineeStatus,
            FilingStatus=FilingStatus, contract_label=_l("劳动合同") if rules.labour_contract else _l("学徒培训协议"),
            upload_max_mb=current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024) // (1024 * 1024),
            spec_fields=TAB_SPECS[tab].fields_for(filing.apprenticeship_type) if tab in TAB_SPECS else [],
            list_args=list_args, page_sizes=PAGE_SIZES,
            tab_url=lambda **kw: url_for("FilingView.tab", filing_id=filing.id, tab=tab, **_list_url_args(list_args, kw)),
            **context,
        )
        return body, status

    @staticmethod
    def _row_or_404(filing: Filing, kind: str, pk: Any) -> Any:
        """A child row of this filing, loaded through the scope (anything else answers 404)."""
        try:
            row = load_scoped(db.session, ROW_MODELS[kind], pk, current_actor())
        except NotFound:
            abort(404)
        owner = fa.CHILD_KINDS[kind].filing_of(row)
        if owner.id != filing.id:
            abort(404)
        return row

    @expose("/<int:filing_id>/<tab>")
    @has_access
    def tab(self, filing_id: int, tab: str):
        if tab not in TABS:
            abort(404)
        filing = self._load(filing_id)
        return self._render(filing, tab)

    # -----------------------------------------------------------------------------------------------------
    # Saving a tab (【保存】) and deleting rows
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:filing_id>/<tab>/save", methods=["POST"])
    @has_access
    def save(self, filing_id: int, tab: str):
        if tab not in ("info", "institution", *ROW_TABS):
            abort(404)
        actor = current_actor()
        fields = FORM_FIELDS[tab]
        data = posted(fields)
        pk = request.form.get("pk") or None
        if tab == "info":
            error, result = attempt(fa.save_filing_info, actor, filing_id, data)
        elif tab == "institution":
            error, result = attempt(fa.save_institution, actor, filing_id, data)
        else:
            error, result = attempt(fa.save_child, actor, ROW_TABS[tab], filing_id, data, pk)
        if error is None:
            flash(str(_l("%(tab)s已保存", tab=TABS[tab][0])), "success")
            for warning in fa.row_warnings({"id_number": getattr(result, "id_number", None)}):
                flash(str(_l("请核对：%(message)s", message=warning.message)), "warning")  # R8: saved anyway
            return redirect(_back_to(filing_id, tab))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(_back_to(filing_id, tab))
        filing = self._load(filing_id)
        errors, general = error_map(error, fields)
        edit_row = None
        if pk and tab in ROW_TABS:
            edit_row = self._row_or_404(filing, ROW_TABS[tab], pk)
        mode = "edit" if edit_row is not None else "new"
        general.insert(0, str(_l("保存失败，请按提示修改后重新保存")))
        return self._render(filing, tab, form_values=data, form_errors=errors, general=general, form_mode=mode,
                            edit_row=edit_row, status=422)

    @expose("/<int:filing_id>/<tab>/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete_row(self, filing_id: int, tab: str, pk: int):
        if tab not in (*ROW_TABS, "attachments"):
            abort(404)
        actor = current_actor()
        filing = self._load(filing_id)
        if tab == "attachments":
            row = self._attachment_of(filing, pk)
            error, _ = attempt(attachment_actions.delete_attachment, actor, row.id)
        else:
            row = self._row_or_404(filing, ROW_TABS[tab], pk)
            error, _ = attempt(fa.delete_child, actor, ROW_TABS[tab], row.id)
        if error is None:
            flash(str(_l("已删除")), "success")
        else:
            abort_for(error)
            flash(str(error.message), "danger")
        return redirect(_back_to(filing_id, tab))

    @staticmethod
    def _attachment_of(filing: Filing, pk: Any) -> Attachment:
        try:
            row = load_scoped(db.session, Attachment, pk, current_actor())
        except NotFound:
            abort(404)
        if row.filing_id != filing.id:
            abort(404)
        return row

    # -----------------------------------------------------------------------------------------------------
    # 上传材料 and preview / download
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:filing_id>/attachments/upload", methods=["POST"])
    @has_access
    def upload(self, filing_id: int):
        actor = current_actor()
        kind = request.form.get("kind", "")
        name, content = posted_file()
        error, result = attempt(attachment_actions.add_attachment, actor, filing_id, kind, name, content)
        if error is None:
            flash(str(_l("材料“%(name)s”已上传", name=result.file_name)), "success")
            return redirect(_back_to(filing_id, "attachments"))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(_back_to(filing_id, "attachments"))
        filing = self._load(filing_id)
        errors, general = error_map(error, FORM_FIELDS["attachments"])
        return self._render(filing, "attachments", form_values={"kind": kind}, form_errors=errors,
                            general=general, status=422)

    @expose("/attachment/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        try:
            row = load_scoped(db.session, Attachment, attachment_id, current_actor())
        except NotFound:
            abort(404)
        return attachment_response(row, inline_allowed=True)

    # -----------------------------------------------------------------------------------------------------
    # 删除 / 提交审核 / 撤回, and 标记为流失
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:filing_id>/do/<action>", methods=["POST"])
    @has_access
    def transition(self, filing_id: int, action: str):
        """Any row of the filing table (删除 / 提交审核 / 撤回 …), run through ``views.ui.row_actions.dispatch``."""
        filing = self._load(filing_id)
        programme = filing.programme
        error, _ = dispatch("filing", action, filing_id)
        if error is not None:
            flash(str(error.message), "danger")
            if action == "submit" and isinstance(error, ValidationFailed):
                return redirect(url_for("FilingView.tab", filing_id=filing_id, tab="submit"))
            return redirect(url_for("FilingView.tab", filing_id=filing_id, tab="info"))
        if workflow("filing").transition(action).target in (None, FilingStatus.SUBMITTED):
            return redirect(url_for("FilingView.results", programme=programme))  # gone, or out of the user's hands
        return redirect(url_for("FilingView.tab", filing_id=filing_id, tab="info"))

    @expose("/<int:filing_id>/trainees/<int:trainee_id>/lost", methods=["POST"])
    @has_access
    def mark_lost(self, filing_id: int, trainee_id: int):
        filing = self._load(filing_id)
        trainee = self._row_or_404(filing, "trainee", trainee_id)
        values = posted(FORM_FIELDS["lost"])
        error, result = dispatch("trainee", "mark_lost", trainee.id, values)
        if error is None:
            return redirect(_back_to(filing_id, "trainees"))
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(_back_to(filing_id, "trainees"))
        filing = self._load(filing_id)
        trainee = self._row_or_404(filing, "trainee", trainee_id)
        errors, general = error_map(error, FORM_FIELDS["lost"])
        lost_form = {"trainee": trainee, "values": values, "errors": errors, "general": general}
        return self._render(filing, "trainees", lost_form=lost_form, status=422)
