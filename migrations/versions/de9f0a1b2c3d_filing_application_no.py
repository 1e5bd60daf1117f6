"""filing application number (申请编号, issue 12) and the list sort indexes

Adds ``filing.application_no`` (NOT NULL, unique) and its per-city-and-day counter table; every existing filing
gets its number from its city and its creation day (Asia/Shanghai), numbered in creation order — the same rule as
``models/numbering.py`` applies to new filings — and the counters continue after the backfilled numbers.
Indexes for the lists' server-side sorting: ``created_at`` and ``submitted_at``.

SQLite cannot make an existing column NOT NULL: the filing table is rebuilt (batch mode, AUTOINCREMENT kept) with
foreign keys off, as in 7e3f4a5b6c7d (dropping the old table with them on would cascade-delete every child row).

Revision ID: de9f0a1b2c3d
Revises: cd8e9f0a1b2c
Create Date: 2026-12-03 10:00:00

"""
from collections import defaultdict
from datetime import timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'de9f0a1b2c3d'
down_revision = 'cd8e9f0a1b2c'
branch_labels = None
depends_on = None

SHANGHAI = ZoneInfo('Asia/Shanghai')
FILING = sa.table('filing', sa.column('id', sa.Integer), sa.column('city_code', sa.String),
                  sa.column('created_at', sa.DateTime), sa.column('application_no', sa.String))
COUNTER = sa.table('application_number_counter', sa.column('city_code', sa.String), sa.column('day', sa.Date),
                   sa.column('last', sa.Integer))


def _sqlite_rebuild(alter) -> None:
    """Rebuild ``filing`` on SQLite with ``alter(batch_op)`` applied, foreign keys off (see the module text)."""
    bind = op.get_bind()
    with op.get_context().autocommit_block():
        bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
        try:
            bind.exec_driver_sql('BEGIN')
            try:
                with op.batch_alter_table('filing', recreate='always',
                                          table_kwargs={'sqlite_autoincrement': True}) as batch_op:
                    alter(batch_op)
                problems = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                if problems:
                    raise RuntimeError(f'foreign key check failed after the rebuild: {problems[:5]}')
            except BaseException:
                bind.exec_driver_sql('ROLLBACK')
                raise
            bind.exec_driver_sql('COMMIT')
        finally:
            bind.exec_driver_sql('PRAGMA foreign_keys=ON')


def _backfill() -> None:
    """Number the existing filings per city and creation day, in creation order; set the counters after them."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(FILING.c.id, FILING.c.city_code, FILING.c.created_at)
                        .order_by(FILING.c.created_at, FILING.c.id)).all()
    last: dict = defaultdict(int)
    updates = []
    for pk, city_code, created_at in rows:
        day = created_at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI).date()
        last[(city_code, day)] += 1
        updates.append({'pk': pk, 'number': f'SQ{city_code}-{day:%Y%m%d}-{last[(city_code, day)]:04d}'})
    for start in range(0, len(updates), 1000):
        bind.execute(FILING.update().where(FILING.c.id == sa.bindparam('pk'))
                     .values(application_no=sa.bindparam('number')), updates[start:start + 1000])
    if last:
        bind.execute(COUNTER.insert(), [{'city_code': city, 'day': day, 'last': n} for (city, day), n in last.items()])


def upgrade():
    op.create_table('application_number_counter',
                    sa.Column('city_code', sa.String(length=6), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('last', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('city_code', 'day'))
    op.add_column('filing', sa.Column('application_no', sa.String(length=32), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rebuild(lambda batch_op: batch_op.alter_column('application_no', existing_type=sa.String(length=32),
                                                               nullable=False))
    else:
        op.alter_column('filing', 'application_no', existing_type=sa.String(length=32), nullable=False)
    op.create_index('ux_filing_application_no', 'filing', ['application_no'], unique=True)
    op.create_index('ix_filing_created_at', 'filing', ['created_at'], unique=False)
    op.create_index('ix_filing_submitted_at', 'filing', ['submitted_at'], unique=False)


def downgrade():
    op.drop_index('ix_filing_submitted_at', table_name='filing')
    op.drop_index('ix_filing_created_at', table_name='filing')
    op.drop_index('ux_filing_application_no', table_name='filing')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rebuild(lambda batch_op: batch_op.drop_column('application_no'))
    else:
        op.drop_column('filing', 'application_no')
    op.drop_table('application_number_counter')
