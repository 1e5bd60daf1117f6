"""补贴申领 (R20–R23): subsidy_claim.training_class_id (the class a claim is for); subsidy_claim_person.stage and
.held with the unique index that holds R21 (one SUBMITTED/APPROVED claim per person and stage) and .decided_at;
the claim attachment kinds need no schema change.

Revision ID: bc7d8e9f0a1b
Revises: ab6c7d8e9f0a
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bc7d8e9f0a1b'
down_revision = 'ab6c7d8e9f0a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('training_class_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_subsidy_claim_training_class_id', 'training_class',
                                    ['training_class_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_subsidy_claim_training_class_id'), ['training_class_id'], unique=False)
    op.add_column('subsidy_claim_person', sa.Column('stage', sa.String(length=16), nullable=True))
    op.add_column('subsidy_claim_person', sa.Column('held', sa.Boolean(), nullable=True))
    op.add_column('subsidy_claim_person', sa.Column('decided_at', sa.DateTime(), nullable=True))
    op.execute('UPDATE subsidy_claim_person SET stage = (SELECT stage FROM subsidy_claim '
               'WHERE subsidy_claim.id = subsidy_claim_person.subsidy_claim_id)')
    with op.batch_alter_table('subsidy_claim_person', schema=None) as batch_op:
        batch_op.alter_column('stage', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_index('ux_subsidy_claim_person_held', ['trainee_id', 'stage', 'held'], unique=True)


def downgrade():
    with op.batch_alter_table('subsidy_claim_person', schema=None) as batch_op:
        batch_op.drop_index('ux_subsidy_claim_person_held')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('held')
        batch_op.drop_column('stage')
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_claim_training_class_id'))
        batch_op.drop_constraint('fk_subsidy_claim_training_class_id', type_='foreignkey')
        batch_op.drop_column('training_class_id')
