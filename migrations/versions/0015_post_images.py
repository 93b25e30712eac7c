"""images in posts: `post_images` links each post to the uploaded images its body shows,
so pages give them their size and deleting a post keeps the images other posts still show;
existing posts that already show uploaded images get their rows

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:00:00

"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# As writeas.text.extraction.media_ids reads them (a migration must not import the app).
_MEDIA_PATH = re.compile(r"/media/([0-9a-f]{32})\.(?:jpg|png|gif|webp)\b")
_posts = sa.table('posts', sa.column('id', sa.String), sa.column('body', sa.Text))
_media = sa.table('media', sa.column('id', sa.String), sa.column('kind', sa.String))


def upgrade():
    op.create_table(
        'post_images',
        sa.Column('post_id', sa.String(length=32), nullable=False),
        sa.Column('media_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['media_id'], ['media.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', 'media_id'),
    )
    with op.batch_alter_table('post_images') as batch_op:
        batch_op.create_index('ix_post_images_media_id', ['media_id'], unique=False)
    bind = op.get_bind()
    images = set(bind.execute(
        sa.select(_media.c.id).where(_media.c.kind == 'image')
    ).scalars())
    if not images:
        return
    rows = []
    found = bind.execute(
        sa.select(_posts.c.id, _posts.c.body).where(_posts.c.body.like('%/media/%'))
    )
    for post_id, body in found:
        for media_id in dict.fromkeys(_MEDIA_PATH.findall(body)):
            if media_id in images:
                rows.append({'post_id': post_id, 'media_id': media_id})
    if rows:
        bind.execute(sa.table(
            'post_images', sa.column('post_id', sa.String), sa.column('media_id', sa.String)
        ).insert(), rows)


def downgrade():
    op.drop_table('post_images')
