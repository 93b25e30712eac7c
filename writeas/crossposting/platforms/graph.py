"""What Instagram, Threads and Facebook Pages share: Meta's Graph API (developers.facebook.com
/docs/graph-api, developers.facebook.com/docs/threads). This module registers no platform.

Errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`,
mostly with HTTP 400 whatever they mean, so the code decides, not the status. Every answer
also says how much of the account's rate limit is used (`X-Business-Use-Case-Usage`, and
`X-App-Usage` for the app); once it reads 100% the next call would be refused, so it is not
sent and the delivery waits for the time Meta estimates.

Instagram and Threads publish through media containers: create one (Meta fetches the media
from its public URL), wait for it to be processed, then publish it. The container id is
the idempotency handle. It is kept in `Content.state` as soon as it exists, so the next
attempt asks the container how far it got instead of making another: PUBLISHED means an
earlier attempt's publish landed, FINISHED that it did not, EXPIRED (after 24 hours) that it
never will, and a new container is safe.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from writeas.crossposting.platforms.base import (
    AUTH,
    NOT_LANDED,
    PERMANENT,
    PUBLISHED,
    RETRY,
    UNKNOWN,
    Account,
    Content,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    error_message,
    retry_after,
    send,
)
from writeas.crossposting.platforms.base import classify as classify_status

GRAPH_VERSION = "v21.0"
FACEBOOK_GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}"
# Rate limits: the app's (4), a user's (17), a Page's (32), one API's (613), and the
# Business Use Case limits of Pages (80001) and Instagram (80002).
_RATE_LIMITED = {4, 17, 32, 613, 80001, 80002}
# The token expired, was revoked or never was one (190), or its session is gone (102).
_TOKEN_REFUSED = {190, 102}
# Instagram: "you reached the maximum number of posts … by Content Publishing API".
_QUOTA_REACHED = {2207042}
# Instagram: "the media is not ready for publishing, please wait for a moment".
_NOT_READY = {2207027}
NO_REFRESH = (
    "Meta's long-lived tokens can't be renewed once they have lapsed; "
    "reconnect the channel with a new token."
)
# Meta gives no time for the app-wide limit; its window rolls over within the hour.
THROTTLE_SECONDS = 300.0
# Meta suggests waiting about 30 seconds before publishing a container, and asking after
# its status about once a minute.
PROCESSING_SECONDS = 30.0
_USAGE_FIELDS = ("call_count", "total_cputime", "total_time")
_PAGES_OF_ACCOUNTS = 20
_CLOCK_SKEW = 300  # seconds a listing looks back before our own record of a creation


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _header_json(response: httpx.Response, name: str):
    try:
        return json.loads(response.headers.get(name) or "null")
    except ValueError:
        return None


def _usages(response: httpx.Response) -> list[dict]:
    """The usage entries of every business object (`{id: [{type, call_count, …}]}`) and
    the app's own (`{call_count, total_time, total_cputime}`), in percent."""
    entries = []
    business = _header_json(response, "x-business-use-case-usage")
    if isinstance(business, dict):
        for value in business.values():
            if isinstance(value, list):
                entries.extend(entry for entry in value if isinstance(entry, dict))
    app = _header_json(response, "x-app-usage")
    if isinstance(app, dict):
        entries.append(app)
    return entries


def at_limit(response: httpx.Response) -> bool:
    return any(
        (_number(entry.get(key)) or 0) >= 100
        for entry in _usages(response)
        for key in _USAGE_FIELDS
    )


def regain_seconds(response: httpx.Response) -> float | None:
    """`estimated_time_to_regain_access` is in minutes; the longest of them counts."""
    minutes = [_number(entry.get("estimated_time_to_regain_access")) for entry in _usages(response)]
    longest = max((m for m in minutes if m), default=None)
    return longest * 60 if longest else None


def graph_error(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def classify(response: httpx.Response) -> Outcome | None:
    """None for a success; otherwise what the Graph API error means."""
    error = graph_error(response)
    if error is None:
        return classify_status(response)
    message = str(error.get("message") or error_message(response))
    code, subcode = error.get("code"), error.get("error_subcode")
    if code in _RATE_LIMITED or subcode in _QUOTA_REACHED or response.status_code == 429:
        wait = regain_seconds(response) or retry_after(response) or THROTTLE_SECONDS
        return Outcome(RETRY, error=message, retry_after=wait)
    if code in _TOKEN_REFUSED:
        return Outcome(AUTH, error=f"{message} {NO_REFRESH}")
    if subcode in _NOT_READY:
        return Outcome(RETRY, error=message, retry_after=PROCESSING_SECONDS, processing=True)
    if error.get("is_transient") is True:
        return Outcome(RETRY, error=message, retry_after=retry_after(response))
    if response.status_code >= 500:
        return Outcome(UNKNOWN, error=message)
    return Outcome(PERMANENT, error=message)


class Graph:
    """The calls of one verify or publish, made with one access token (sent as the
    documented `access_token` parameter). After an answer that puts the account at its
    rate limit, further calls are not sent: they would only be refused."""

    def __init__(self, http: httpx.Client, base_url: str, token: str):
        self.http = http
        self.base = base_url.rstrip("/")
        self.token = token
        self.wait: float | None = None
        # Set by an adapter that renewed the token during this publish (Threads).
        self.rotated: dict | None = None

    def get(self, path: str, **params: str) -> dict:
        return self._call("GET", path, params={**params, "access_token": self.token})

    def post(self, path: str, **form: str) -> dict:
        return self._call("POST", path, data={**form, "access_token": self.token})

    def create(self, path: str, **form: str) -> str:
        """A POST that makes something: the id of what it made."""
        created = self.post(path, **form).get("id")
        if not created:
            raise Stop(Outcome(UNKNOWN, error=f"Meta answered {path} without an id."))
        return str(created)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        if self.wait is not None:
            message = "Meta's rate limit for this account is used up."
            raise Stop(Outcome(RETRY, error=message, retry_after=self.wait))
        response = send(self.http, method, f"{self.base}/{path}", **kwargs)
        if isinstance(response, Outcome):
            raise Stop(response)
        if at_limit(response):
            self.wait = regain_seconds(response) or THROTTLE_SECONDS
        outcome = classify(response)
        if outcome is not None:
            raise Stop(outcome)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A POST that was answered may have made something; a GET changed nothing.
            kind = UNKNOWN if method == "POST" else RETRY
            raise Stop(Outcome(kind, error=f"Unreadable answer from Meta to {path}."))
        return body


def nothing_made(stop: Stop) -> Stop:
    """For calls that leave nothing anyone can see (a container, an unpublished photo):
    losing their answer is no reason to hold the delivery, trying again is safe."""
    if stop.outcome.kind == UNKNOWN:
        stop.outcome.kind = RETRY
    return stop


def verify_error(stop: Stop) -> PlatformError:
    """What a failed call at connect comes to: refused (400) or unreachable (502)."""
    outcome = stop.outcome
    status = 400 if outcome.kind in (AUTH, PERMANENT) else 502
    return PlatformError(outcome.error or "Meta refused the request.", status)


def managed_pages(api: Graph, fields: str) -> list[dict]:
    """The Pages the user's token manages (`/me/accounts`), every page of the listing."""
    pages: list[dict] = []
    cursor = None
    for _ in range(_PAGES_OF_ACCOUNTS):
        params = {"fields": fields, "limit": "100", **({"after": cursor} if cursor else {})}
        listing = api.get("me/accounts", **params)
        pages.extend(page for page in listing.get("data") or [] if isinstance(page, dict))
        paging = listing.get("paging") or {}
        cursor = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not cursor:
            break
    return pages


def timestamp(value) -> float | None:
    """Meta's times (`2024-05-01T10:00:00+0000`) as epoch seconds."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None


def oldest_match(entries: list, since: float, field: str, text: str | None) -> dict | None:
    """In a listing (newest first), the first item made since `since` whose `field` is
    `text` (any item, when `text` is None): the post an earlier attempt made."""
    found = [
        entry
        for entry in entries
        if isinstance(entry, dict)
        and (timestamp(entry.get("timestamp") or entry.get("created_time")) or 0) >= since
        and (text is None or str(entry.get(field) or "").strip() == text.strip())
    ]
    return found[-1] if found else None


def looked_back(state: dict, key: str) -> int:
    """The `since` for a listing: a little before the time `state[key]` recorded."""
    return int(state.get(key) or 0) - _CLOCK_SKEW


@dataclass
class Posted:
    """A post that is up: its id (None if Meta says it landed but we can't find which it
    is) and its public address."""

    id: str | None
    url: str | None = None


def first_comment(content: Content, post_id: str | None, comment: Callable[[str], dict]) -> dict:
    """The first comment, posted at most once: it is marked as being sent before it is,
    so an attempt that finds the mark and no result says so rather than comment again.
    Its failure is reported with it and never undoes the post."""
    done = content.state.get("first_comment")
    if done and done.get("status") != "sending":
        return done
    if done:
        result = {
            "status": "failed",
            "error": "An earlier attempt sent the first comment and got no answer; "
            "check the post before adding it by hand.",
        }
    elif post_id is None:
        result = {
            "status": "failed",
            "error": "The post is up, but Meta didn't say which it is, so it got no comment.",
        }
    else:
        content.remember(first_comment={"status": "sending"})
        try:
            result = {"status": "published", **comment(post_id)}
        except Stop as stop:
            result = {"status": "failed", "error": stop.outcome.error}
    content.remember(first_comment=result)
    return result


def published(content: Content, posted: Posted, comment: Callable[[str], dict]) -> Outcome:
    outcome = Outcome(PUBLISHED, post_id=posted.id, url=posted.url)
    if content.first_comment:
        outcome.first_comment = first_comment(content, posted.id, comment)
    return outcome


def processing(error: str) -> Stop:
    return Stop(Outcome(RETRY, error=error, retry_after=PROCESSING_SECONDS, processing=True))


@dataclass(frozen=True)
class Surface:
    """Where Instagram's and Threads' container APIs differ."""

    name: str
    create_edge: str  # POST /{user}/{create_edge} makes a container
    publish_edge: str  # POST /{user}/{publish_edge}?creation_id= publishes it
    limit_edge: str  # GET /{user}/{limit_edge}: the 24-hour publishing quota
    status_field: str  # the container's state (IN_PROGRESS, FINISHED, …)
    detail_field: str  # the words that go with it
    listing_edge: str  # GET /{user}/{listing_edge}: the user's posts, newest first
    text_field: str  # a listed post's text


class Containers:
    """One publish through media containers, resumable from `Content.state`:
    `container` (the one to publish), `children` (a carousel's items), `created_at`, and
    `published` (the post's id) once it is up."""

    def __init__(
        self,
        api: Graph,
        surface: Surface,
        user_id: str,
        content: Content,
        *,
        listing_edge: str = "",
        match_text: bool = True,
    ):
        self.api = api
        self.surface = surface
        self.user = user_id
        self.content = content
        self.listing_edge = listing_edge or surface.listing_edge
        self.match_text = match_text

    def create(self, **params: str) -> str:
        try:
            return self.api.create(f"{self.user}/{self.surface.create_edge}", **params)
        except Stop as stop:
            raise nothing_made(stop) from stop

    def carousel(self, items: list[dict], **parent: str) -> str:
        """The carousel's container, made once every item's is processed (an item whose
        container expired is made again)."""
        children = list(self.content.state.get("children") or [])
        pending = []
        for index, params in enumerate(items):
            if index < len(children):
                status, detail = self.status(children[index])
                if status != "EXPIRED":
                    pending.append((status, detail))
                    continue
                children[index] = self.create(**params, is_carousel_item="true")
            else:
                children.append(self.create(**params, is_carousel_item="true"))
            self.content.remember(children=list(children))
            pending.append(self.status(children[index]))
        for status, detail in pending:
            self.settle(status, detail)
        return self.create(**parent, children=",".join(children))

    def status(self, container: str) -> tuple[str, str]:
        surface = self.surface
        found = self.api.get(container, fields=f"{surface.status_field},{surface.detail_field}")
        return str(found.get(surface.status_field) or ""), str(
            found.get(surface.detail_field) or ""
        )

    def settle(self, status: str, detail: str) -> None:
        """Returns when the container can be published; otherwise stops the attempt."""
        name = self.surface.name
        if status == "FINISHED":
            return
        if status == "IN_PROGRESS":
            raise processing(f"{name} is still processing the media.")
        if status == "ERROR":
            words = f": {detail}" if detail else "."
            raise Stop(Outcome(PERMANENT, error=f"{name} could not process the media{words}"))
        raise Stop(Outcome(RETRY, error=f"{name} answered a container status of {status!r}."))

    def publish(self, build: Callable[[], str]) -> Posted:
        state = self.content.state
        if state.get("published"):
            return Posted(state["published"], self.permalink(state["published"]))
        container = state.get("container")
        if container:
            status, detail = self.status(container)
            if status == "PUBLISHED":
                return self.find()
            if status == "EXPIRED":
                self.content.remember(container=None, children=[])
                container = None
            else:
                self.settle(status, detail)
        if not container:
            container = build()
            self.content.remember(container=container, created_at=int(time.time()))
            self.settle(*self.status(container))
        self.check_quota()
        post_id = self.api.create(f"{self.user}/{self.surface.publish_edge}", creation_id=container)
        self.content.remember(published=post_id)
        return Posted(post_id, self.permalink(post_id))

    def landed(self) -> Posted | None:
        """The post, if the container kept in state was published; None if it was not."""
        state = self.content.state
        if state.get("published"):
            return Posted(state["published"], self.permalink(state["published"]))
        container = state.get("container")
        if not container or self.status(container)[0] != "PUBLISHED":
            return None
        return self.find()

    def find(self) -> Posted:
        """Which post the published container became: the container doesn't say, so it is
        looked for among the user's posts made since it was created."""
        surface = self.surface
        fields = "id,permalink,timestamp" + (f",{surface.text_field}" if self.match_text else "")
        since = looked_back(self.content.state, "created_at")
        listing = self.api.get(
            f"{self.user}/{self.listing_edge}", fields=fields, since=str(since), limit="50"
        )
        text = self.content.text if self.match_text else None
        entry = oldest_match(listing.get("data") or [], since, surface.text_field, text)
        if entry is None or not entry.get("id"):
            return Posted(None)
        self.content.remember(published=str(entry["id"]))
        return Posted(str(entry["id"]), entry.get("permalink"))

    def permalink(self, post_id: str) -> str | None:
        try:
            return self.api.get(post_id, fields="permalink").get("permalink")
        except Stop:
            return None  # the post is up either way

    def check_quota(self) -> None:
        """Meta caps what an account publishes through the API in a rolling window
        (`quota_total` posts per `quota_duration` seconds); at the cap, wait."""
        answer = self.api.get(f"{self.user}/{self.surface.limit_edge}", fields="quota_usage,config")
        entries = answer.get("data") or [{}]
        entry = entries[0] if isinstance(entries[0], dict) else {}
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        used, total = _number(entry.get("quota_usage")), _number(config.get("quota_total"))
        duration = _number(config.get("quota_duration")) or 86400.0
        if used is None or not total or used < total:
            return
        hours = f"{duration / 3600:g}"
        raise Stop(
            Outcome(
                RETRY,
                error=f"{self.surface.name} allows {total:g} posts in {hours} hours through "
                "its API, and this account has made them; waiting for the window to free up.",
                retry_after=self.quota_wait(duration, total),
            )
        )

    def quota_wait(self, duration: float, total: float) -> float:
        """Until the oldest post in the window ages out of it. The user's list also holds
        posts made in the app, which the quota doesn't count, so this may come early; the
        next attempt then looks again. Without the list, the window's average pace."""
        now = time.time()
        try:
            listing = self.api.get(
                f"{self.user}/{self.surface.listing_edge}",
                fields="timestamp",
                since=str(int(now - duration)),
                limit=str(int(total)),
            )
        except Stop:
            return duration / total
        stamps = [timestamp(entry.get("timestamp")) for entry in listing.get("data") or []]
        oldest = min((stamp for stamp in stamps if stamp), default=None)
        if oldest is None:
            return duration / total
        return max(PROCESSING_SECONDS, oldest + duration - now)


class ContainerPlatform(Platform):
    """Instagram and Threads: an adapter says how its post is built from containers, how
    a first comment is made, and what is wrong with media it can't post; publishing,
    resuming and the lookup after an unknown outcome are the same for both."""

    surface: Surface
    first_comments = True

    def resend_safe(self, account: Account, state: dict) -> bool:
        """Always: a container nobody published is invisible and expires by itself, and
        once one exists its id is in `state`, so the next attempt asks it before
        publishing anything."""
        return True

    def session(self, http: httpx.Client, base_url: str, account: Account) -> Graph:
        return Graph(http, base_url, str(account.credentials.get("access_token") or ""))

    def containers(self, api: Graph, account: Account, content: Content) -> Containers:
        return Containers(api, self.surface, account.account_id, content)

    def build(self, containers: Containers, content: Content) -> str:
        raise NotImplementedError

    def comment(self, api: Graph, account: Account, post_id: str, text: str) -> dict:
        raise NotImplementedError

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        api = self.session(http, base_url, account)
        containers = self.containers(api, account, content)
        try:
            posted = containers.publish(lambda: self.build(containers, content))
            outcome = self._published(api, account, content, posted)
        except Stop as stop:
            outcome = stop.outcome
        outcome.credentials = api.rotated
        return outcome

    def landed(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome | str | None:
        api = self.session(http, base_url, account)
        try:
            posted = self.containers(api, account, content).landed()
        except Stop:
            return None
        if posted is None:
            return NOT_LANDED
        outcome = self._published(api, account, content, posted)
        outcome.credentials = api.rotated
        return outcome

    def _published(self, api: Graph, account: Account, content: Content, posted: Posted):
        return published(
            content,
            posted,
            lambda post_id: self.comment(api, account, post_id, content.first_comment),
        )
