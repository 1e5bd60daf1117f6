"""issue 14 统计分析: the class pre-aggregate and its refresh stamp

- ``statistics_class``: one row per class of an APPROVED / CANCELLED filing with its city, occupation, level,
  period, status, trainees 在训 / 流失 and the R24 attendance-rate buckets (models/statistics.py), indexed by city
  (a reviewer's figures); rebuilt nightly by ``flask --app app statistics refresh``;
- ``statistics_refresh``: when a pre-aggregate was last rebuilt (shown on the dashboard's cards).
The live figures (filings, change requests, subsidy claims) group over columns already indexed
(``ix_filing_city_status``, ``ix_filing_submitted_at``, ``ix_subsidy_claim_city_status``).

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
    op.create_table('statistics_class',
                    sa.Column('training_class_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('city_code', sa.String(length=6), nullable=False),
                    sa.Column('occupation_code', sa.String(length=16), nullable=False),
                    sa.Column('skill_level', sa.Integer(), nullable=False),
                    sa.Column('start_date', sa.Date(), nullable=False),
                    sa.Column('end_date', sa.Date(), nullable=False),
                    sa.Column('class_status', sa.String(length=16), nullable=False),
                    sa.Column('active', sa.Integer(), nullable=False),
                    sa.Column('lost', sa.Integer(), nullable=False),
                    sa.Column('rate_below_60', sa.Integer(), nullable=False),
                    sa.Column('rate_from_60', sa.Integer(), nullable=False),
                    sa.Column('rate_from_80', sa.Integer(), nullable=False),
                    sa.Column('rate_from_90', sa.Integer(), nullable=False),
                    sa.Column('rate_full', sa.Integer(), nullable=False),
                    sa.Column('rate_none', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['training_class_id'], ['training_class.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('training_class_id'))
    op.create_index('ix_statistics_class_city_code', 'statistics_class', ['city_code'], unique=False)
    op.create_table('statistics_refresh',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
                    sa.Column('row_count', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name'))


def downgrade():
    op.drop_table('statistics_refresh')
    op.drop_index('ix_statistics_class_city_code', table_name='statistics_class')
    op.drop_table('statistics_class')
