"""issue 14 enterprise self-registration: no schema change yet (reserved place in the migration chain)

Revision ID: e1a2b3c4d5f6
Revises: e0f1a2b3c4d5
Create Date: 2026-12-01 23:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5f6'
down_revision = 'e0f1a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
