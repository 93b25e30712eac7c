"""The app for gunicorn: `gunicorn wsgi:app`."""

from writeas import create_app

app = create_app()
