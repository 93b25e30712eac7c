"""How a database's schema differs from the models', as Alembic's autogenerate sees it
(types compared too), leaving out what `core.content_generation` makes outside them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from writeas.core import content_generation
from writeas.core.db import db


def differences(connection) -> list:
    opts = {"compare_type": True, "include_name": content_generation.schema_comparison_includes}
    return compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
