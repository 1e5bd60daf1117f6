"""事项办理 home page: the manual's tree of services for the user's role, with counters (DESIGN §6)."""
from __future__ import annotations

from flask import g, url_for
from werkzeug.routing import BuildError
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models.base import db
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import FilingStatus, Programme
from models.filing import ChangeRequest, Filing, Trainee
from models.scope import current_actor, scope_condition
from models.subsidy import SubsidyClaim


def _count(model, *conditions) -> int:
    actor = current_actor()
    stmt = select(func.count()).select_from(model).where(scope_condition(model, actor), *conditions)
    return db.session.scalar(stmt) or 0


def _link(endpoint: str, **values) -> str | None:
    """URL of a screen if it is registered; None keeps the item out (no dead links)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


class HomeView(IndexView):
    """The landing page after login: services tree and counters per role."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        actor = current_actor()
        counters: list[tuple[str, int]] = []
        if actor.is_enterprise:
            for status in (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.APPROVED):
                counters.append((str(_l("备案：%(s)s", s=FilingStatus.label(status))),
                                 _count(Filing, Filing.status == status)))
            counters.append((str(_l("在训人员")), _count(Trainee, Trainee.status == "ACTIVE")))
            counters.append((str(_l("补贴申请")), _count(SubsidyClaim)))
        elif actor.is_reviewer:
            counters.append((str(_l("待审核备案")), _count(Filing, Filing.status == FilingStatus.SUBMITTED)))
            counters.append((str(_l("待审核变更")), _count(ChangeRequest, ChangeRequest.status == "SUBMITTED")))
            counters.append((str(_l("待审核补贴")), _count(SubsidyClaim, SubsidyClaim.status == "SUBMITTED")))
            counters.append((str(_l("本市生态链企业认定")), _count(EcosystemRecognition)))
        elif actor.is_admin:
            counters.append((str(_l("单位")), _count(Enterprise)))
            counters.append((str(_l("备案")), _count(Filing)))
            counters.append((str(_l("培训人员")), _count(Trainee)))
            counters.append((str(_l("生态链企业认定")), _count(EcosystemRecognition)))
        tree = self._services(actor) if g.user is not None and g.user.is_authenticated else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, counters=counters,
                                    tree=tree, actor=actor)

    def _services(self, actor):
        """The manual's 事项办理 tree (技能培训 / 职业补贴 …), limited to the user's role and to screens that exist."""
        sm = self.appbuilder.sm

        def item(title, links):
            links = [(label, url) for label, url, perm in links
                     if url is not None and sm.has_access(perm[0], perm[1])]
            return {"title": title, "links": links} if links else None

        def group(title, items):
            items = [i for i in items if i]
            return {"title": title, "items": items} if items else None

        groups = []
        if actor.is_enterprise:
            for programme, label, query_endpoint in (
                (Programme.ECOSYSTEM, _l("产教评技能生态链企业新型学徒制培训"), "EcosystemTraineeQueryView.list"),
                (Programme.ENTERPRISE, _l("企业新型学徒制培训"), "EnterpriseTraineeQueryView.list"),
            ):
                groups.append(group(_l("技能培训 · %(p)s", p=label), [
                    item(_l("%(p)s备案申请", p=label), [
                        (_l("立即办理"), _link("FilingView.apply", programme=programme), ("can_write", "Filing")),
                        (_l("办理结果"), _link("FilingView.results", programme=programme), ("can_read", "Filing")),
                    ]),
                    item(_l("单位培训人员查询"), [
                        (_l("立即办理"), _link(query_endpoint), ("can_read", "Trainee")),
                    ]),
                ]))
        if actor.is_reviewer:
            groups.append(group(_l("审核管理"), [
                item(_l("备案审核"), [(_l("立即办理"), _link("ReviewFilingView.list"), ("can_review", "Filing"))]),
                item(_l("生态链企业认定维护"), [
                    (_l("立即办理"), _link("RecognitionView.list"), ("can_read", "EcosystemRecognition")),
                ]),
            ]))
        if actor.is_admin:
            groups.append(group(_l("基础数据与查询"), [
                item(_l("备案查询"), [(_l("立即办理"), _link("ReviewFilingView.list"), ("can_read", "Filing"))]),
                item(_l("生态链企业认定维护"), [
                    (_l("立即办理"), _link("RecognitionView.list"), ("can_read", "EcosystemRecognition")),
                ]),
                item(_l("单位信息"), [(_l("立即办理"), _link("EnterpriseView.list"), ("can_read", "Enterprise"))]),
                item(_l("地市"), [(_l("立即办理"), _link("CityView.list"), ("can_read", "City"))]),
                item(_l("职业工种"), [(_l("立即办理"), _link("OccupationView.list"), ("can_read", "Occupation"))]),
                item(_l("补贴标准"), [(_l("立即办理"), _link("SubsidyStandardView.list"),
                                     ("can_read", "SubsidyStandard"))]),
                item(_l("工作日历"), [(_l("立即办理"), _link("WorkdayOverrideView.list"),
                                     ("can_read", "WorkdayOverride"))]),
            ]))
        return [g for g in groups if g]
