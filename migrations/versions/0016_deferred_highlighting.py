"""deferred highlighting: `posts.highlight_due` marks a long paste whose colours the
worker has yet to add (existing posts were highlighted when written, so none is due)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column(
            'highlight_due', sa.Boolean(), nullable=False, server_default=sa.text('false')
        ))
        batch_op.create_index(
            'ix_posts_highlight_due', ['highlight_due'], unique=False,
            sqlite_where=sa.text('highlight_due'), postgresql_where=sa.text('highlight_due'),
        )


def downgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_highlight_due')
        batch_op.drop_column('highlight_due')
