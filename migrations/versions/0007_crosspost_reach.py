"""crosspost reach: what a platform told us about the account (its limits, its version),
what each delivery's earlier attempts left behind (a container id, an upload session),
each target's own fields, and crossposts that belong to no blog post

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('channels') as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('crosspost_batches') as batch_op:
        batch_op.alter_column('post_id', existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.alter_column('post_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column('target', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(
            sa.Column('platform_state', sa.JSON(), nullable=False, server_default='{}')
        )


def downgrade():
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('platform_state')
        batch_op.drop_column('target')
        batch_op.alter_column('post_id', existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table('crosspost_batches') as batch_op:
        batch_op.alter_column('post_id', existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table('channels') as batch_op:
        batch_op.drop_column('details')
