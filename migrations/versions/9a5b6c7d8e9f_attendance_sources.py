"""attendance sources (R24): check_in_device (per-enterprise keys, stored as SHA-256); attendance gets device_id,
created_at, a required check_in, one-person and check-out CHECKs and one record per (course, person, check-in)

Rows that cannot satisfy the new constraints are removed first: records without a check-in time (nothing to
count) and repeats of the same (course, person, check-in) — the lowest id is kept. The old (course_id, trainee_id)
index gives way to the UNIQUE (course_id, trainee_id, check_in), whose leading columns serve the same look-ups.
SQLite rebuilds the table (batch mode); no other table references attendance.

Revision ID: 9a5b6c7d8e9f
Revises: 8f4a5b6c7d8e
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a5b6c7d8e9f'
down_revision = '8f4a5b6c7d8e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('check_in_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_device_enterprise_id'), ['enterprise_id'], unique=False)

    op.execute('DELETE FROM attendance WHERE check_in IS NULL OR '
               '(trainee_id IS NULL) = (teacher_id IS NULL) OR check_out < check_in')
    op.execute('DELETE FROM attendance WHERE id NOT IN (SELECT MIN(id) FROM attendance '
               'GROUP BY course_id, trainee_id, teacher_id, check_in)')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
    op.execute('UPDATE attendance SET created_at = check_in')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.alter_column('check_in', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index('ix_attendance_course_trainee')
        batch_op.create_index(batch_op.f('ix_attendance_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_unique_constraint('uq_attendance_course_trainee_check_in',
                                          ['course_id', 'trainee_id', 'check_in'])
        batch_op.create_unique_constraint('uq_attendance_course_teacher_check_in',
                                          ['course_id', 'teacher_id', 'check_in'])
        batch_op.create_check_constraint('ck_attendance_one_person', '(trainee_id IS NULL) <> (teacher_id IS NULL)')
        batch_op.create_check_constraint('ck_attendance_check_out', 'check_out IS NULL OR check_out >= check_in')
        batch_op.create_foreign_key('fk_attendance_device_id', 'check_in_device', ['device_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint('fk_attendance_device_id', type_='foreignkey')
        batch_op.drop_constraint('ck_attendance_check_out', type_='check')
        batch_op.drop_constraint('ck_attendance_one_person', type_='check')
        batch_op.drop_constraint('uq_attendance_course_teacher_check_in', type_='unique')
        batch_op.drop_constraint('uq_attendance_course_trainee_check_in', type_='unique')
        batch_op.drop_index(batch_op.f('ix_attendance_teacher_id'))
        batch_op.create_index('ix_attendance_course_trainee', ['course_id', 'trainee_id'], unique=False)
        batch_op.alter_column('check_in', existing_type=sa.DateTime(), nullable=True)
        batch_op.drop_column('created_at')
        batch_op.drop_column('device_id')
    with op.batch_alter_table('check_in_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_device_enterprise_id'))
    op.drop_table('check_in_device')
