"""The app for gunicorn: `gunicorn wsgi:app`."""

import gc

from writeas import create_app

app = create_app()

# Everything built so far (the app, its routes, templates, mappers and compiled SQL) lives
# as long as the worker. Frozen, the cycle collector stops walking it on every full
# collection, which otherwise costs each request about a tenth of its time.
gc.collect()
gc.freeze()
