"""accounts people own: browser sessions as rows (listed and revoked one by one), named
API tokens, aliases retired by account deletion (never handed to anyone else), and
activities that outlive their blog (an actor Delete keeps its inboxes and its signer)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False, server_default=''),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'])
    op.create_table(
        'retired_aliases',
        sa.Column('alias', sa.String(length=100), nullable=False),
        sa.Column('retired', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('alias'),
    )
    with op.batch_alter_table('access_tokens') as batch_op:
        batch_op.add_column(
            sa.Column('name', sa.String(length=100), nullable=False, server_default='')
        )
    with op.batch_alter_table('activities') as batch_op:
        batch_op.add_column(sa.Column('inboxes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('signer', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('activities') as batch_op:
        batch_op.drop_column('signer')
        batch_op.drop_column('inboxes')
    with op.batch_alter_table('access_tokens') as batch_op:
        batch_op.drop_column('name')
    op.drop_table('retired_aliases')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
