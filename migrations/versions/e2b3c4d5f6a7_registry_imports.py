"""registry imports (issue 14): occupation.work_types — the 工种 of a 职业 from the 国家职业分类大典 import

A 工种 is kept as a field of its 职业 (the names, joined by "、"), not as a row of its own: the 大典 gives 工种 no
code of their own, training classes refer to the 职业 code (training_class.occupation_code), and the file lists a
职业 once per 工种 (actions/registry_imports.py merges those rows).

Revision ID: e2b3c4d5f6a7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b3c4d5f6a7'
down_revision = 'e1a2b3c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite rebuilds the table, PostgreSQL runs a plain ALTER TABLE ADD COLUMN
    with op.batch_alter_table('occupation') as batch:
        batch.add_column(sa.Column('work_types', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('occupation') as batch:
        batch.drop_column('work_types')
