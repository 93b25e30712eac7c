"""The OpenAPI 3.1 description of everything under /api, written by hand.

It is hand-written rather than generated from the views because the views don't know their
own shapes: statuses come from the service layer's `ServiceError`s, bodies from
`representations` and a few view-local helpers. `tests/test_openapi.py` keeps it honest
(every route described, real responses validated against it) and `tests/test_fuzz.py`
fuzzes the app with it, so a drift in either direction fails the build.

Response schemas are closed (`additionalProperties: false`) on purpose: a field added to a
response without being documented here is caught by the tests instead of shipping unseen.
"""

from copy import deepcopy
from typing import Any

from writeas.crossposting.requests import LIST_MAX, TARGETS_MAX
from writeas.services.accounts import ALIAS_MAX, PASSWORD_MAX, PASSWORD_MIN
from writeas.services.idempotency import KEY_PATTERN
from writeas.services.media import ALT_TEXT_MAX
from writeas.services.visibility import VISIBILITIES

Schema = dict[str, Any]

_REF = "#/components/schemas/"


def _ref(name: str) -> Schema:
    return {"$ref": _REF + name}


def _nullable(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def _obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """Responses are closed objects; see the module docstring."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_TIME = {"type": "string", "format": "date-time", "examples": ["2016-07-09T01:43:46Z"]}
_APPEARANCES = ["sans", "norm", "wrap", "mono", "code"]
_DELIVERY_STATUSES = [
    "scheduled", "queued", "sending", "published", "failed", "unconfirmed", "cancelled",
]
_BATCH_STATUSES = ["queued", "published", "partial_failed", "failed"]
_PLATFORMS = ["bluesky", "linkedin", "mastodon", "medium", "tumblr", "writeas", "x"]
_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]

_POST_PROPERTIES: dict[str, Schema] = {
    "id": {"type": "string", "description": "13 random lowercase letters and digits."},
    "slug": {**_nullable("string"), "description": "Null for posts in no blog."},
    "token": {"type": "string", "description": "The modify token; only when publishing."},
    "appearance": {"enum": _APPEARANCES},
    "language": {"type": "string", "description": "ISO 639-1 code, or empty."},
    "rtl": {"type": "boolean"},
    "created": _TIME,
    "updated": _TIME,
    "title": {"type": "string"},
    "body": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "views": {"type": "integer", "minimum": 0},
    "collection": _ref("CollectionRef"),
    "pinned_position": {"type": "integer", "minimum": 1},
}
_POST_REQUIRED = [
    "id", "slug", "appearance", "language", "rtl", "created", "updated", "title", "body", "tags",
]


def _post_schema(*, token: bool, views: bool) -> Schema:
    """`token` is answered only on publish and `views` only on reads, never both."""
    properties = dict(_POST_PROPERTIES)
    if not token:
        del properties["token"]
    if not views:
        del properties["views"]
    required = _POST_REQUIRED + (["token"] if token else []) + (["views"] if views else [])
    return _obj(properties, required)


_COLLECTION_PROPERTIES: dict[str, Schema] = {
    "alias": {"type": "string"},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "style_sheet": {"type": "string"},
    "email": {
        "type": "string",
        "description": "Write.as's post-by-email address; always empty here, owner only.",
    },
    "visibility": {"enum": list(VISIBILITIES)},
    "public": {"type": "boolean"},
    "private": {"type": "boolean"},
    "total_posts": {"type": "integer", "minimum": 0},
    "url": {"type": "string"},
}
_COLLECTION_REQUIRED = [k for k in _COLLECTION_PROPERTIES if k != "email"]

_RESULT_PROPERTIES: dict[str, Schema] = {
    "id": {"type": "string"},
    "channel": {**_nullable("integer"), "description": "Null when no channel matched."},
    "platform": {"type": "string"},
    "handle": {"type": "string"},
    "status": {"enum": _DELIVERY_STATUSES},
    "post_id": {**_nullable("string"), "description": "The post's id on the other platform."},
    "url": _nullable("string"),
    "error": _nullable("string"),
    "published_at": {"type": ["string", "null"], "format": "date-time"},
    "attempts": {"type": "integer", "minimum": 0},
    "uri": {**_nullable("string"), "description": "Bluesky only."},
    "cid": {**_nullable("string"), "description": "Bluesky only."},
}
_RESULT_REQUIRED = [k for k in _RESULT_PROPERTIES if k not in ("uri", "cid")]


def _schemas() -> dict[str, Schema]:
    collection_with_posts = deepcopy(_COLLECTION_PROPERTIES)
    collection_with_posts["posts"] = {"type": "array", "items": _ref("Post")}
    collection_with_posts["pinned"] = {"type": "array", "items": _ref("Post")}
    my_result = {
        **_RESULT_PROPERTIES,
        "post": {"type": "string", "description": "The crossposted post's id."},
        "batch": {"type": "string", "description": "The crosspost request it belongs to."},
    }
    return {
        "Error": _obj({
            "code": {"type": "integer", "minimum": 400, "maximum": 599},
            "error_msg": {"type": "string"},
        }),
        "Post": _post_schema(token=False, views=True),
        "PublishedPost": _post_schema(token=True, views=False),
        "MovedPost": _post_schema(token=False, views=False),
        "CollectionRef": _obj({
            "alias": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
        }),
        "Collection": _obj(_COLLECTION_PROPERTIES, _COLLECTION_REQUIRED),
        "CollectionWithPosts": _obj(
            collection_with_posts, _COLLECTION_REQUIRED + ["posts", "pinned"]
        ),
        "User": _obj({
            "username": {"type": "string"},
            "email": {"type": "string", "description": "Empty when none was given."},
            "created": _TIME,
        }),
        "AccessToken": {"type": "string", "format": "uuid"},
        "Channel": _obj({
            "id": {"type": "integer"},
            "platform": {"enum": _PLATFORMS},
            "handle": {"type": "string"},
            "account_id": {"type": "string"},
            "base_url": {"type": "string"},
            "status": {"enum": ["active", "needs_reconnect"]},
            "status_reason": _nullable("string"),
            "created": _TIME,
        }),
        "Media": _obj({
            "id": {"type": "string"},
            "mime_type": {"enum": _MIME_TYPES},
            "width": {"type": "integer", "minimum": 1},
            "height": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1},
            "alt_text": {"type": "string"},
            "created": _TIME,
        }),
        "CrosspostResult": _obj(_RESULT_PROPERTIES, _RESULT_REQUIRED),
        "MyCrosspostResult": _obj(my_result, _RESULT_REQUIRED + ["post", "batch"]),
        "CrosspostBatch": _obj(
            {
                "id": {"type": "string"},
                "post": {"type": "string"},
                "status": {"enum": _BATCH_STATUSES},
                "created": _TIME,
                "scheduled_at": _TIME,
                "results": {"type": "array", "items": _ref("CrosspostResult")},
            },
            ["id", "post", "status", "created", "results"],
        ),
        "ClaimResult": {
            "oneOf": [
                _obj(
                    {"id": {"type": "string"}, "code": {"const": 200}, "post": _ref("Post")},
                ),
                _ref("ItemError"),
            ],
        },
        "CollectResult": {
            "oneOf": [
                _obj({"code": {"const": 200}, "post": _ref("MovedPost")}),
                _obj(
                    {"code": {"type": "integer", "minimum": 400}, "error_msg": {"type": "string"}},
                ),
            ],
        },
        "ItemError": _obj(
            {
                "id": {"type": "string"},
                "code": {"type": "integer", "minimum": 400},
                "error_msg": {"type": "string"},
            },
            ["code", "error_msg"],
        ),
        "PinResult": _obj(
            {
                "id": _nullable("string"),
                "code": {"type": "integer"},
                "error_msg": {"type": "string"},
            },
            ["id", "code"],
        ),
    }


# Requests. JSON gives real types; forms give strings (see `writeas.payload`), so each form
# schema is its JSON schema with every value a string.

_FLAG_TEXT = {"enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""]}
_LANGUAGE = {
    "type": "string",
    "maxLength": 16,
    "pattern": "^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?)?$",
    "description": "ISO 639-1 code, optionally with a region; empty clears it.",
}
_FONT = {
    "type": "string",
    "description": "sans, serif (or norm), wrap, mono or code; anything else is serif.",
    "examples": ["serif"],
}
_POST_FIELDS: dict[str, Schema] = {
    "body": {"type": "string", "minLength": 1},
    "title": {"type": "string", "maxLength": 1000},
    "font": _FONT,
    "lang": _LANGUAGE,
    "rtl": {"type": "boolean"},
}
_CROSSPOST_SPEC = {
    "type": "array",
    "description": 'Authenticated only: [{"mastodon": "handle"}, …], one pair an item.',
    "items": {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": {"type": "string"},
    },
}


def _open_object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """Request bodies: unknown keys are ignored, so they are allowed."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _as_form(schema: Schema) -> Schema:
    """The same fields as strings, which is all a form can carry; objects and arrays are
    left out because a form can't express them."""
    properties = {}
    for name, field in schema["properties"].items():
        kinds = field.get("type")
        if kinds in ("object", "array"):
            continue
        if kinds == "boolean":
            properties[name] = _FLAG_TEXT
        elif kinds == "integer":
            properties[name] = {"type": "string", "pattern": "^[0-9]+$"}
        else:
            properties[name] = field
    return _open_object(properties, schema.get("required"))


def _body(schema: Schema, *, forms: bool = True, required: bool = True) -> Schema:
    content = {"application/json": {"schema": schema}}
    if forms:
        form = _as_form(schema)
        content["application/x-www-form-urlencoded"] = {"schema": form}
        content["multipart/form-data"] = {"schema": form}
    return {"required": required, "content": content}


def _array_body(item: Schema, description: str) -> Schema:
    """Batch endpoints read a JSON array; a form can't carry one (it gets a 400)."""
    return {
        "required": True,
        "description": description,
        "content": {
            "application/json": {"schema": {"type": "array", "maxItems": 1000, "items": item}},
        },
    }


_STATUS_TEXT = {
    200: "OK.",
    201: "Created.",
    202: "Accepted: queued or scheduled.",
    204: "Done; no body.",
    400: "A missing or invalid parameter; the message names it.",
    401: "No valid access token (or modify token) for this.",
    403: "Not yours, a wrong modify token, or a password-protected blog not unlocked.",
    404: "Not found (or private to someone else).",
    409: "A conflict: taken, already done, or the same Idempotency-Key still in progress.",
    410: "Unpublished by its author.",
    412: "Over MAX_COLLECTIONS_PER_USER.",
    413: "Request body too large.",
    422: "This Idempotency-Key was used with a different request.",
    429: "Too many requests (or wrong blog passwords); see Retry-After.",
    502: "The other platform couldn't be reached or answered nonsense.",
}


def _error_responses() -> dict[str, Schema]:
    """One response per status, `code` pinned to it: the envelope repeats the HTTP status."""
    responses = {}
    for status, text in _STATUS_TEXT.items():
        if status < 400:
            continue
        response: Schema = {
            "description": text,
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [_ref("Error")],
                        "properties": {"code": {"const": status}},
                    },
                },
            },
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds until a request may succeed.",
                    "schema": {"type": "string"},
                },
            }
        responses[str(status)] = response
    return responses


def _envelope(data: Schema, status: int) -> Schema:
    return {
        "type": "object",
        "properties": {"code": {"const": status}, "data": data},
        "required": ["code", "data"],
        "additionalProperties": False,
    }


def _ok(data: Schema, status: int = 200, text: str | None = None) -> dict[str, Schema]:
    return {
        str(status): {
            "description": text or _STATUS_TEXT[status],
            "content": {"application/json": {"schema": _envelope(data, status)}},
        }
    }


_NO_CONTENT = {"204": {"description": _STATUS_TEXT[204]}}


def _list(item: Schema) -> Schema:
    return {"type": "array", "items": item}


_REQUIRED_AUTH = [{"token": []}]
_OPTIONAL_AUTH = [{}, {"token": []}]
# A body can be too large, and every write is rate limited.
_WRITE_ERRORS = [413, 429]


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Schema],
    errors: list[int],
    *,
    auth: str = "optional",
    tag: str,
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
) -> Schema:
    """Every request may carry a bad token (401), so 401 is listed on every operation."""
    all_errors = sorted(set(errors) | {401})
    operation: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": _REQUIRED_AUTH if auth == "required" else _OPTIONAL_AUTH,
        "responses": {
            **responses,
            **{str(s): {"$ref": f"#/components/responses/{s}"} for s in all_errors},
        },
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
    return operation


def _path_param(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_POST_ID = _path_param("post_id", "The post's id.")
_ALIAS = _path_param("alias", "The blog's alias.")
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A replay within 24 hours answers the first response again.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}
_COLLECTION_PASSWORD = {
    "name": "X-Collection-Password",
    "in": "header",
    "required": False,
    "description": "The password of a password-protected blog.",
    # Header values are visible ASCII (HTTP field-value), without edge spaces.
    "schema": {"type": "string", "pattern": "^[!-~]([ -~]*[!-~])?$"},
}
_TOKEN_QUERY = _query("token", {"type": "string"}, "The post's modify token.")
# Idempotent creates: a bad key is 400, the key in use is 409, reused differently is 422.
_IDEMPOTENT_ERRORS = [400, 409, 422]


def _auth_paths() -> dict[str, Schema]:
    credentials = {
        "alias": {"type": "string", "minLength": 1, "maxLength": ALIAS_MAX},
        "pass": {"type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX},
    }
    signup = _open_object(
        {**credentials, "email": {"type": "string", "format": "email"}}, ["alias", "pass"]
    )
    signed_up = _obj({
        "access_token": _ref("AccessToken"),
        "user": _ref("User"),
        "collections": _list(_ref("Collection")),
    })
    logged_in = _obj({"access_token": _ref("AccessToken"), "user": _ref("User")})
    return {
        "/api/auth/signup": {
            "post": _operation(
                "signup", "Sign up; creates the blog of the same alias.",
                _ok(signed_up, 201), [400, 409, *_WRITE_ERRORS],
                tag="Users", body=_body(signup),
            ),
        },
        "/api/auth/login": {
            "post": _operation(
                "login", "Log in: a new access token.",
                _ok(logged_in), [400, 404, *_WRITE_ERRORS],
                tag="Users", body=_body(_open_object(credentials, ["alias", "pass"])),
            ),
        },
        "/api/auth/me": {
            "delete": _operation(
                "logout", "Log out this token only.", _NO_CONTENT, [429],
                auth="required", tag="Users",
            ),
        },
    }


def _post_paths() -> dict[str, Schema]:
    publish = _open_object(
        {**_POST_FIELDS, "crosspost": _CROSSPOST_SPEC, "created": _TIME}, ["body"]
    )
    update = _open_object({**_POST_FIELDS, "token": {"type": "string"}})
    claim_item = _open_object({"id": {"type": "string"}, "token": {"type": "string"}}, ["id"])
    return {
        "/api/posts": {
            "post": _operation(
                "publishPost",
                "Publish a post; owned by the token's user, else anonymous.",
                _ok(_ref("PublishedPost"), 201),
                [*_IDEMPOTENT_ERRORS, *_WRITE_ERRORS],
                tag="Posts", parameters=[_IDEMPOTENCY_KEY], body=_body(publish),
            ),
        },
        "/api/posts/{post_id}": {
            "get": _operation(
                "retrievePost", "Retrieve a post.", _ok(_ref("Post")), [403, 404, 410, 429],
                tag="Posts", parameters=[_POST_ID, _COLLECTION_PASSWORD],
            ),
            "post": _operation(
                "updatePost",
                'Update with the modify token or as the owner; `body: ""` unpublishes (410).',
                _ok(_ref("Post")), [400, 403, 404, 410, *_WRITE_ERRORS],
                tag="Posts", parameters=[_POST_ID, _TOKEN_QUERY],
                body=_body(update, required=False),
            ),
            "put": _operation(
                "replacePost", "The same as POST.",
                _ok(_ref("Post")), [400, 403, 404, 410, *_WRITE_ERRORS],
                tag="Posts", parameters=[_POST_ID, _TOKEN_QUERY],
                body=_body(update, required=False),
            ),
            "delete": _operation(
                "deletePost", "Delete with the modify token or as the owner.",
                _NO_CONTENT, [400, 403, 404, *_WRITE_ERRORS],
                tag="Posts", parameters=[_POST_ID, _TOKEN_QUERY],
                body=_body(_open_object({"token": {"type": "string"}}), required=False),
            ),
        },
        "/api/posts/claim": {
            "post": _operation(
                "claimPosts", "Claim anonymous posts; one result per item.",
                _ok(_list(_ref("ClaimResult"))), [400, *_WRITE_ERRORS],
                auth="required", tag="Posts",
                body=_array_body(claim_item, "Each post's id and modify token."),
            ),
        },
    }


def _me_paths() -> dict[str, Schema]:
    anonymous = _query(
        "anonymous", {"type": "string"}, "1, true or yes: only posts in no blog."
    )
    return {
        "/api/me": {
            "get": _operation(
                "me", "The authenticated user.", _ok(_ref("User")), [],
                auth="required", tag="Users",
            ),
        },
        "/api/me/posts": {
            "get": _operation(
                "myPosts", "The user's posts, newest first.", _ok(_list(_ref("Post"))), [],
                auth="required", tag="Users", parameters=[anonymous],
            ),
        },
        "/api/me/collections": {
            "get": _operation(
                "myCollections", "The user's blogs.", _ok(_list(_ref("Collection"))), [],
                auth="required", tag="Users",
            ),
        },
    }


def _collection_paths() -> dict[str, Schema]:
    create = _open_object(
        {
            "title": {"type": "string", "minLength": 1, "maxLength": 255},
            "alias": {"type": "string", "maxLength": ALIAS_MAX},
        },
        ["title"],
    )
    update = _open_object({
        "title": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": {"type": "string", "maxLength": 5000},
        "style_sheet": {"type": "string", "maxLength": 100_000},
        "visibility": {
            "description": "A name, or WriteFreely's number (1, 0, 2, 4).",
            "anyOf": [{"enum": list(VISIBILITIES)}, {"enum": [0, 1, 2, 4]}],
        },
        "password": {"type": "string", "maxLength": PASSWORD_MAX},
    })
    publish = _open_object(
        {**_POST_FIELDS, "crosspost": _CROSSPOST_SPEC, "created": _TIME}, ["body"]
    )
    page = _query("page", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}, "1-based.")
    moved = _open_object({"id": {"type": "string"}, "token": {"type": "string"}}, ["id"])
    pin = _open_object({"id": {"type": "string"}, "position": {"type": "integer", "minimum": 1}},
                       ["id"])
    unpin = _open_object({"id": {"type": "string"}}, ["id"])
    batch_errors = [400, 403, 404, *_WRITE_ERRORS]
    return {
        "/api/collections": {
            "post": _operation(
                "createCollection", "Create a blog.", _ok(_ref("Collection"), 201),
                [*_IDEMPOTENT_ERRORS, 412, *_WRITE_ERRORS],
                auth="required", tag="Collections", parameters=[_IDEMPOTENCY_KEY],
                body=_body(create),
            ),
        },
        "/api/collections/{alias}": {
            "get": _operation(
                "retrieveCollection", "Retrieve a blog.", _ok(_ref("Collection")), [403, 404, 429],
                tag="Collections", parameters=[_ALIAS, _COLLECTION_PASSWORD],
            ),
            "post": _operation(
                "updateCollection", "Change a blog's settings.", _ok(_ref("Collection")),
                [400, 403, 404, *_WRITE_ERRORS],
                auth="required", tag="Collections", parameters=[_ALIAS, _COLLECTION_PASSWORD],
                body=_body(update, required=False),
            ),
            "delete": _operation(
                "deleteCollection", "Delete a blog; its posts stay the owner's.",
                _NO_CONTENT, [403, 404, 429], auth="required", tag="Collections",
                parameters=[_ALIAS],
            ),
        },
        "/api/collections/{alias}/posts": {
            "get": _operation(
                "collectionPosts", "The blog with one page of its posts and its pinned ones.",
                _ok(_ref("CollectionWithPosts")), [400, 403, 404, 429],
                tag="Collections", parameters=[_ALIAS, page, _COLLECTION_PASSWORD],
            ),
            "post": _operation(
                "publishToCollection",
                "Publish into the blog; a future `created` schedules the post.",
                _ok(_ref("PublishedPost"), 201),
                [*_IDEMPOTENT_ERRORS, 403, 404, *_WRITE_ERRORS],
                auth="required", tag="Collections", parameters=[_ALIAS, _IDEMPOTENCY_KEY],
                body=_body(publish),
            ),
        },
        "/api/collections/{alias}/posts/{slug}": {
            "get": _operation(
                "collectionPost", "One post of the blog by its slug.", _ok(_ref("Post")),
                [403, 404, 410, 429], tag="Collections",
                parameters=[_ALIAS, _path_param("slug", "The post's slug."),
                            _COLLECTION_PASSWORD],
            ),
        },
        "/api/collections/{alias}/collect": {
            "post": _operation(
                "collectPosts", "Move posts into the blog; one result per item.",
                _ok(_list(_ref("CollectResult"))), batch_errors,
                auth="required", tag="Collections", parameters=[_ALIAS],
                body=_array_body(moved, "Your posts by id, anonymous ones with their token."),
            ),
        },
        "/api/collections/{alias}/pin": {
            "post": _operation(
                "pinPosts", "Pin posts to the blog's navigation; one result per item.",
                _ok(_list(_ref("PinResult"))), batch_errors,
                auth="required", tag="Collections", parameters=[_ALIAS],
                body=_array_body(pin, "Posts of the blog, at `position` or at the end."),
            ),
        },
        "/api/collections/{alias}/unpin": {
            "post": _operation(
                "unpinPosts", "Unpin posts; one result per item.",
                _ok(_list(_ref("PinResult"))), batch_errors,
                auth="required", tag="Collections", parameters=[_ALIAS],
                body=_array_body(unpin, "Posts of the blog."),
            ),
        },
    }


def _crosspost_paths() -> dict[str, Schema]:
    connect = _open_object(
        {
            "platform": {"enum": _PLATFORMS},
            "handle": {"type": "string", "minLength": 1, "maxLength": 255},
            "base_url": {"type": "string", "maxLength": 500},
            "credentials": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 10,
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 4096},
            },
        },
        ["platform", "handle", "credentials"],
    )
    upload = {
        "type": "object",
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "A JPEG, PNG, GIF or WebP image."},
            "alt_text": {"type": "string", "maxLength": ALT_TEXT_MAX},
        },
        "required": ["file"],
    }
    target = _open_object(
        {
            "channel": {
                "description": "A channel id, or {platform, handle}.",
                "anyOf": [
                    {"type": "integer"},
                    {"type": "string"},
                    _open_object({"platform": {"type": "string"}, "handle": {"type": "string"}}),
                ],
            },
            "text": {"type": "string", "maxLength": 100_000},
            "media": {"type": "array", "items": {"type": "string"}},
        },
        ["channel"],
    )
    request = _open_object(
        {
            "targets": {"type": "array", "minItems": 1, "maxItems": TARGETS_MAX,
                        "items": target},
            "scheduled_at": _TIME,
        },
        ["targets"],
    )
    statuses = {"enum": _DELIVERY_STATUSES}
    limit = {"type": "string", "pattern": f"^[0-9]{{1,{len(str(LIST_MAX))}}}$"}
    return {
        "/api/me/channels": {
            "get": _operation(
                "listChannels", "Connected accounts (never their credentials).",
                _ok(_list(_ref("Channel"))), [], auth="required", tag="Crossposting",
            ),
            "post": _operation(
                "connectChannel",
                "Connect an account; the platform checks the credentials first.",
                _ok(_ref("Channel"), 201), [400, 502, *_WRITE_ERRORS],
                auth="required", tag="Crossposting",
                body={"required": True,
                      "content": {"application/json": {"schema": connect}}},
            ),
        },
        "/api/me/channels/{channel_id}": {
            "delete": _operation(
                "disconnectChannel", "Disconnect an account.", _NO_CONTENT, [404, 429],
                auth="required", tag="Crossposting",
                parameters=[_path_param("channel_id", "The channel's id.")],
            ),
        },
        "/api/media": {
            "get": _operation(
                "listMedia", "The user's images.", _ok(_list(_ref("Media"))), [],
                auth="required", tag="Crossposting",
            ),
            "post": _operation(
                "uploadMedia", "Upload an image (re-encoded without metadata).",
                _ok(_ref("Media"), 201), [*_IDEMPOTENT_ERRORS, *_WRITE_ERRORS],
                auth="required", tag="Crossposting", parameters=[_IDEMPOTENCY_KEY],
                body={
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": upload,
                            "encoding": {"file": {"contentType": "image/*"}},
                        },
                    },
                },
            ),
        },
        "/api/media/{media_id}": {
            "delete": _operation(
                "deleteMedia", "Delete an image.", _NO_CONTENT, [404, 429],
                auth="required", tag="Crossposting",
                parameters=[_path_param("media_id", "The image's id.")],
            ),
        },
        "/api/posts/{post_id}/crossposts": {
            "get": _operation(
                "postCrossposts", "The post's crosspost requests and their results.",
                _ok(_list(_ref("CrosspostBatch"))), [404],
                auth="required", tag="Crossposting", parameters=[_POST_ID],
            ),
            "post": _operation(
                "crosspost", "Crosspost one of your posts, now or at `scheduled_at`.",
                {
                    **_ok(_ref("CrosspostBatch"), 201, "Done: every result is final."),
                    **_ok(_ref("CrosspostBatch"), 202),
                },
                [*_IDEMPOTENT_ERRORS, 403, 404, 410, *_WRITE_ERRORS],
                auth="required", tag="Crossposting", parameters=[_POST_ID, _IDEMPOTENCY_KEY],
                body={"required": True,
                      "content": {"application/json": {"schema": request}}},
            ),
        },
        "/api/me/crossposts": {
            "get": _operation(
                "myCrossposts", "Every delivery of the user's, newest first.",
                _ok(_list(_ref("MyCrosspostResult"))), [400],
                auth="required", tag="Crossposting",
                parameters=[
                    _query("status", statuses, "Only deliveries in this status."),
                    _query("platform", {"type": "string"}, "Only deliveries to this platform."),
                    _query("limit", limit, f"1 to {LIST_MAX}; 50 when not given."),
                ],
            ),
        },
        "/api/crossposts/{crosspost_id}": {
            "delete": _operation(
                "cancelCrosspost", "Cancel a queued or scheduled delivery, or a whole request.",
                _NO_CONTENT, [404, 409, 429], auth="required", tag="Crossposting",
                parameters=[_path_param("crosspost_id", "A delivery's or a request's id.")],
            ),
        },
    }


def _document_path() -> dict[str, Schema]:
    return {
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "tags": ["Meta"],
                "security": _OPTIONAL_AUTH,
                "responses": {
                    "200": {
                        "description": "The OpenAPI document (not enveloped).",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": {"$ref": "#/components/responses/401"},
                },
            },
        },
    }


def document() -> dict[str, Any]:
    """A fresh copy each time, so a caller can't change what the next one is served."""
    paths: dict[str, Schema] = {}
    for part in (_auth_paths, _post_paths, _me_paths, _collection_paths, _crosspost_paths,
                 _document_path):
        paths.update(part())
    return deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "Write.as-compatible API",
            "version": "1.0.0",
            "description": (
                "Every response is JSON: `{code, data}` on success, `{code, error_msg}` on "
                "failure, with `code` repeating the HTTP status. Requests may be JSON or "
                "form-encoded; in updates, an absent or null key keeps the stored value."
            ),
        },
        "tags": [{"name": n} for n in ("Users", "Posts", "Collections", "Crossposting", "Meta")],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": _error_responses(),
            "securitySchemes": {
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "`Token <access_token>` (`Bearer` works too). No header is anonymous; "
                        "an unknown or logged-out token is 401."
                    ),
                },
            },
        },
    })
