"""Backup and restore (README "Backup and restore"): ``scripts/backup.sh`` then ``scripts/restore.sh`` into an empty
database gives back a database the app starts on, with the same rows in every table and the same audit trail.

Runs on SQLite always, and on PostgreSQL (pg_dump -Fc / pg_restore) when ``TEST_DATABASE_URL`` is PostgreSQL — then
in two databases of its own made next to the test database (``<name>_bk_src`` / ``<name>_bk_dst``) and dropped
afterwards; the suite's test database itself is neither used nor reset here.
"""
from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_OVERRIDES, login

ROOT = Path(__file__).resolve().parent.parent
BACKUP, RESTORE = ROOT / "scripts" / "backup.sh", ROOT / "scripts" / "restore.sh"
TEST_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_URL) and make_url(TEST_URL).get_backend_name() == "postgresql"
BACKENDS = ["sqlite", *(["postgresql"] if ON_POSTGRES else [])]


@pytest.fixture(autouse=True)
def fresh_data():
    """This module builds its own databases: the suite's shared database is not reset (nor touched) here."""
    yield


@pytest.fixture(params=BACKENDS)
def databases(request, tmp_path):
    """(source URL, empty target URL) on the backend of the parameter."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'src.db'}", f"sqlite:///{tmp_path / 'restored' / 'dst.db'}"
        return
    base = make_url(TEST_URL)
    names = [f"{base.database}_bk_src", f"{base.database}_bk_dst"]
    # CREATE / DROP DATABASE from the maintenance database: the test database is not even connected to.
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(base.set(database=name).render_as_string(hide_password=False) for name in names)
    finally:
        drop()
        admin.dispose()


def run_script(script: Path, *args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=120)


def id_numbers(count: int, first_day: date) -> list[str]:
    """Distinct valid ID numbers (one birth day each), apart from the demo seed's."""
    from core.validators import complete_id_number

    return [complete_id_number(f"440106{first_day + timedelta(days=i):%Y%m%d}{(2 * i + 1) % 1000:03d}")
            for i in range(count)]


def snapshot(url: str) -> tuple[dict[str, int], list[tuple]]:
    """Row count of every table (alembic_version included) and every audit event, in id order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
            events = [tuple(row) for row in conn.execute(text(
                "SELECT id, created_at, actor_id, actor_name, role, action, entity, entity_id, from_status, "
                "to_status, reason, enterprise_id, city_code, filing_id FROM audit_event ORDER BY id"))]
    finally:
        engine.dispose()
    return counts, events


def build_source(url: str) -> dict:
    """A fresh database: migrations, demo seed, and two 广州 filings with trainees — one approved, one submitted."""
    from flask_migrate import upgrade

    from actions import filings as filing_actions
    from actions import review as review_actions
    from app import create_app
    from models.base import db
    from seed.commands import run_demo_seed
    from tests import factories

    app = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        run_demo_seed()
        ent = factories.demo_enterprise("ent_gz")
        approved = factories.complete_filing(ent.id, trainees=25, id_numbers=id_numbers(25, date(1991, 1, 1)))
        submitted = factories.complete_filing(ent.id, trainees=25, id_numbers=id_numbers(25, date(1993, 1, 1)))
        db.session.commit()
        for filing_id in (approved.id, submitted.id):
            filing_actions.submit(db.session, factories.actor("ent_gz"), filing_id)
            db.session.commit()
        review_actions.approve(db.session, factories.actor("gz_reviewer"), approved.id, "材料齐全，同意备案")
        db.session.commit()
        facts = {"approved": approved.id, "submitted": submitted.id, "filing_no": approved.filing_no}
        db.session.remove()
        db.engine.dispose()
    return facts


@pytest.mark.parametrize("script", [BACKUP, RESTORE], ids=["backup", "restore"])
def test_scripts_refuse_without_their_argument(script, tmp_path):
    url = f"sqlite:///{tmp_path / 'never.db'}"
    for args in ([], [""], ["a", "b"]):
        done = run_script(script, *args, url=url)
        assert done.returncode == 2, done
        assert done.stderr.startswith(f"usage: scripts/{script.name} <file>"), done.stderr
        assert "refused" in done.stderr
    assert not (tmp_path / "never.db").exists()


def test_backup_refuses_to_overwrite_and_restore_refuses_a_foreign_file(tmp_path):
    existing = tmp_path / "old-backup"
    existing.write_text("an older backup")
    done = run_script(BACKUP, str(existing), url=f"sqlite:///{tmp_path / 'src.db'}")
    assert done.returncode == 2 and "already exists" in done.stderr
    assert existing.read_text() == "an older backup"
    target = tmp_path / "target.db"
    done = run_script(RESTORE, str(existing), url=f"sqlite:///{target}")
    assert done.returncode != 0 and "not a SQLite database" in done.stderr, done
    assert not target.exists() or target.stat().st_size == 0
    done = run_script(RESTORE, str(tmp_path / "missing"), url=f"sqlite:///{target}")
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_backup_and_restore_round_trip(databases, tmp_path):
    source, target = databases
    backend = make_url(source).get_backend_name()
    facts = build_source(source)
    counts, events = snapshot(source)
    assert counts["trainee"] >= 50 and counts["alembic_version"] == 1
    assert any(e[5] == "approve" and e[7] == facts["approved"] for e in events)

    dump = tmp_path / f"backup.{'dump' if backend == 'postgresql' else 'sqlite'}"
    done = run_script(BACKUP, str(dump), url=source)
    assert done.returncode == 0, done.stderr
    assert f"backup written: {dump}" in done.stdout
    assert ("pg_dump" if backend == "postgresql" else "Connection.backup") in done.stdout
    assert dump.stat().st_size > 0 and not Path(f"{dump}.partial").exists()
    if backend == "postgresql":
        assert dump.read_bytes()[:5] == b"PGDMP"  # the custom format, for pg_restore
    else:
        assert dump.read_bytes()[:16] == b"SQLite format 3\x00"

    done = run_script(RESTORE, str(dump), url=target)
    assert done.returncode == 0, done.stderr
    assert "restored:" in done.stdout
    assert snapshot(target) == (counts, events)

    # The app starts on the restored database: the enterprise sees both filings, the reviewer can go on.
    from actions import review as review_actions
    from app import create_app
    from models.base import db
    from models.filing import Filing
    from tests import factories

    restored = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": target})
    client = restored.test_client()
    assert login(client, "ent_gz").status_code == 302
    page = client.get("/filing/results/ENTERPRISE")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert facts["filing_no"] in html
    assert f'data-filing-id="{facts["approved"]}"' in html and f'data-filing-id="{facts["submitted"]}"' in html
    with restored.app_context():
        # Sequences and the filing-number counter came back too: new rows and the next number follow on.
        filing = review_actions.approve(db.session, factories.actor("gz_reviewer"), facts["submitted"])
        db.session.commit()
        assert filing.filing_no != facts["filing_no"]
        assert filing.filing_no[:-6] == facts["filing_no"][:-6]
        assert int(filing.filing_no[-6:]) == int(facts["filing_no"][-6:]) + 1
        assert db.session.scalar(select(Filing.status).where(Filing.id == facts["submitted"])) == "APPROVED"
        db.session.remove()
        db.engine.dispose()
    after_counts, after_events = snapshot(target)
    assert after_events[:len(events)] == events and len(after_events) == len(events) + 1
    assert after_events[-1][5] == "approve" and after_events[-1][0] > events[-1][0]
