"""``flask seed roles`` (every environment) and ``flask seed demo`` (development only), both idempotent:
running them twice changes nothing. Demo accounts use ``DEMO_PASSWORD`` (default ``Demo@2026``)."""
from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.validators import complete_uscc
from models.base import db
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import RoleName
from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution
from models.roles import ALL_ROLES
from seed import data

seed_cli = AppGroup("seed", help="Seed roles and demo data.")

DEMO_ENTERPRISES = {
    # username: (USCC first 17, name, city, address)
    "ent_gz": ("91440101MA5DEM0A1", "广州示范智能制造有限公司", "4401", "广州市黄埔区科学大道1号"),
    "ent_sz": ("91440300MA5DEM0B2", "深圳示范电子科技有限公司", "4403", "深圳市南山区科技园南路2号"),
}

DEMO_ACCOUNTS = [
    # username, first name, last name, role, enterprise key or None, city code or None
    ("admin", "省级", "管理员", RoleName.ADMIN, None, None),
    ("gz_reviewer", "广州", "审核员", RoleName.REVIEWER, None, "4401"),
    ("sz_reviewer", "深圳", "审核员", RoleName.REVIEWER, None, "4403"),
    ("ent_gz", "广州示范", "经办人", RoleName.ENTERPRISE, "ent_gz", None),
    ("ent_sz", "深圳示范", "经办人", RoleName.ENTERPRISE, "ent_sz", None),
]


def ensure_roles() -> None:
    """Create the three business roles and Public (their permissions are the builtin FAB_ROLES matrix)."""
    sm = current_app.appbuilder.sm
    for name in (*ALL_ROLES, current_app.config["AUTH_ROLE_PUBLIC"]):
        if sm.find_role(name) is None:
            sm.add_role(name)


def _get_or_create(model, defaults: dict | None = None, **keys):
    row = db.session.scalars(select(model).filter_by(**keys)).first()
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
    return row


def seed_reference_data() -> None:
    """Cities, skill levels, sample occupations, institutions and subsidy standards (create missing only)."""
    for order, (code, name) in enumerate(data.CITIES):
        _get_or_create(City, {"name": name, "sort_order": order}, code=code)
    for level, name in data.SKILL_LEVELS:
        _get_or_create(SkillLevel, {"name": name}, level=level)
    for code, name in data.SAMPLE_OCCUPATIONS:
        _get_or_create(Occupation, {"name": name, "is_sample": True, "active": True}, code=code)
    for name, city in data.INSTITUTIONS:
        _get_or_create(TrainingInstitution, {"city_code": city, "active": True}, name=name)
    db.session.flush()
    for programme, kind, level, amount, ratio in data.SUBSIDY_STANDARDS:
        _get_or_create(SubsidyStandard, {"amount_yuan": amount, "advance_ratio": ratio},
                       programme=programme, apprenticeship_type=kind, skill_level=level,
                       valid_from=date(2024, 1, 1))
    db.session.flush()


def seed_demo_accounts(password: str) -> dict[str, Enterprise]:
    """Demo enterprises (广州 with a valid 生态链 recognition as 链主; 深圳 without) and the five accounts."""
    enterprises = {}
    for key, (prefix, name, city, address) in DEMO_ENTERPRISES.items():
        enterprises[key] = _get_or_create(
            Enterprise,
            {"name": name, "city_code": city, "address": address, "legal_representative": "张三",
             "contact_name": "李四", "contact_phone": "020-12345678" if city == "4401" else "0755-12345678",
             "bank_name": "中国工商银行" + ("广州分行" if city == "4401" else "深圳分行"),
             "bank_account_name": name, "bank_account_no": "3602000109200012345" if city == "4401"
             else "4000023409200067890"},
            uscc=complete_uscc(prefix),
        )
    db.session.flush()
    gz = enterprises["ent_gz"]
    if not db.session.scalars(select(EcosystemRecognition).filter_by(enterprise_id=gz.id)).first():
        db.session.add(EcosystemRecognition(enterprise_id=gz.id, chain_name="广州智能装备产教评技能生态链",
                                            role="LEADER", city_code="4401", valid_from=date(2025, 1, 1),
                                            valid_to=date(2028, 12, 31), note="演示数据"))
    sm = current_app.appbuilder.sm
    for username, first, last, role_name, ent_key, city in DEMO_ACCOUNTS:
        if sm.find_user(username=username):
            continue
        user = sm.add_user(username, first, last, f"{username}@demo.invalid", [sm.find_role(role_name)], password)
        if not user:
            raise click.ClickException(f"could not create demo account {username}")
        user.enterprise_id = enterprises[ent_key].id if ent_key else None
        user.city_code = city
        db.session.add(user)
    db.session.flush()
    return enterprises


def run_demo_seed(running_class: bool = False) -> None:
    """Everything ``flask seed demo`` does, in one transaction (``running_class``: also ent_gz's class running
    now, ``seed/demo_running_class.py`` — the command adds it; the per-test seed does not)."""
    ensure_roles()
    seed_reference_data()
    seed_demo_accounts(current_app.config["DEMO_PASSWORD"])
    from seed import demo_filings, demo_running_class

    demo_filings.seed(db.session)
    if running_class:
        demo_running_class.seed(db.session)
    db.session.commit()


@seed_cli.command("roles")
def roles_command() -> None:
    """Create the business roles (safe in production)."""
    ensure_roles()
    db.session.commit()
    click.echo("roles ok")


@seed_cli.command("demo")
def demo_command() -> None:
    """Reference data, demo enterprises, accounts and filings. Refused when APP_ENV=production."""
    if current_app.config.get("APP_ENV") == "production":
        raise click.ClickException("APP_ENV=production: the demo seed is refused (it would add demo accounts).")
    run_demo_seed(running_class=True)
    from actions.statistics import refresh_class_figures

    refresh_class_figures(db.session)  # 统计分析's class figures of the demo at once (nightly afterwards)
    db.session.commit()
    click.echo("demo data ok")


@seed_cli.command("scale")
@click.option("--preset", type=click.Choice(["10k", "1m"]), default=None,
              help="10k: 200 enterprises … 10,000 trainees; 1m: 20,000 enterprises, 100,000 filings, 1,000,000 "
                   "trainees, 10,000,000 attendance rows (default 10k).")
@click.option("--trainees", type=click.IntRange(20), default=None, help="Trainees (the other sizes follow).")
@click.option("--attendance", type=click.IntRange(0), default=None, help="Attendance rows (default 10 per trainee).")
@click.option("--enterprises", type=click.IntRange(1), default=None)
@click.option("--filings", type=click.IntRange(1), default=None)
@click.option("--audit-events", type=click.IntRange(0), default=None)
@click.option("--big-filing", type=click.IntRange(0), default=None, help="Trainees of the one large filing.")
@click.option("--accounts", type=click.IntRange(0), default=None, help="Enterprise accounts load_ent_NNN.")
def scale_command(preset, **sizes) -> None:
    """The provincial data set for benchmarks and load tests (DESIGN §9). Refused when APP_ENV=production."""
    from seed.scale import already_seeded, generate, sizes_from

    if current_app.config.get("APP_ENV") == "production":
        raise click.ClickException("APP_ENV=production: the scale seed is refused (it generates fictitious data).")
    try:
        chosen = sizes_from(preset, **sizes)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if already_seeded(db.session):
        raise click.ClickException("this database already holds the scale data set")
    click.echo(f"seed scale: {chosen}")
    generate(db.session, chosen, echo=click.echo)
    click.echo("scale data ok")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_cli)
