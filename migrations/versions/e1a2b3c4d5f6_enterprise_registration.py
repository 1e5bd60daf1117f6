"""issue 14 enterprise self-registration (企业注册 / 注册审核): table enterprise_registration

The registrant's data and the account it asks for (password as a hash only), status PENDING / APPROVED / RETURNED,
the review (reason, reviewer, time), the resulting account and enterprise, and an optimistic version. Two partial
unique indexes (PostgreSQL and SQLite both support ``… WHERE status = 'PENDING'``) keep one pending registration per
USCC and per username, so two registrations sent at the same moment cannot both wait.

Revision ID: e1a2b3c4d5f6
Revises: e0f1a2b3c4d5
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5f6'
down_revision = 'e0f1a2b3c4d5'
branch_labels = None
depends_on = None

PENDING_ONLY = sa.text("status = 'PENDING'")


def upgrade():
    op.create_table(
        'enterprise_registration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('enterprise_name', sa.String(length=128), nullable=False),
        sa.Column('city_code', sa.String(length=6), nullable=False),
        sa.Column('legal_representative', sa.String(length=64), nullable=False),
        sa.Column('contact_name', sa.String(length=64), nullable=False),
        sa.Column('contact_phone', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['city_code'], ['city.code'], name='fk_enterprise_registration_city_code'),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['ab_user.id'], name='fk_enterprise_registration_reviewed_by_id'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name='fk_enterprise_registration_user_id'),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name='fk_enterprise_registration_enterprise_id'),
        sa.PrimaryKeyConstraint('id', name='pk_enterprise_registration'),
    )
    op.create_index('ix_enterprise_registration_uscc', 'enterprise_registration', ['uscc'], unique=False)
    op.create_index('ix_registration_city_status', 'enterprise_registration', ['city_code', 'status', 'created_at'],
                    unique=False)
    op.create_index('ux_registration_pending_uscc', 'enterprise_registration', ['uscc'], unique=True,
                    sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY)
    op.create_index('ux_registration_pending_username', 'enterprise_registration', ['username'], unique=True,
                    sqlite_where=PENDING_ONLY, postgresql_where=PENDING_ONLY)


def downgrade():
    op.drop_index('ux_registration_pending_username', table_name='enterprise_registration')
    op.drop_index('ux_registration_pending_uscc', table_name='enterprise_registration')
    op.drop_index('ix_registration_city_status', table_name='enterprise_registration')
    op.drop_index('ix_enterprise_registration_uscc', table_name='enterprise_registration')
    op.drop_table('enterprise_registration')
