"""media store: uploads' bytes move out of the database into the configured store
(MEDIA_STORE: files under MEDIA_DIR, or an S3 bucket), and media can be videos

Each existing image is copied to the store under its storage key before the `data` column
is dropped; run again after a failure, it copies the same keys again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00

"""
import io

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_media = sa.table(
    'media', sa.column('id', sa.String), sa.column('mime_type', sa.String),
    sa.column('kind', sa.String), sa.column('data', sa.LargeBinary),
    sa.column('storage_key', sa.String),
)


def upgrade():
    with op.batch_alter_table('media') as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=8), nullable=False, server_default='image')
        )
        batch_op.add_column(sa.Column('duration', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(
            sa.Column('video_codec', sa.String(length=32), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('audio_codec', sa.String(length=32), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('frame_rate', sa.Float(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('storage_key', sa.String(length=255), nullable=True))
        batch_op.alter_column('size', existing_type=sa.Integer(), type_=sa.BigInteger())
    _bytes_to_the_store()
    with op.batch_alter_table('media') as batch_op:
        batch_op.alter_column('storage_key', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('data')


def _bytes_to_the_store():
    """One row's bytes in memory at a time: the ids first, then each image by itself."""
    from writeas.services import media, media_store

    bind = op.get_bind()
    store = media_store.current()
    rows = bind.execute(sa.select(_media.c.id, _media.c.mime_type)).all()
    for media_id, mime_type in rows:
        data = bind.execute(sa.select(_media.c.data).where(_media.c.id == media_id)).scalar()
        key = media.storage_key(media_id, mime_type)
        store.put(key, io.BytesIO(data), mime_type)
        bind.execute(_media.update().where(_media.c.id == media_id).values(storage_key=key))


def downgrade():
    """Images go back into their rows (their stored copies stay); the schema before this
    one knew no videos, so those must be deleted first."""
    from writeas.services import media_store

    bind = op.get_bind()
    if bind.execute(sa.select(_media.c.id).where(_media.c.kind != 'image').limit(1)).first():
        raise RuntimeError("media holds videos, which revision 0007 can't keep: delete them")
    with op.batch_alter_table('media') as batch_op:
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))
    store = media_store.current()
    for media_id, key in bind.execute(sa.select(_media.c.id, _media.c.storage_key)).all():
        with store.open(key) as stream:
            data = stream.read()
        bind.execute(_media.update().where(_media.c.id == media_id).values(data=data))
    with op.batch_alter_table('media') as batch_op:
        batch_op.alter_column('data', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('size', existing_type=sa.BigInteger(), type_=sa.Integer())
        for column in ('storage_key', 'frame_rate', 'audio_codec', 'video_codec', 'duration',
                       'kind'):
            batch_op.drop_column(column)
