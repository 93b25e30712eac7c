"""content generation: on PostgreSQL, a counter that every committing write moves (a
deferred trigger on every table), so the hottest reads' kept answers hold there as they do
on SQLite until the next commit; nothing on SQLite

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 18:30:00

"""
from alembic import op

from writeas.core import content_generation


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    content_generation.install(op.get_bind())


def downgrade():
    content_generation.uninstall(op.get_bind())
