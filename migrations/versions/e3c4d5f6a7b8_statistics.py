"""issue 14 统计分析: the pre-aggregate of the attendance-rate distribution and the index the trainee counts need

- ``statistics_attendance_bucket`` (training class × R24 rate bucket → trainees) and ``statistics_refresh`` (when a
  pre-aggregate was last rebuilt): filled by ``flask --app app statistics refresh`` (models/statistics.py);
- ``ix_trainee_filing_status`` (trainee: filing_id, status): 在训 / 流失 per filing as an index-only scan for
  ``trainees_by_occupation_level`` at 1M trainees.

Revision ID: e3c4d5f6a7b8
Revises: e2b3c4d5f6a7
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3c4d5f6a7b8'
down_revision = 'e2b3c4d5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_attendance_bucket',
                    sa.Column('training_class_id', sa.Integer(), nullable=False),
                    sa.Column('bucket', sa.String(length=16), nullable=False),
                    sa.Column('trainees', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['training_class_id'], ['training_class.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('training_class_id', 'bucket'))
    op.create_table('statistics_refresh',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
                    sa.Column('row_count', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name'))
    op.create_index('ix_trainee_filing_status', 'trainee', ['filing_id', 'status'], unique=False)


def downgrade():
    op.drop_index('ix_trainee_filing_status', table_name='trainee')
    op.drop_table('statistics_refresh')
    op.drop_table('statistics_attendance_bucket')
