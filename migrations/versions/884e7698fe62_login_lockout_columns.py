"""login lockout columns: time of the last failed login and end of a lockout on ab_user

Revision ID: 884e7698fe62
Revises: 208d12a9a2c3
Create Date: 2026-12-01 15:35:31.743836

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '884e7698fe62'
down_revision = '208d12a9a2c3'
branch_labels = None
depends_on = None


def upgrade():
    """Two nullable timestamps (naive UTC) read by actions/accounts.py; existing accounts start unlocked."""
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_login', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_login')
