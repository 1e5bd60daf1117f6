"""事项办理 home page: the manual's tree of services for the user's role, with counters (DESIGN §6).

The tree is drawn from the menu table (``views.menu.home_tree``): it links only to menu entries the user sees.
"""
from __future__ import annotations

from typing import Optional

from flask import g
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models.base import db
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import FilingStatus
from models.filing import ChangeRequest, Filing, Trainee
from models.scope import Actor, current_actor, scope_condition
from models.subsidy import SubsidyClaim
from queries.registrations import pending_count
from queries.paging import COUNT_CAP, capped_count_of
from queries.trainees import in_training
from views import menu


def _shown(stmt) -> str:
    """A counter's number: exact up to COUNT_CAP, else "10,000+" (issue 15: the admin's counters counted a
    million trainees on every visit of the home page)."""
    number = db.session.scalar(capped_count_of(stmt, COUNT_CAP)) or 0
    return f"{COUNT_CAP:,}+" if number > COUNT_CAP else str(number)


def _count(model, *conditions) -> str:
    actor = current_actor()
    return _shown(select(model.id).where(scope_condition(model, actor), *conditions))


def _count_in_training(actor: Actor) -> str:
    """在训: ACTIVE trainees of the actor's APPROVED filings with a class not cancelled (queries.trainees)."""
    return _shown(select(Trainee.id).join(Filing, Filing.id == Trainee.filing_id)
                  .where(scope_condition(Filing, actor), in_training()))


def _link(endpoint: str, **args: str) -> Optional[str]:
    """The URL a counter opens (None while the screen is not registered)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None


class HomeView(IndexView):
    """The landing page after login: services tree and counters per role."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        actor = current_actor()
        counters: list[tuple[str, str, Optional[str]]] = []  # label, number, the list it opens (if any)
        if actor.is_enterprise:
            for status in (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.APPROVED):
                counters.append((str(_l("备案：%(s)s", s=FilingStatus.label(status))),
                                 _count(Filing, Filing.status == status), None))
            counters.append((str(_l("在训人员")), _count_in_training(actor), None))
            counters.append((str(_l("补贴申请")), _count(SubsidyClaim), _link("ClaimView.results")))
        elif actor.is_reviewer:
            counters.append((str(_l("待审核备案")), _count(Filing, Filing.status == FilingStatus.SUBMITTED),
                             _link("ReviewFilingView.list", status=FilingStatus.SUBMITTED)))
            counters.append((str(_l("待审核变更")), _count(ChangeRequest, ChangeRequest.status == "SUBMITTED"),
                             _link("ChangeReviewView.queue")))
            counters.append((str(_l("待审核补贴")), _count(SubsidyClaim, SubsidyClaim.status == "SUBMITTED"),
                             _link("ClaimReviewView.list", status="SUBMITTED")))
            counters.append((str(_l("待审核注册")), pending_count(db.session, actor),
                             _link("RegistrationReviewView.queue", status="PENDING")))
            counters.append((str(_l("本市生态链企业认定")), _count(EcosystemRecognition), None))
        elif actor.is_admin:
            counters.append((str(_l("单位")), _count(Enterprise), None))
            counters.append((str(_l("备案")), _count(Filing), None))
            counters.append((str(_l("培训人员")), _count(Trainee), None))
            counters.append((str(_l("生态链企业认定")), _count(EcosystemRecognition), None))
        tree = self._services(actor) if g.user is not None and g.user.is_authenticated else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, counters=counters,
                                    tree=tree, actor=actor)

    def _services(self, actor: Actor) -> list[dict]:
        """The manual's 事项办理 tree (技能培训 / 审核管理 …) of the user's role, from the menu table."""
        role = actor.role if actor.is_enterprise or actor.is_reviewer or actor.is_admin else None
        sm, navbar = self.appbuilder.sm, self.appbuilder.menu
        return menu.home_tree(role, visible=lambda entry: sm.has_access("menu_access", entry.name),
                              url_of=lambda entry: menu.menu_item(navbar, entry).get_url())
