"""federation: blog and instance keys, activities and their deliveries, followers, remote
actors and hosts, comments, reactions and blocks

Every existing blog gets its RSA-2048 key pair here, sealed like channel credentials.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _now():
    return sa.Column('created', sa.DateTime(), nullable=False)


def upgrade():
    with op.batch_alter_table('collections') as batch_op:
        batch_op.add_column(sa.Column('public_key_pem', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('private_key_sealed', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('federate_as', sa.String(length=8), nullable=False, server_default='auto')
        )
    op.create_table(
        'site_actor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_key_pem', sa.Text(), nullable=False),
        sa.Column('private_key_sealed', sa.Text(), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint('id', name='pk_site_actor'),
    )
    op.create_table(
        'federated_objects',
        sa.Column('post_id', sa.String(length=32), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('content_version', sa.Integer(), nullable=False),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name='fk_federated_objects_collection_id_collections', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', name='pk_federated_objects'),
    )
    op.create_index('ix_federated_objects_collection_id', 'federated_objects', ['collection_id'])
    op.create_table(
        'activities',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('object_id', sa.Text(), nullable=False),
        sa.Column('post_id', sa.String(length=32), nullable=True),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=True),
        sa.Column('target_inbox', sa.Text(), nullable=True),
        sa.Column('site_url', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('fanned_out', sa.Boolean(), nullable=False),
        _now(),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name='fk_activities_collection_id_collections', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_activities'),
    )
    op.create_index('ix_activities_collection_id', 'activities', ['collection_id'])
    op.create_index('ix_activities_post_id', 'activities', ['post_id'])
    op.create_index('ix_activities_pending', 'activities', ['fanned_out', 'due_at'])
    op.create_table(
        'federation_deliveries',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('activity_id', sa.String(length=32), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('object_id', sa.Text(), nullable=False),
        sa.Column('inbox', sa.Text(), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        _now(),
        sa.Column('updated', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name='fk_federation_deliveries_activity_id_activities', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name='fk_federation_deliveries_collection_id_collections', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_federation_deliveries'),
        sa.UniqueConstraint('activity_id', 'inbox', name='uq_federation_delivery_inbox'),
    )
    op.create_index(
        'ix_federation_deliveries_due', 'federation_deliveries', ['status', 'next_attempt_at']
    )
    op.create_index(
        'ix_federation_deliveries_object', 'federation_deliveries',
        ['object_id', 'inbox', 'status'],
    )
    op.create_index('ix_federation_deliveries_host', 'federation_deliveries', ['host'])
    op.create_index(
        'ix_federation_deliveries_collection_id', 'federation_deliveries', ['collection_id']
    )
    op.create_table(
        'followers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collection_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Text(), nullable=False),
        sa.Column('inbox', sa.Text(), nullable=False),
        sa.Column('shared_inbox', sa.Text(), nullable=True),
        sa.Column('follow_id', sa.Text(), nullable=False),
        _now(),
        sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name='fk_followers_collection_id_collections', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_followers'),
        sa.UniqueConstraint('collection_id', 'actor_id', name='uq_followers_blog_actor'),
    )
    op.create_index('ix_followers_collection_id', 'followers', ['collection_id'])
    op.create_table(
        'remote_actors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uri', sa.String(length=2000), nullable=False),
        sa.Column('key_id', sa.String(length=2000), nullable=False),
        sa.Column('public_key_pem', sa.Text(), nullable=False),
        sa.Column('inbox', sa.Text(), nullable=False),
        sa.Column('shared_inbox', sa.Text(), nullable=True),
        sa.Column('handle', sa.String(length=500), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('fetched', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_remote_actors'),
        sa.UniqueConstraint('uri', name='uq_remote_actors_uri'),
    )
    op.create_index('ix_remote_actors_key_id', 'remote_actors', ['key_id'])
    op.create_table(
        'remote_hosts',
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('failing_since', sa.DateTime(), nullable=True),
        sa.Column('unavailable_since', sa.DateTime(), nullable=True),
        sa.Column('last_success', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('host', name='pk_remote_hosts'),
    )
    op.create_table(
        'comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.String(length=32), nullable=False),
        sa.Column('object_id', sa.String(length=2000), nullable=False),
        sa.Column('actor_id', sa.Text(), nullable=False),
        sa.Column('author_name', sa.Text(), nullable=False),
        sa.Column('author_url', sa.Text(), nullable=False),
        sa.Column('content_html', sa.Text(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('published', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_comments_post_id_posts', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_comments'),
        sa.UniqueConstraint('object_id', name='uq_comments_object_id'),
    )
    op.create_index('ix_comments_post_id', 'comments', ['post_id'])
    op.create_index('ix_comments_actor_id', 'comments', ['actor_id'])
    op.create_table(
        'reactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('actor_id', sa.Text(), nullable=False),
        sa.Column('activity_id', sa.String(length=2000), nullable=False),
        _now(),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_reactions_post_id_posts', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_reactions'),
        sa.UniqueConstraint('activity_id', name='uq_reactions_activity_id'),
    )
    op.create_index('ix_reactions_post_id', 'reactions', ['post_id'])
    op.create_index('ix_reactions_actor_id', 'reactions', ['actor_id'])
    op.create_table(
        'federation_blocks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=2000), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint('id', name='pk_federation_blocks'),
        sa.UniqueConstraint('target', name='uq_federation_blocks_target'),
    )
    _keys_for_existing_blogs()


def _keys_for_existing_blogs():
    from writeas.federation import keys

    bind = op.get_bind()
    blogs = sa.table(
        'collections', sa.column('id', sa.Integer), sa.column('uid', sa.String),
        sa.column('public_key_pem', sa.Text), sa.column('private_key_sealed', sa.Text),
    )
    for blog_id, uid in bind.execute(sa.select(blogs.c.id, blogs.c.uid)).all():
        public, sealed = keys.new_pair(keys.blog_context(uid))
        bind.execute(
            blogs.update().where(blogs.c.id == blog_id)
            .values(public_key_pem=public, private_key_sealed=sealed)
        )


def downgrade():
    for table in (
        'federation_blocks', 'reactions', 'comments', 'remote_hosts', 'remote_actors',
        'followers', 'federation_deliveries', 'activities', 'federated_objects', 'site_actor',
    ):
        op.drop_table(table)
    with op.batch_alter_table('collections') as batch_op:
        batch_op.drop_column('federate_as')
        batch_op.drop_column('private_key_sealed')
        batch_op.drop_column('public_key_pem')
