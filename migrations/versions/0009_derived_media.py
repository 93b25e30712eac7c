"""derived media: a video's H.264/AAC MP4 copy, made by the worker for the platforms that
take nothing else, points at its original (`derived_from`), one copy per original, and
goes with it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


_media = sa.table(
    'media', sa.column('storage_key', sa.String), sa.column('derived_from', sa.String)
)


def upgrade():
    with op.batch_alter_table('media') as batch_op:
        batch_op.add_column(sa.Column('derived_from', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_media_derived_from'), ['derived_from'])
        batch_op.create_foreign_key(
            batch_op.f('fk_media_derived_from_media'), 'media', ['derived_from'], ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    """The copies go, bytes and rows: the schema before this one can't tell them from
    uploads (the worker makes them again after the next upgrade)."""
    from writeas.services import media_store

    bind = op.get_bind()
    copies = _media.c.derived_from.is_not(None)
    store = media_store.current()
    for key in bind.execute(sa.select(_media.c.storage_key).where(copies)).scalars():
        store.delete(key)
    bind.execute(_media.delete().where(copies))
    with op.batch_alter_table('media') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_media_derived_from_media'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_media_derived_from'), type_='unique')
        batch_op.drop_column('derived_from')
