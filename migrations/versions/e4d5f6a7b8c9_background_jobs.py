"""issue 15 background jobs and 我的下载: the ``job`` table (models/job.py)

One row per background job (export, roster PDF, large import confirmation): kind, requester, parameters, status,
progress, message, result, the file's name / media type / size (the file itself lives under JOB_FILES_DIR),
created / started / heartbeat / finished / expires times. SQLite: AUTOINCREMENT, so the id of a deleted (expired)
job is never reused (audit events name jobs by id).

Revision ID: e4d5f6a7b8c9
Revises: e3c4d5f6a7b8
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4d5f6a7b8c9'
down_revision = 'e3c4d5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('file_name', sa.String(length=255), nullable=True),
        sa.Column('media_type', sa.String(length=128), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['requester_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_job_requester_created', 'job', ['requester_id', 'created_at'], unique=False)
    op.create_index('ix_job_status', 'job', ['status'], unique=False)
    op.create_index('ix_job_expires_at', 'job', ['expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_job_expires_at', table_name='job')
    op.drop_index('ix_job_status', table_name='job')
    op.drop_index('ix_job_requester_created', table_name='job')
    op.drop_table('job')
