"""person_lock: one row per ID number, locked while R9 is checked at submission and approval

Revision ID: 6d2e3f4a5b6c
Revises: 5c1d2e3f4a5b
Create Date: 2026-12-01 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d2e3f4a5b6c'
down_revision = '5c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_lock',
                    sa.Column('id_number', sa.String(length=18), nullable=False),
                    sa.PrimaryKeyConstraint('id_number'))


def downgrade():
    op.drop_table('person_lock')
