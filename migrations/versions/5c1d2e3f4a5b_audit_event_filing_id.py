"""audit_event.filing_id: the filing an event belongs to (the filing itself or one of its rows), for the timeline

Revision ID: 5c1d2e3f4a5b
Revises: 884e7698fe62
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1d2e3f4a5b'
down_revision = '884e7698fe62'
branch_labels = None
depends_on = None


def upgrade():
    """Nullable plain integer (no foreign key: a deleted filing keeps its trail). ADD COLUMN keeps the append-only
    triggers in place on SQLite (no table rebuild)."""
    op.add_column('audit_event', sa.Column('filing_id', sa.Integer(), nullable=True))
    op.create_index('ix_audit_event_filing_id', 'audit_event', ['filing_id'], unique=False)
    # Backfill the events written before the column existed (the filing and the rows that still exist). The
    # append-only triggers are lifted for this one statement and put back at once.
    backfill = """UPDATE audit_event SET filing_id = CASE entity
        WHEN 'filing' THEN entity_id
        WHEN 'trainee' THEN (SELECT filing_id FROM trainee WHERE trainee.id = audit_event.entity_id)
        WHEN 'teacher' THEN (SELECT filing_id FROM teacher WHERE teacher.id = audit_event.entity_id)
        WHEN 'training_class' THEN (SELECT filing_id FROM training_class WHERE training_class.id = audit_event.entity_id)
        WHEN 'change_request' THEN (SELECT filing_id FROM change_request WHERE change_request.id = audit_event.entity_id)
        END
        WHERE entity IN ('filing', 'trainee', 'teacher', 'training_class', 'change_request')"""
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only')
        op.execute(backfill)
        op.execute('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only')
    elif dialect == 'sqlite':
        from models.audit import AUDIT_TRIGGERS_DROP_SQL, AUDIT_TRIGGERS_SQL

        for statement in AUDIT_TRIGGERS_DROP_SQL['sqlite']:
            op.execute(statement)
        op.execute(backfill)
        for statement in AUDIT_TRIGGERS_SQL['sqlite']:
            op.execute(statement)


def downgrade():
    op.drop_index('ix_audit_event_filing_id', table_name='audit_event')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('filing_id')
