"""imports: the import jobs and their per-file and per-post results, and each imported
post's import key (unique per owner), which makes importing the same export twice a no-op

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_posts_owner_import_key', ['owner_id', 'import_key']
        )
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=True),
        sa.Column('no_blog', sa.Boolean(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_import_jobs_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['collection_id'], ['collections.id'],
            name=op.f('fk_import_jobs_collection_id_collections'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
    )
    op.create_index(op.f('ix_import_jobs_user_id'), 'import_jobs', ['user_id'])
    op.create_table(
        'import_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('post_id', sa.String(length=32), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['job_id'], ['import_jobs.id'], name=op.f('fk_import_results_job_id_import_jobs'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['post_id'], ['posts.id'], name=op.f('fk_import_results_post_id_posts'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_results')),
    )
    op.create_index(op.f('ix_import_results_job_id'), 'import_results', ['job_id'])


def downgrade():
    op.drop_index(op.f('ix_import_results_job_id'), table_name='import_results')
    op.drop_table('import_results')
    op.drop_index(op.f('ix_import_jobs_user_id'), table_name='import_jobs')
    op.drop_table('import_jobs')
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_constraint('uq_posts_owner_import_key', type_='unique')
        batch_op.drop_column('import_key')
