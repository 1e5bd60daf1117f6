"""audit append-only triggers

Revision ID: 208d12a9a2c3
Revises: b73e478301df
Create Date: 2026-11-28 22:27:37.399409

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '208d12a9a2c3'
down_revision = 'b73e478301df'
branch_labels = None
depends_on = None


def upgrade():
    """Refuse UPDATE and DELETE of audit rows in the database itself (R14: the audit trail is append-only)."""
    from models.audit import AUDIT_TRIGGERS_SQL

    bind = op.get_bind()
    for statement in AUDIT_TRIGGERS_SQL.get(bind.dialect.name, []):
        op.execute(statement)


def downgrade():
    from models.audit import AUDIT_TRIGGERS_DROP_SQL

    bind = op.get_bind()
    for statement in AUDIT_TRIGGERS_DROP_SQL.get(bind.dialect.name, []):
        op.execute(statement)
