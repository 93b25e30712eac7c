"""The JSON API under /api, one nested blueprint per section of the spec. Every JSON shape
is declared once, in `shapes`; the OpenAPI document is assembled from the routes and
those declarations.

May import: every layer below the edges (core, text, reads, services, crossposting,
http, settings); never `writeas.web`.
"""

from flask import Blueprint

from writeas.api import auth, collections, crossposts, me, media, openapi, posts
from writeas.api.authentication import authenticate

api = Blueprint("api", __name__, url_prefix="/api")
api.before_request(authenticate)
api.register_blueprint(auth.bp)
api.register_blueprint(posts.bp)
api.register_blueprint(me.bp)
api.register_blueprint(collections.bp)
api.register_blueprint(crossposts.bp)
api.register_blueprint(media.bp)
api.register_blueprint(openapi.bp)
