"""outgoing mail, password resets and newsletters: every email is a row the worker sends;
a reset link is kept only as the digest of its secret; blogs' email subscribers, and the
posts due to be emailed to them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'newsletter_subscribers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'collection_id', 'email', name='uq_newsletter_subscribers_blog_email'
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'newsletter_issues',
        sa.Column('post_id', sa.String(length=32), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('site_url', sa.Text(), nullable=False),
        sa.Column('fanned_out_at', sa.DateTime(), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id'),
    )
    op.create_index(
        op.f('ix_newsletter_issues_due_at'), 'newsletter_issues', ['due_at'], unique=False
    )
    op.create_table(
        'outgoing_mail',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('to_address', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('data_sent', sa.Boolean(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('post_id', sa.String(length=32), nullable=True),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['subscriber_id'], ['newsletter_subscribers.id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'post_id', 'subscriber_id', name='uq_outgoing_mail_post_subscriber'
        ),
    )
    op.create_index('ix_outgoing_mail_due', 'outgoing_mail', ['status', 'next_attempt_at'])
    op.create_index(
        op.f('ix_outgoing_mail_subscriber_id'), 'outgoing_mail', ['subscriber_id'], unique=False
    )
    op.create_table(
        'password_resets',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index(
        op.f('ix_password_resets_user_id'), 'password_resets', ['user_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_password_resets_user_id'), table_name='password_resets')
    op.drop_table('password_resets')
    op.drop_index(op.f('ix_outgoing_mail_subscriber_id'), table_name='outgoing_mail')
    op.drop_index('ix_outgoing_mail_due', table_name='outgoing_mail')
    op.drop_table('outgoing_mail')
    op.drop_index(op.f('ix_newsletter_issues_due_at'), table_name='newsletter_issues')
    op.drop_table('newsletter_issues')
    op.drop_table('newsletter_subscribers')
