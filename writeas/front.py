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

It runs without an app context (pushing and tearing one down would be a fifth of a raw
read): what the service functions would look up through `current_app` (the engine, the
view counter, the page cache, the JSON provider) is handed to them, bound on first use.
"""

from werkzeug.exceptions import HTTPException

from writeas import reads
from writeas.api.shapes import post_json
from writeas.http.cache_headers import API_VARY_HEADER
from writeas.http.content_types import HTML, JSON, RAW_TYPES
from writeas.http.envelope import ok_text
from writeas.http.negotiation import AP_VARY, NEGOTIATED, wants_activitypub
from writeas.http.security_headers import HEADERS
from writeas.reads import Reads
from writeas.services import blogs, posts
from writeas.services.visibility import ANONYMOUS
from writeas.web import pagecache

REMEMBERED_ROUTES = 4096


class HotReads:
    def __init__(self, app, wsgi_app):
        self._app = app
        self._next = wsgi_app
        self._adapter = None
        self._reads: Reads | None = None
        self._matched: dict[str, tuple[str, dict] | None] = {}
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
        content_type, text, endpoint = answer
        body = text.encode()
        vary = API_VARY_HEADER if content_type == JSON else "Cookie"
        if endpoint in NEGOTIATED:
            vary = f"{AP_VARY}, {vary}"
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Vary", vary),
                *HEADERS,
            ],
        )
        return [body]

    def _answer(self, environ) -> tuple[str, str, str] | None:
        """(content type, body, endpoint) of a 200 this layer may give, else None. An
        ActivityPub `Accept` goes on to the app, which answers the actor or the object."""
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
        serving = reads.SERVING.set(self._reads)
        try:
            found = handler(self._reads, environ, **args)
            return None if found is None else (*found, endpoint)
        except Exception:  # a refusal or a failure: the app gives it its proper answer
            return None
        finally:
            reads.SERVING.reset(serving)

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
    def _post(served: Reads, environ, post_id: str) -> tuple[str, str] | None:
        post_id, _, extension = post_id.partition(".")
        if extension and extension not in RAW_TYPES:
            return None
        post = posts.readable(post_id, ANONYMOUS)
        if extension:
            return RAW_TYPES[extension], post.body
        if post.collection is not None:
            return None
        html = served.pages.get(pagecache.post_page_key(_script_root(environ), post))
        if html is None:
            return None
        posts.record_view(post, ANONYMOUS)
        return HTML, html

    @staticmethod
    def _api_post(_served: Reads, _environ, post_id: str) -> tuple[str, str] | None:
        post = posts.readable(post_id, ANONYMOUS)
        if post.collection is not None:
            return None  # it carries its blog's absolute URL, which is the request's host
        posts.record_view(post, ANONYMOUS)
        return JSON, ok_text(post_json(post, views=posts.views(post)))

    @staticmethod
    def _blog_home(served: Reads, environ, alias: str) -> tuple[str, str] | None:
        collection = blogs.readable(alias, ANONYMOUS)
        html = served.pages.get(pagecache.blog_page_key(_script_root(environ), collection, 1))
        return (HTML, html) if html is not None else None


def _script_root(environ) -> str:
    return _decoded(environ, "SCRIPT_NAME").rstrip("/")


def _decoded(environ, key: str) -> str:
    """A path as Werkzeug reads it: WSGI carries it as latin-1 code points of UTF-8 bytes."""
    return environ.get(key, "").encode("latin1").decode(errors="replace")
