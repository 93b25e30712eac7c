"""Which database the tests run on: a new SQLite file each, or the PostgreSQL server named
by TEST_DATABASE_URL (which `make test` starts for its second pass)."""

import os

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
