"""issue 15 background jobs and 我的下载: no schema change yet (reserved place in the migration chain)

Revision ID: e4d5f6a7b8c9
Revises: e3c4d5f6a7b8
Create Date: 2026-12-01 23:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e4d5f6a7b8c9'
down_revision = 'e3c4d5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
