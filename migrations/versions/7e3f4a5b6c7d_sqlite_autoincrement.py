"""SQLite AUTOINCREMENT on filing and its rows: the id of a deleted row is never given to a new one

Tables filing, training_class, teacher, trainee, course and attachment (the audit trail refers to rows by id).
PostgreSQL: nothing to do (sequences never hand out an id twice).

SQLite cannot add AUTOINCREMENT to an existing table: each table is rebuilt (Alembic batch mode, "recreate
always"), rows and ids kept. Foreign keys are switched off for the rebuild — dropping the old ``filing`` with
them on would cascade-delete every child row — which SQLite only allows outside a transaction, so the rebuild
runs in an autocommit block inside its own BEGIN … COMMIT, and ``PRAGMA foreign_key_check`` must find nothing
before the commit. audit_event is not rebuilt (its append-only triggers stay untouched).

Revision ID: 7e3f4a5b6c7d
Revises: 6d2e3f4a5b6c
Create Date: 2026-12-02 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7e3f4a5b6c7d'
down_revision = '6d2e3f4a5b6c'
branch_labels = None
depends_on = None

#: Children first (the order does not matter with foreign keys off, but reads naturally).
TABLES = ('attachment', 'course', 'trainee', 'teacher', 'training_class', 'filing')


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    with op.get_context().autocommit_block():
        bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
        try:
            bind.exec_driver_sql('BEGIN')
            try:
                for name in TABLES:
                    # Reflected: columns, keys, indexes, unique and CHECK constraints are kept as they are.
                    with op.batch_alter_table(name, recreate='always',
                                              table_kwargs={'sqlite_autoincrement': autoincrement}):
                        pass
                problems = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                if problems:
                    raise RuntimeError(f'foreign key check failed after the rebuild: {problems[:5]}')
            except BaseException:
                bind.exec_driver_sql('ROLLBACK')
                raise
            bind.exec_driver_sql('COMMIT')
        finally:
            bind.exec_driver_sql('PRAGMA foreign_keys=ON')


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)
