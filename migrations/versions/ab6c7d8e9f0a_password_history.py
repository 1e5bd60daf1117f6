"""ab_user.previous_passwords: the hashes of an account's last passwords, so a new password cannot reuse them;
ab_user.tokens_valid_after: sessions and JWTs from before it (a logout, a password change) are revoked

Revision ID: ab6c7d8e9f0a
Revises: 9a5b6c7d8e9f
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab6c7d8e9f0a'
down_revision = '9a5b6c7d8e9f'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('ab_user', sa.Column('previous_passwords', sa.JSON(), nullable=True))
    op.add_column('ab_user', sa.Column('tokens_valid_after', sa.DateTime(), nullable=True))


def downgrade():
    op.execute('ALTER TABLE ab_user DROP COLUMN tokens_valid_after')
    op.execute('ALTER TABLE ab_user DROP COLUMN previous_passwords')
