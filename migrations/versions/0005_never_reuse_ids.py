"""ids never reused; each blog's own identity and lock version; session generations

SQLite gives a deleted row's id to the next row unless the table is AUTOINCREMENT, so
users, collections and channels are rebuilt with it (env.py turns foreign keys off around
migrations on SQLite, so the rebuild can't cascade into the tables that refer to them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

AUTOINCREMENT = {'sqlite_autoincrement': True}


def _rebuilt(table):
    """On SQLite the table is rebuilt, to say AUTOINCREMENT; PostgreSQL's sequences never
    reuse an id, so there it is only altered."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    return op.batch_alter_table(
        table, recreate='always' if sqlite else 'auto', table_kwargs=AUTOINCREMENT
    )


def upgrade():
    with _rebuilt('users') as batch_op:
        batch_op.add_column(
            sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0')
        )
    with _rebuilt('channels'):
        pass
    with _rebuilt('collections') as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column('lock_version', sa.Integer(), nullable=False, server_default='0')
        )
    bind = op.get_bind()
    collections = sa.table('collections', sa.column('id', sa.Integer), sa.column('uid', sa.String))
    for (blog_id,) in bind.execute(sa.select(collections.c.id)).all():
        bind.execute(
            collections.update()
            .where(collections.c.id == blog_id)
            .values(uid=secrets.token_hex(16))
        )
    with _rebuilt('collections') as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_collections_uid'), ['uid'])


def downgrade():
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_collections_uid'), type_='unique')
        batch_op.drop_column('lock_version')
        batch_op.drop_column('uid')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
