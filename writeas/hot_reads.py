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
"""

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from . import collections, posts
from .api.envelope import ok
from .representations import post_json
from .security_headers import add_security_headers
from .visibility import ANONYMOUS
from .web import pagecache
from .web.reading import RAW_TYPES


class HotReads:
    def __init__(self, app, wsgi_app):
        self._app = app
        self._next = wsgi_app
        self._routes = {
            "reading.post_page": self._post,
            "api.posts.retrieve": self._api_post,
            "blogs.home": self._blog_home,
        }

    def __call__(self, environ, start_response):
        response = None
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            response = self._answer(environ)
        if response is None:
            return self._next(environ, start_response)
        return response(environ, start_response)

    def _answer(self, environ) -> Response | None:
        try:
            endpoint, args = self._app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        handler = self._routes.get(endpoint)
        if handler is None or not self._anonymous(environ, api=endpoint.startswith("api.")):
            return None
        with self._app.app_context():
            try:
                response = handler(Request(environ), **args)
            except Exception:  # a refusal or a failure: the app gives it its proper answer
                return None
            if response is not None:
                response.vary.add("Cookie")
                add_security_headers(response)
            return response

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
    def _post(request: Request, post_id: str) -> Response | None:
        post_id, _, extension = post_id.partition(".")
        if extension and extension not in RAW_TYPES:
            return None
        post = posts.readable(post_id, ANONYMOUS)
        if extension:
            return Response(post.body, content_type=RAW_TYPES[extension])
        if post.collection is not None:
            return None
        html = pagecache.cache().get(pagecache.post_page_key(request.script_root, post))
        if html is None:
            return None
        posts.record_view(post, ANONYMOUS)
        return Response(html, mimetype="text/html")

    @staticmethod
    def _api_post(_request: Request, post_id: str) -> Response:
        post = posts.readable(post_id, ANONYMOUS)
        posts.record_view(post, ANONYMOUS)
        return ok(post_json(post, views=posts.views(post)))

    @staticmethod
    def _blog_home(request: Request, alias: str) -> Response | None:
        collection = collections.readable(alias, ANONYMOUS)
        html = pagecache.cache().get(pagecache.blog_page_key(request.script_root, collection, 1))
        return Response(html, mimetype="text/html") if html is not None else None
