"""pinned posts index: a blog's navigation (its pinned posts with a body) is found, and the
blog's posts counted, from an index that holds exactly those rows, instead of walking every
post of the blog

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

PINNED = "pinned_position IS NOT NULL AND body <> ''"


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.create_index(
            'ix_posts_pinned', ['collection_id', 'created'], unique=False,
            sqlite_where=sa.text(PINNED), postgresql_where=sa.text(PINNED),
        )


def downgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_pinned')
