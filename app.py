"""The app for `flask --app app …` (migrations, the `user` command, the dev server)."""

from writeas import create_app

app = create_app()
