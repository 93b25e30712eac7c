"""listed posts index: a blog's stream (its unpinned posts with a body, newest first)
walks an index that holds exactly those rows, so a deep page's OFFSET steps over index
entries without visiting the table for each skipped post

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

LISTED = "pinned_position IS NULL AND body <> ''"


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.create_index(
            'ix_posts_listed', ['collection_id', 'created', 'seq'], unique=False,
            sqlite_where=sa.text(LISTED), postgresql_where=sa.text(LISTED),
        )


def downgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_listed')
