"""The hottest reads, answered for anonymous visitors without the framework's per-request
machinery.

A post's raw text, `GET /api/posts/{id}`, and a post's page or a blog's first page that is
already rendered cost one indexed row read; Flask's request and session contexts, hooks and
extensions would cost several times that on every one of them. This WSGI layer sits in
front of the app and answers exactly those requests when they come from someone the
answer doesn't depend on (no cookie for pages; no token or blog password for the API), by
calling the same service functions with the anonymous reader. Routing is Flask's own URL
map, so a path reaches the same endpoint either way. Anything else — another route, a
visitor with a session, a page not yet rendered, any refusal or error — goes on to the app
unchanged, so every rule and every error answer lives in one place.

An answer it made is kept, bytes and headers, under the database's generation
(`reads.snapshots.generation`: a counter that any commit from any process moves), so until
the next write anywhere it is given again without a query: an edit, a post made private, a
suspension, a view-count flush all move the generation, and the next read of every path in
every worker makes its answer afresh. Time alone only ever makes more visible (a scheduled
post goes live), and what shows scheduled posts (a blog's page) keeps its page's expiry.
Only answers for the anonymous visitor are made here, so no answer for one reader can
reach another.

It runs without an app context (pushing and tearing one down would be a fifth of a raw
read): what the service functions would look up through `current_app` (the engine, the
view counter, the page cache, the JSON provider) is handed to them, bound on first use.
"""

from dataclasses import dataclass
from datetime import datetime

from werkzeug.exceptions import HTTPException

from writeas import reads, settings
from writeas.api.shapes import post_etag, post_json
from writeas.http import conditional
from writeas.http.cache_headers import API_VARY_HEADER, REVALIDATE, shared_page_policy
from writeas.http.content_types import JSON, RAW_TYPES
from writeas.http.envelope import ok_text
from writeas.http.negotiation import AP_VARY, NEGOTIATED, wants_activitypub
from writeas.http.security_headers import HEADERS
from writeas.reads import Reads
from writeas.reads.snapshots import PostSnapshot
from writeas.services import blogs, posts
from writeas.services.visibility import ANONYMOUS
from writeas.web import pagecache
from writeas.web.reading import raw_validators

REMEMBERED_ROUTES = 4096
NOT_MODIFIED = "304 Not Modified"
OK = "200 OK"
_NO_SUCH_COUNT = -7_319_024_611_857


@dataclass(frozen=True, slots=True)
class Found:
    """What a route's reader found: the answer's content type and validators, its text
    (None for the API's read, which is made on each answer: it carries the view count),
    the post a view is counted for, and until when it holds."""

    content_type: str
    text: str | None
    tag: str
    modified: datetime
    viewed: PostSnapshot | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ready:
    """An answer ready to give again while `generation` holds: its 304's headers, the
    same with `Last-Modified` and the security headers, and its 200's body and whole
    headers (for the API read, the body's bytes either side of its view count instead)."""

    generation: tuple | None
    found: Found
    headers: list
    validated: list
    body: bytes | None
    ok_headers: list | None
    around_views: tuple[bytes, bytes] | None = None

    def __len__(self) -> int:
        return len(self.body or b"") + 1024


class HotReads:
    def __init__(self, app, wsgi_app):
        self._app = app
        self._next = wsgi_app
        self._adapter = None
        self._reads: Reads | None = None
        self._matched: dict[str, tuple[str, dict] | None] = {}
        self._policy: str | None = None
        self._routes = {
            "reading.post_page": self._post,
            "api.posts.retrieve": self._api_post,
            "blogs.home": self._blog_home,
        }

    def __call__(self, environ, start_response):
        answer = None
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            answer = self._answer(environ)
        if answer is None:
            return self._next(environ, start_response)
        ready, body = answer
        if body is None:
            start_response(NOT_MODIFIED, ready.headers)
            return []
        headers = ready.ok_headers
        if headers is None:
            headers = [*_about(ready.found.content_type, body), *ready.validated]
        start_response(OK, headers)
        return [body]

    def _answer(self, environ) -> tuple[Ready, bytes | None] | None:
        """The answer this layer may give, with its 200's body (None: the client holds it
        already, a 304), else None. An ActivityPub `Accept` goes on to the app, which
        answers the actor or the object."""
        if wants_activitypub(environ.get("HTTP_ACCEPT")):
            return None
        route = self._route(_decoded(environ, "PATH_INFO"))
        if route is None:
            return None
        endpoint, args = route
        handler = self._routes.get(endpoint)
        if handler is None or not self._anonymous(environ, api=endpoint.startswith("api.")):
            return None
        if self._reads is None:
            self._reads = self._app.extensions[reads.EXTENSION]
        served = self._reads
        serving = reads.SERVING.set(served)
        try:
            generation = served.generation()
            key = (environ.get("PATH_INFO"), environ.get("SCRIPT_NAME"))
            ready = served.answers.get(key) if generation is not None else None
            if ready is None or ready.generation != generation:
                found = handler(served, environ, **args)
                if found is None:
                    return None
                ready = self._ready(generation, found, endpoint)
                if generation is not None:
                    served.answers.put(key, ready, found.until)
            found = ready.found
            viewed = found.viewed
            if viewed is not None:
                posts.record_view(viewed, ANONYMOUS)
            fresh = conditional.fresh(
                environ.get("HTTP_IF_NONE_MATCH"),
                environ.get("HTTP_IF_MODIFIED_SINCE"),
                found.tag,
                found.modified,
            )
            if fresh:
                return ready, None
            body = ready.body
            if body is None:  # the API's read, with the views counted so far
                views = posts.views(viewed)
                if ready.around_views is None:
                    body = ok_text(post_json(viewed, views=views)).encode()
                else:
                    body = b"%s%d%s" % (ready.around_views[0], views, ready.around_views[1])
            return ready, body
        except Exception:  # a refusal or a failure: the app gives it its proper answer
            return None
        finally:
            reads.SERVING.reset(serving)

    def _ready(self, generation, found: Found, endpoint: str) -> Ready:
        api = found.content_type == JSON
        vary = API_VARY_HEADER if api else "Cookie"
        if endpoint in NEGOTIATED:
            vary = f"{AP_VARY}, {vary}"
        headers = [
            ("Vary", vary),
            ("Cache-Control", REVALIDATE if api else self._page_policy()),
            ("ETag", found.tag),
        ]
        validated = [
            *conditional.validator_headers(found.tag, found.modified)[1:], *headers, *HEADERS
        ]
        if found.text is None:
            return Ready(generation, found, headers, validated, None, None, _around_views(found))
        body = found.text.encode()
        ok = [*_about(found.content_type, body), *validated]
        return Ready(generation, found, headers, validated, body, ok)

    def _page_policy(self) -> str:
        if self._policy is None:
            max_age = self._app.extensions[settings.EXTENSION].page_max_age
            self._policy = shared_page_policy(max_age)
        return self._policy

    def _route(self, path: str) -> tuple[str, dict] | None:
        """(endpoint, arguments) for a GET of the path. Matching a path against the URL map
        is pure, and costs a tenth of a cheap request, so the paths seen last are
        remembered."""
        if path in self._matched:
            return self._matched[path]
        if self._adapter is None:
            self._adapter = self._app.url_map.bind("")
        try:
            route = self._adapter.match(path, "GET")
        except HTTPException:
            route = None
        if len(self._matched) >= REMEMBERED_ROUTES:
            self._matched.clear()
        self._matched[path] = route
        return route

    @staticmethod
    def _anonymous(environ, api: bool) -> bool:
        """The API ignores cookies but reads tokens and blog passwords from headers; pages
        know their visitor by the session cookie."""
        if api:
            return not (
                environ.get("HTTP_AUTHORIZATION") or environ.get("HTTP_X_COLLECTION_PASSWORD")
            )
        return not environ.get("HTTP_COOKIE")

    @staticmethod
    def _post(served: Reads, environ, post_id: str) -> Found | None:
        post_id, _, extension = post_id.partition(".")
        if extension and extension not in RAW_TYPES:
            return None
        post = posts.readable(post_id, ANONYMOUS)
        if extension:
            return Found(RAW_TYPES[extension], post.body, *raw_validators(post))
        if post.collection is not None:
            return None
        entry = served.pages.entry(pagecache.post_page_key(_script_root(environ), post))
        if entry is None:
            return None
        page, until = entry
        return Found(page.content_type, page.html, page.tag, page.modified, post, until)

    @staticmethod
    def _api_post(_served: Reads, environ, post_id: str) -> Found | None:
        post = posts.readable(post_id, ANONYMOUS)
        if post.collection is not None:
            return None  # it carries its blog's absolute URL, which is the request's host
        modified = conditional.last_modified(post.updated)
        return Found(JSON, None, post_etag(post, ""), modified, post)

    @staticmethod
    def _blog_home(served: Reads, environ, alias: str) -> Found | None:
        collection = blogs.readable(alias, ANONYMOUS)
        key = pagecache.blog_page_key(_script_root(environ), collection, 1)
        entry = served.pages.entry(key)
        if entry is None:
            return None
        page, until = entry
        return Found(page.content_type, page.html, page.tag, page.modified, until=until)


def _around_views(found: Found) -> tuple[bytes, bytes] | None:
    """The API read's bytes before and after its view count: rendered once with a count
    no post has, split there. None if the post's own text holds that number too."""
    text = ok_text(post_json(found.viewed, views=_NO_SUCH_COUNT)).encode()
    parts = text.split(b"%d" % _NO_SUCH_COUNT)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _about(content_type: str, body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ("Content-Length", str(len(body)))]


def _script_root(environ) -> str:
    return _decoded(environ, "SCRIPT_NAME").rstrip("/")


def _decoded(environ, key: str) -> str:
    """A path as Werkzeug reads it: WSGI carries it as latin-1 code points of UTF-8 bytes."""
    return environ.get(key, "").encode("latin1").decode(errors="replace")
