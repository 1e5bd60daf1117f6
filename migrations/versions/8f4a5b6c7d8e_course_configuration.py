"""course configuration (R16): course.date becomes start_date plus end_date; status UNCONFIGURED/CONFIGURED/CANCELLED;
venue.note (备注 of 培训场地维护)

``date`` is renamed in place (no table rebuild: SQLite keeps its AUTOINCREMENT and the foreign keys pointing at
course), ``end_date`` added and set to the same day, and the old status NORMAL becomes CONFIGURED when a date was
set, UNCONFIGURED otherwise.

Revision ID: 8f4a5b6c7d8e
Revises: 7e3f4a5b6c7d
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f4a5b6c7d8e'
down_revision = '7e3f4a5b6c7d'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('ALTER TABLE course RENAME COLUMN "date" TO start_date')
    op.add_column('course', sa.Column('end_date', sa.Date(), nullable=True))
    op.execute("UPDATE course SET end_date = start_date")
    op.execute("UPDATE course SET status = CASE WHEN start_date IS NULL THEN 'UNCONFIGURED' ELSE 'CONFIGURED' END "
               "WHERE status = 'NORMAL'")
    op.add_column('venue', sa.Column('note', sa.Text(), nullable=True))  # 培训场地 备注


def downgrade():
    """In place again (ALTER TABLE … DROP COLUMN, SQLite ≥ 3.35): no table rebuild, so SQLite keeps the
    AUTOINCREMENT of course and no foreign key cascades."""
    op.execute('ALTER TABLE venue DROP COLUMN note')
    op.execute("UPDATE course SET status = 'NORMAL' WHERE status IN ('UNCONFIGURED', 'CONFIGURED')")
    op.execute('ALTER TABLE course DROP COLUMN end_date')
    op.execute('ALTER TABLE course RENAME COLUMN start_date TO "date"')
