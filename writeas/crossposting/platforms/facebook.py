"""Facebook Pages, through the Graph API's Page endpoints (developers.facebook.com/docs/
pages-api/posts): text and link posts on `/feed`, one photo on `/photos`, several photos
uploaded unpublished and attached to one `/feed` post, a video on `/videos`.

Connecting takes a user access token and the Page's id or name. The Page must be one the
user manages with the CREATE_CONTENT task, and what is kept is the Page's own token, which
doesn't expire when the user's token is long-lived.

Nothing on these endpoints dedupes a repeat. So the time of the first call that makes a
post is kept in `Content.state` before it is sent, and after an unknown outcome `landed`
looks through the Page's posts since then for one with our message and link (or its
videos, for our description). A video is made in one call (Meta fetches it from its
public URL) whose answer, the video's id, is kept at once: the attempts that follow poll
its processing instead of uploading it again.
"""

import json
import time
from urllib.parse import urljoin

import httpx

from writeas.crossposting.platforms import register
from writeas.crossposting.platforms.base import (
    NOT_LANDED,
    PERMANENT,
    UNKNOWN,
    VIDEO,
    Account,
    Content,
    Media,
    MediaLimits,
    Outcome,
    Platform,
    PlatformError,
    Stop,
    VideoLimits,
)
from writeas.crossposting.platforms.graph import (
    FACEBOOK_GRAPH,
    Graph,
    Posted,
    looked_back,
    managed_pages,
    nothing_made,
    oldest_match,
    processing,
    published,
    verify_error,
)

# Photos: JPEG, BMP, PNG, GIF or TIFF, 10 MB. Meta documents no count for a multi-photo
# post nor a length for `alt_text_custom`; these bounds are ours, as on Instagram.
LIMITS = MediaLimits(
    max_images=10,
    max_bytes=10 * 1024 * 1024,
    max_alt_text=1000,
    mime_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"}),
)
# Videos: MP4, MOV or AVI, up to 10 GB and 240 minutes; a video is posted on its own.
VIDEO_LIMITS = VideoLimits(
    max_videos=1,
    max_bytes=10 * 1024**3,
    max_seconds=240 * 60.0,
    containers=frozenset({"video/mp4", "video/quicktime", "video/x-msvideo"}),
)
# Video permalinks come relative to the site.
FACEBOOK_WEB = "https://www.facebook.com/"


def _absolute(permalink) -> str | None:
    return urljoin(FACEBOOK_WEB, permalink) if isinstance(permalink, str) and permalink else None


def _alt(media: Media) -> dict:
    return {"alt_text_custom": media.alt_text} if media.alt_text else {}


def _video_of(content: Content) -> Media | None:
    return next((item for item in content.media if item.kind == VIDEO), None)


class Facebook(Platform):
    name = "facebook"
    default_base_url = FACEBOOK_GRAPH
    credential_fields = ("access_token",)
    media_limits = LIMITS
    video_limits = VIDEO_LIMITS
    first_comments = True

    def verify(self, http: httpx.Client, base_url: str, handle: str, credentials: dict) -> Account:
        token = str(credentials.get("access_token") or "").strip()
        wanted = handle.strip()
        if not token:
            raise PlatformError("A Facebook user access token is required.")
        if not wanted:
            raise PlatformError("The Page's id or name is required.")
        try:
            pages = managed_pages(Graph(http, base_url, token), "id,name,access_token,tasks")
        except Stop as stop:
            raise verify_error(stop) from stop
        page = next(
            (
                page
                for page in pages
                if wanted == str(page.get("id"))
                or wanted.casefold() == str(page.get("name") or "").casefold()
            ),
            None,
        )
        if page is None:
            raise PlatformError(f"This token doesn't manage a Facebook Page {wanted}.")
        name, page_id = str(page.get("name") or page.get("id")), str(page.get("id"))
        if "CREATE_CONTENT" not in (page.get("tasks") or []):
            raise PlatformError(f"This token can't create content on the Page {name}.")
        if not page.get("access_token"):
            raise PlatformError(f"Facebook gave no token for the Page {name}.")
        return Account(
            handle=name,
            account_id=page_id,
            credentials={"access_token": str(page["access_token"])},
            details={"page_id": page_id, "page_name": name},
        )

    def resend_safe(self, account: Account, state: dict) -> bool:
        """Unsafe only while a call that makes a post went out and its answer never came
        back: before it nothing was sent, after it the post's (or video's) id is kept."""
        return "sent_at" not in state or bool(state.get("post") or state.get("video"))

    def publish(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome:
        videos = [item for item in content.media if item.kind == VIDEO]
        if videos and len(content.media) > 1:
            return Outcome(PERMANENT, error="A Facebook video post is the video alone.")
        api = Graph(http, base_url, str(account.credentials.get("access_token") or ""))
        try:
            posted = _post(api, account.account_id, content)
        except Stop as stop:
            return stop.outcome
        return published(content, posted, lambda post_id: _comment(api, post_id, content))

    def landed(
        self, http: httpx.Client, base_url: str, account: Account, content: Content
    ) -> Outcome | str | None:
        if "sent_at" not in content.state:
            return NOT_LANDED
        api = Graph(http, base_url, str(account.credentials.get("access_token") or ""))
        try:
            posted = _find(api, account.account_id, content)
        except Stop:
            return None
        if posted is None:
            return NOT_LANDED
        return published(content, posted, lambda post_id: _comment(api, post_id, content))


def _post(api: Graph, page: str, content: Content) -> Posted:
    state = content.state
    if state.get("post"):
        return Posted(state["post"], _permalink(api, state["post"]))
    video = _video_of(content)
    if video is not None:
        return _video(api, page, content, video)
    if len(content.media) == 1:
        item = content.media[0]
        made = _making(
            api, content, f"{page}/photos", url=item.url, message=content.text, **_alt(item)
        )
        # A photo answers its own id and the id of the post it makes.
        post_id = made.get("post_id") or made.get("id")
    else:
        form = {"message": content.text}
        if content.media:
            form.update(_attached(api, page, content))
        elif content.link:
            form["link"] = content.link
        post_id = _making(api, content, f"{page}/feed", **form).get("id")
    if not post_id:
        raise Stop(Outcome(UNKNOWN, error="Facebook answered without the post's id."))
    content.remember(post=str(post_id))
    return Posted(str(post_id), _permalink(api, str(post_id)))


def _making(api: Graph, content: Content, path: str, **form: str) -> dict:
    """A call that makes a post: the time of the first one is kept before it is sent."""
    if "sent_at" not in content.state:
        content.remember(sent_at=int(time.time()))
    return api.post(path, **form)


def _attached(api: Graph, page: str, content: Content) -> dict:
    """Each photo is uploaded unpublished, which nobody sees until a post attaches it, and
    its id is kept, so a retry attaches what the last attempt uploaded."""
    photos = list(content.state.get("photos") or [])
    for item in content.media[len(photos) :]:
        try:
            photos.append(
                api.create(f"{page}/photos", url=item.url, published="false", **_alt(item))
            )
        except Stop as stop:
            raise nothing_made(stop) from stop
        content.remember(photos=list(photos))
    return {
        f"attached_media[{index}]": json.dumps({"media_fbid": photo})
        for index, photo in enumerate(photos)
    }


def _video(api: Graph, page: str, content: Content, item: Media) -> Posted:
    video = content.state.get("video")
    if not video:
        title = {"title": content.title} if content.title else {}
        made = _making(
            api, content, f"{page}/videos", file_url=item.url, description=content.text, **title
        )
        if not made.get("id"):
            raise Stop(Outcome(UNKNOWN, error="Facebook answered without the video's id."))
        video = str(made["id"])
        content.remember(video=video)
    found = api.get(video, fields="status,permalink_url")
    status = found.get("status") if isinstance(found.get("status"), dict) else {}
    phase = status.get("video_status")
    if phase == "ready":
        content.remember(post=video)
        return Posted(video, _absolute(found.get("permalink_url")))
    if phase in ("error", "expired"):
        errors = (status.get("processing_phase") or {}).get("errors") or []
        words = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
        why = f": {words}" if words else f" ({phase})."
        raise Stop(Outcome(PERMANENT, error=f"Facebook could not process the video{why}"))
    progress = status.get("processing_progress")
    done = f" ({progress}% done)" if progress is not None else ""
    raise processing(f"Facebook is still processing the video{done}.")


def _find(api: Graph, page: str, content: Content) -> Posted | None:
    """Our post among the Page's posts (or videos) made since the first attempt sent it."""
    video = _video_of(content) is not None
    edge, field, extra = ("videos", "description", "") if video else ("feed", "message", ",link")
    since = looked_back(content.state, "sent_at")
    fields = f"id,{field}{extra},created_time,permalink_url"
    listing = api.get(f"{page}/{edge}", fields=fields, since=str(since), limit="50")
    entries = listing.get("data") or []
    if content.link and not content.media:
        wanted = content.link.rstrip("/")
        entries = [e for e in entries if str(e.get("link") or "").rstrip("/") == wanted]
    entry = oldest_match(entries, since, field, content.text)
    if entry is None or not entry.get("id"):
        return None
    post_id = str(entry["id"])
    content.remember(post=post_id, **({"video": post_id} if video else {}))
    return Posted(post_id, _absolute(entry.get("permalink_url")))


def _permalink(api: Graph, post_id: str) -> str | None:
    try:
        return _absolute(api.get(post_id, fields="permalink_url").get("permalink_url"))
    except Stop:
        return None  # the post is up either way


def _comment(api: Graph, post_id: str, content: Content) -> dict:
    return {"id": api.create(f"{post_id}/comments", message=content.first_comment)}


register(Facebook())
