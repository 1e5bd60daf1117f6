"""issue 14 accounts and onboarding: no schema change yet (reserved place in the migration chain)

Revision ID: e0f1a2b3c4d5
Revises: de9f0a1b2c3d
Create Date: 2026-12-01 23:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e0f1a2b3c4d5'
down_revision = 'de9f0a1b2c3d'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
