"""the instance's administration: users carry `is_admin` and `suspended`; the settings an
admin changes live on /admin (`instance_settings`, one row a changed setting); invite links
and who signed up through them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite may rebuild the table: keep its AUTOINCREMENT (user ids are never reused).
    with op.batch_alter_table('users', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(
            sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.text('false'))
        )
        batch_op.add_column(
            sa.Column('suspended', sa.Boolean(), nullable=False, server_default=sa.text('false'))
        )
    op.create_table(
        'instance_settings',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'invites',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('creator_id', sa.Integer(), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('uses', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('expires', sa.DateTime(), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['creator_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_index('ix_invites_creator_id', 'invites', ['creator_id'], unique=False)
    op.create_table(
        'invite_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invite_code', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invite_code'], ['invites.code'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id'),
    )
    op.create_index('ix_invite_uses_invite_code', 'invite_uses', ['invite_code'], unique=False)


def downgrade():
    op.drop_index('ix_invite_uses_invite_code', table_name='invite_uses')
    op.drop_table('invite_uses')
    op.drop_index('ix_invites_creator_id', table_name='invites')
    op.drop_table('invites')
    op.drop_table('instance_settings')
    with op.batch_alter_table('users', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('suspended')
        batch_op.drop_column('is_admin')
