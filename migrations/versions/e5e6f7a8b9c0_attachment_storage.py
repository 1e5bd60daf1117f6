"""issue 15 attachment storage: where an attachment's bytes are (database | directory | s3) and the blob key

``attachment.storage`` (existing rows: ``database``, their bytes stay in ``content``), ``attachment.storage_key``
(the blob of a directory / S3 store, content-addressed by sha256), ``content`` nullable (NULL once moved out by
``flask attachments move``), an index on ``sha256`` (is a blob still used by another row?) and the check that the
bytes are always somewhere. SQLite: the table is rebuilt in batch mode (nothing references ``attachment``, so
foreign keys may stay on), keeping AUTOINCREMENT (migration 7e3f4a5b6c7d).

Revision ID: e5e6f7a8b9c0
Revises: e4d5f6a7b8c9
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5e6f7a8b9c0'
down_revision = 'e4d5f6a7b8c9'
branch_labels = None
depends_on = None

PLACE = ("(storage = 'database' AND content IS NOT NULL) OR "
         "(storage IN ('directory', 's3') AND storage_key IS NOT NULL)")


def _batch():
    return op.batch_alter_table('attachment', schema=None, table_kwargs={'sqlite_autoincrement': True})


def upgrade():
    with _batch() as batch_op:
        batch_op.add_column(sa.Column('storage', sa.String(length=16), nullable=False, server_default='database'))
        batch_op.add_column(sa.Column('storage_key', sa.String(length=255), nullable=True))
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)
        batch_op.create_check_constraint('ck_attachment_storage_place', PLACE)


def downgrade():
    bind = op.get_bind()
    moved = bind.execute(sa.text("SELECT count(*) FROM attachment WHERE storage <> 'database'")).scalar()
    if moved:
        raise RuntimeError(f'{moved} attachments are outside the database: run '
                           '"flask --app app attachments move --to database" before downgrading')
    with _batch() as batch_op:
        batch_op.drop_constraint('ck_attachment_storage_place', type_='check')
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('storage_key')
        batch_op.drop_column('storage')
