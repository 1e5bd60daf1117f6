"""ab_user.must_change_password: after an admin's 重置密码 (or a one-time password) the user must set a password of
its own before any other screen opens

Revision ID: cd8e9f0a1b2c
Revises: bc7d8e9f0a1b
Create Date: 2026-12-01 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cd8e9f0a1b2c'
down_revision = 'bc7d8e9f0a1b'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('ab_user', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                       nullable=False))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
