"""The Flask extension instances, in one place: the factory initialises each on the app.

`db` is defined in `core.db` (the models need it before any app exists) and `limiter` in
`http.ratelimits` (its keys are the rate-limit rules); both are named here too so that
this module lists everything the factory wires. Flask-Migrate is wired by `flask db …`
alone (`cli.enable_migrations`)."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from writeas.core.db import db
from writeas.http.ratelimits import limiter

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "sessions.login"
login_manager.login_message = "Log in to see that page."

__all__ = ["csrf", "db", "limiter", "login_manager"]
