"""/api/openapi.json: the API's own description, for clients and the fuzzing tests."""

from flask import Blueprint, jsonify

from writeas.api import document as openapi

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def document():
    # The raw document, not the `{code, data}` envelope: OpenAPI tools expect it bare.
    return jsonify(openapi.document())
