"""content versions: of each blog and each post, bumped by every write that changes them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


TABLES = ('collections', 'posts')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('content_version', sa.Integer(), nullable=False, server_default='0')
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('content_version')
