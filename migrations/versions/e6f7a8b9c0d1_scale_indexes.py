"""issue 15 list indexes at provincial scale: the review queues' pending-first order, newest-first paging per
enterprise and city, trainee name / ID number prefix search (pg_trgm for contained text when it can be created)

- ``ix_filing_queue`` / ``ix_filing_city_queue``: the 备案审核 default order (``queries.sorting.pending_first``,
  then 提交时间 newest first, then id) for the admin and per city — the page is read from the index instead of
  sorting every filing in scope; ``ix_subsidy_claim_queue`` / ``ix_subsidy_claim_city_queue`` likewise for 补贴审核,
  ``ix_change_request_queue`` for 变更审核. The expression must stay textually the one ``pending_first`` renders.
- ``ix_filing_enterprise_id`` (enterprise_id, id) and ``ix_filing_city_id`` (city_code, id): 办理结果 and
  单位培训人员查询, newest filing first; ``ix_trainee_filing_id_id`` (filing_id, id): a filing's trainees in order.
- PostgreSQL only: ``ix_trainee_name_pattern`` / ``ix_trainee_id_number_pattern`` (text_pattern_ops) serve the
  prefix searches ``LIKE '张伟%'`` whatever the collation; ``ix_trainee_name_trgm`` (GIN, pg_trgm) serves names
  containing 3+ typed characters — created only when ``CREATE EXTENSION pg_trgm`` succeeds (trusted since
  PostgreSQL 13, so a database owner may create it; otherwise a plain index of that name stands in and the
  contained-name search works unindexed). SQLite's LIKE is case-insensitive and uses no index (the three are plain
  indexes there); at the embedded sizes a scan is fast.

Revision ID: e6f7a8b9c0d1
Revises: e5e6f7a8b9c0
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c0d1'
down_revision = 'e5e6f7a8b9c0'
branch_labels = None
depends_on = None

PENDING = "(CASE WHEN (status = '{0}') THEN 0 ELSE 1 END)"


def _queue(name: str, table: str, prefix: str, pg: bool) -> str:
    nulls = " NULLS LAST" if pg else ""
    return (f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({prefix}{PENDING.format('SUBMITTED')}, "
            f"submitted_at DESC{nulls}, id DESC)")


def upgrade():
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    for statement in (
        _queue('ix_filing_queue', 'filing', '', pg),
        _queue('ix_filing_city_queue', 'filing', 'city_code, ', pg),
        _queue('ix_subsidy_claim_queue', 'subsidy_claim', '', pg),
        _queue('ix_subsidy_claim_city_queue', 'subsidy_claim', 'city_code, ', pg),
        _queue('ix_change_request_queue', 'change_request', '', pg),
        "CREATE INDEX IF NOT EXISTS ix_filing_enterprise_id ON filing (enterprise_id, id)",
        "CREATE INDEX IF NOT EXISTS ix_filing_city_id ON filing (city_code, id)",
        "CREATE INDEX IF NOT EXISTS ix_trainee_filing_id_id ON trainee (filing_id, id)",
    ):
        op.execute(statement)
    ops = " text_pattern_ops" if pg else ""
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_trainee_name_pattern ON trainee (name{ops})")
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_trainee_id_number_pattern ON trainee (id_number{ops})")
    if not pg:
        # stand-in (see below), on an expression like the models' declaration
        op.execute("CREATE INDEX IF NOT EXISTS ix_trainee_name_trgm ON trainee ((name || ''))")
        return
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    trigrams = False
    if available:
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
            trigrams = True
        except sa.exc.DBAPIError:
            savepoint.rollback()  # not allowed here: contained-name search stays unindexed
    # On the expression (name::text), the operand the LIKE compares. Without pg_trgm a plain index of the same name
    # stands in, so that the schema has the index the models declare wherever the extension is missing.
    using = "USING gin ((name::text) gin_trgm_ops)" if trigrams else "((name::text))"
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_trainee_name_trgm ON trainee {using}")


def downgrade():
    for name in ('ix_trainee_name_trgm', 'ix_trainee_id_number_pattern', 'ix_trainee_name_pattern',
                 'ix_trainee_filing_id_id', 'ix_filing_city_id', 'ix_filing_enterprise_id', 'ix_change_request_queue',
                 'ix_subsidy_claim_city_queue', 'ix_subsidy_claim_queue', 'ix_filing_city_queue', 'ix_filing_queue'):
        op.execute(f"DROP INDEX IF EXISTS {name}")
