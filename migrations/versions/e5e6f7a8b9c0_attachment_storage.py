"""issue 15 attachment storage: no schema change yet (reserved place in the migration chain)

Revision ID: e5e6f7a8b9c0
Revises: e4d5f6a7b8c9
Create Date: 2026-12-01 23:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e5e6f7a8b9c0'
down_revision = 'e4d5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
