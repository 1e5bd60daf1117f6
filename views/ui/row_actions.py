"""Row actions on screens, rendered and dispatched from the transition tables (actions/transitions.py).

- ``offered(entity, row, screen)`` (a Jinja global): the rows of ``entity``'s table the current user may run on
  ``row`` on ``screen`` — ``templates/_row_actions.html`` turns them into buttons with their confirmation texts
  and inputs; a new table row is a new button with no view code.
- ``dispatch(entity, action, pk, data)``: the one place a screen runs a row action (scope, 403/404, one commit,
  the row's success message flashed). Screens with their own URL (``/filing/<id>/do/<action>``,
  ``/review/filing/<id>/<action>``) call it and only choose where to go next.
- ``RowActionView`` (``POST /rows/<entity>/<action>``): the bulk form of a list (rows chosen by checkboxes) for
  rows marked ``multi`` — all or nothing, e.g. deleting several drafts at once.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.utils.base import get_safe_redirect

from actions.workflow import Transition, actions_for, run, run_many, success_message, workflow
from core.errors import DomainError, NotFound
from models.scope import current_actor
from views.glue import attempt, flash_error
from views.ui.forms import abort_for


def offered(entity: str, row: Any, screen: str) -> list[Transition]:
    """The row actions the current user may run on ``row`` on ``screen`` (table order)."""
    if row is None:
        return []
    return actions_for(entity, getattr(row, workflow(entity).status_attr), current_actor(), screen)


def transition_or_404(entity: str, action: str) -> Transition:
    try:
        return workflow(entity).transition(action)
    except NotFound:
        abort(404)


def dispatch(entity: str, action: str, pk: Any, data: Optional[dict] = None) -> tuple[Optional[DomainError], Any]:
    """Run one row action through the table; flash its success message. A row out of scope answers 404, a role
    that may never run it 403; any other refusal is returned for the screen to show (``(error, None)``)."""
    t = transition_or_404(entity, action)
    error, result = attempt(run, current_actor(), entity, action, pk, data)
    if error is not None:
        abort_for(error)
        return error, None
    flash(success_message(t, result), "success")
    return None, result


def _back(default: str) -> str:
    return get_safe_redirect(request.form.get("next")) if request.form.get("next") else default


class RowActionView(BaseView):
    """``POST /rows/<entity>/<action>`` with one ``pk`` per chosen row: a list's bulk row action."""

    route_base = "/rows"
    class_permission_name = "Filing"
    method_permission_name = {"bulk": "read"}  # who may run it is the table's role, checked by the runner

    @expose("/<entity>/<action>", methods=["POST"])
    @has_access
    def bulk(self, entity: str, action: str):
        t = transition_or_404(entity, action)
        if not t.multi:
            abort(404)
        pks = request.form.getlist("pk")
        data = {item.name: request.form.get(item.name) for item in t.inputs}
        error, rows = attempt(run_many, current_actor(), entity, action, pks, data)
        if error is not None:
            abort_for(error)
            flash_error(error)
        else:
            flash(f"{success_message(t, None)}（{len(rows)}）", "success")
        return redirect(_back("/"))


def register(appbuilder) -> None:
    """The bulk endpoint and the ``offered`` template global."""
    appbuilder.add_view_no_menu(RowActionView())
    current_app.jinja_env.globals["offered"] = offered
