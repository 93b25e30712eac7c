"""A small LinkedIn: OpenID Connect `/v2/userinfo`, the versioned Images API
(`initializeUpload`, then a PUT of the bytes to the returned upload URL, which points back
at this server) and the Posts API, which answers 201 with the post URN in `x-restli-id`.

It reads `commentary` the way LinkedIn's "little" format does, including its notorious
behaviour of cutting the text at the first unescaped reserved character, and stores the
resulting plain text; it refuses an exact repeat from the same author with LinkedIn's 422
DUPLICATE_POST. Error shapes are LinkedIn's `{message, status}`; the wording of the
over-length message is modelled on what LinkedIn is reported to send.
"""

import itertools
import re
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from writeas.crossposting.platforms.base import Account, Content

TEXT_LIMIT = 3000
RESERVED = set("\\|{}@[]()<>#*_~")
_TEMPLATE = re.compile(r"\{hashtag\|\\#\|((?:\\.|[^\\{}|])+)\}")
_VERSION = re.compile(r"^\d{6}(\.\d{2})?$")


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def read_little(commentary: str) -> str:
    """The plain text LinkedIn shows for a little-format commentary."""
    out, i = [], 0
    while i < len(commentary):
        char = commentary[i]
        if char == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
            continue
        template = _TEMPLATE.match(commentary, i) if char == "{" else None
        if template:
            out.append("#" + unescape(template.group(1)))
            i = template.end()
            continue
        if char in RESERVED:
            break  # LinkedIn silently drops everything from here on
        out.append(char)
        i += 1
    return "".join(out)


@dataclass
class State:
    token: str = "li-token-1"
    sub: str = "782bbtaQ"
    name: str = "Alice Gardener"
    organizations: set[str] = field(default_factory=lambda: {"urn:li:organization:2414183"})
    oldest_version: str = "202512"
    posts: list[dict] = field(default_factory=list)
    images: dict[str, dict] = field(default_factory=dict)
    # Switches the tests flip.
    rate_limited: bool = False
    retry_after: int | None = None
    expire_token: bool = False  # the member revoked the token
    slow_seconds: float = 0.0
    fail_next: int | None = None

    @property
    def person(self) -> str:
        return f"urn:li:person:{self.sub}"


_ids = itertools.count(7141138937766391808)


def error(status: int, message: str, **extra):
    return jsonify(message=message, status=status, **extra), status


def create(state: State) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def gate():
        if state.rate_limited:
            response, status = error(
                429,
                "Resource level throttle APPLICATION DAY limit for calls to this "
                "resource is reached.",
            )
            if state.retry_after is not None:
                response.headers["Retry-After"] = str(state.retry_after)
            return response, status
        if state.expire_token:
            return error(
                401,
                "The token used in the request has been revoked by the user",
                serviceErrorCode=65601,
            )
        if request.headers.get("Authorization") != f"Bearer {state.token}":
            return error(401, "Invalid access token", serviceErrorCode=65600)
        if request.path.startswith("/rest/"):
            return check_versioning()
        return None

    def check_versioning():
        version = request.headers.get("LinkedIn-Version", "")
        if not _VERSION.match(version):
            return error(400, "A version header is required: LinkedIn-Version: YYYYMM")
        if version[:6] < state.oldest_version:
            return error(
                426, f"Requested version {version}01 is not active", code="NONEXISTENT_VERSION"
            )
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return error(400, "X-Restli-Protocol-Version 2.0.0 is required")
        return None

    def may_post_as(author: str) -> bool:
        return author == state.person or author in state.organizations

    @app.get("/v2/userinfo")
    def userinfo():
        return jsonify(
            sub=state.sub,
            name=state.name,
            given_name="Alice",
            family_name="Gardener",
            locale={"country": "US", "language": "en"},
            email_verified=True,
        )

    @app.post("/rest/images")
    def initialize_upload():
        if request.args.get("action") != "initializeUpload":
            return error(400, "Unsupported action")
        owner = ((request.get_json(silent=True) or {}).get("initializeUploadRequest") or {}).get(
            "owner"
        )
        if not owner or not may_post_as(owner):
            return error(403, f"Not enough permissions to upload as {owner}")
        number = next(_ids)
        urn = f"urn:li:image:D4E10AQ{number}"
        state.images[urn] = {"owner": owner, "data": None, "content_type": None}
        return jsonify(
            value={
                "uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000,
                "uploadUrl": f"{request.host_url}dms-uploads/{number}?ca=vector_feedshare",
                "image": urn,
            }
        )

    @app.put("/dms-uploads/<number>")
    def upload(number):
        urn = f"urn:li:image:D4E10AQ{number}"
        if urn not in state.images:
            return error(404, "Upload not found")
        state.images[urn].update(
            data=request.get_data(), content_type=request.headers.get("Content-Type")
        )
        return "", 201

    def missing_fields(post: dict) -> str:
        required = ("author", "commentary", "visibility", "distribution", "lifecycleState")
        return "".join(
            f"ERROR :: /{name} :: field is required but not found and has no default value\n"
            for name in required
            if name not in post
        )

    def check_content(post: dict):
        content = post.get("content")
        if not content:
            return None
        entries = (
            [content["media"]]
            if "media" in content
            else (content.get("multiImage", {}).get("images") or [])
        )
        if "multiImage" in content and not 2 <= len(entries) <= 20:
            return error(
                422, "ERROR :: /content/multiImage/images :: array must have 2 to 20 items\n"
            )
        for entry in entries:
            image = state.images.get(entry.get("id", ""))
            if image is None or image["data"] is None:
                return error(400, f"Image {entry.get('id')} has not been uploaded")
            if len(entry.get("altText", "")) > 4086:
                return error(422, "ERROR :: /content/media/altText :: length exceeds 4086\n")
        return None

    def duplicate_of(post: dict) -> str | None:
        for earlier in state.posts:
            same = (earlier["post"]["author"], earlier["post"]["commentary"])
            if same == (post["author"], post["commentary"]):
                return earlier["urn"]
        return None

    @app.post("/rest/posts")
    def create_post():
        if state.fail_next:
            status, state.fail_next = state.fail_next, None
            return error(status, "Internal Server Error")
        post = request.get_json(silent=True)
        if not isinstance(post, dict):
            return error(
                400, "Request body could not be converted to data map", code="ILLEGAL_ARGUMENT"
            )
        problem = missing_fields(post)
        if problem:
            return error(422, problem)
        if not may_post_as(post["author"]):
            return error(403, f"Not enough permissions to post as {post['author']}")
        text = read_little(post["commentary"])
        if len(text) > TEXT_LIMIT:
            return error(
                422,
                "com.linkedin.content.common.exception.BadRequestResponseException: "
                f"ShareCommentary text length ({len(text)} characters) exceeded the "
                f"maximum allowed ({TEXT_LIMIT} characters)",
            )
        refusal = check_content(post)
        if refusal:
            return refusal
        earlier = duplicate_of(post)
        if earlier:
            return error(
                422,
                "com.linkedin.content.common.exception.BadRequestResponseException: "
                f"Content is a duplicate of {earlier}",
                errorDetailType="com.linkedin.common.error.BadRequest",
                errorDetails={
                    "inputErrors": [
                        {
                            "description": "Duplicate post is detected",
                            "input": {},
                            "code": "DUPLICATE_POST",
                        }
                    ]
                },
            )
        urn = f"urn:li:share:{next(_ids)}"
        state.posts.append(
            {"urn": urn, "post": post, "text": text, "headers": dict(request.headers)}
        )
        if state.slow_seconds:
            time.sleep(state.slow_seconds)
        response = app.response_class(status=201)
        response.headers["x-restli-id"] = urn
        return response

    return app


# The account and content the tests publish with (the adapter's side of the exchange).
CREDENTIALS = {"access_token": "li-token-1"}
PERSON = "urn:li:person:782bbtaQ"
ORGANIZATION = "urn:li:organization:2414183"
TEXT = (
    "Seed saving (part 1): keep the *best* pods_dry [really] <3 ~ 100% @home {yes} a|b \\o/ "
    "#gardening #seeds_2026\n\nhttps://write.example/alice/seed_saving_(1)"
)


def account(author=PERSON):
    return Account("alice", author, dict(CREDENTIALS))


def note(**overrides):
    return Content(**{"text": TEXT, "idempotency_key": "k1", **overrides})
