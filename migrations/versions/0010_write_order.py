"""write order and blog modification times: posts carry `seq`, the order they were
written in, so a blog's stream puts the later-written first among posts of one `created`
second; blogs carry `updated`, moved with their content version, for `Last-Modified`

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


_posts = sa.table(
    'posts', sa.column('id', sa.String), sa.column('created', sa.DateTime),
    sa.column('seq', sa.BigInteger),
)
_collections = sa.table(
    'collections', sa.column('id', sa.Integer), sa.column('created', sa.DateTime),
    sa.column('updated', sa.DateTime),
)


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    # Existing posts get their order from `created`, then their id: the order they were
    # listed in before, and the same on every run.
    bind = op.get_bind()
    ordered = bind.execute(
        sa.select(_posts.c.id).order_by(_posts.c.created, sa.desc(_posts.c.id))
    ).scalars()
    numbered = [{'key': post_id, 'number': n} for n, post_id in enumerate(ordered, start=1)]
    if numbered:
        bind.execute(
            _posts.update()
            .where(_posts.c.id == sa.bindparam('key'))
            .values(seq=sa.bindparam('number')),
            numbered,
        )
    with op.batch_alter_table('posts') as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index('ix_posts_collection_created')
        batch_op.create_index(
            'ix_posts_collection_created', ['collection_id', 'created', 'seq'], unique=False
        )
        batch_op.create_index('ix_posts_seq', ['seq'], unique=False)

    with op.batch_alter_table('collections') as batch_op:
        batch_op.add_column(sa.Column('updated', sa.DateTime(), nullable=True))
    bind.execute(_collections.update().values(updated=_collections.c.created))
    # Rebuilt on SQLite: keep its AUTOINCREMENT (blog ids are never reused).
    with op.batch_alter_table('collections', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('updated', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('collections', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('updated')
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_seq')
        batch_op.drop_index('ix_posts_collection_created')
        batch_op.create_index(
            'ix_posts_collection_created', ['collection_id', 'created'], unique=False
        )
        batch_op.drop_column('seq')
