"""issue 15 list indexes at provincial scale: no schema change yet (reserved place in the migration chain)

Revision ID: e6f7a8b9c0d1
Revises: e5e6f7a8b9c0
Create Date: 2026-12-01 23:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e6f7a8b9c0d1'
down_revision = 'e5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
