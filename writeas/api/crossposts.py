"""Crossposting: channels, and crosspost requests with their per-target results."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_user, require_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import operation, page_parameters, query
from writeas.core.enums import BatchStatus
from writeas.crossposting import channels
from writeas.crossposting import requests as crossposts
from writeas.http import request_body
from writeas.http.envelope import no_content, ok, ok_page

bp = Blueprint("crossposting", __name__)
_TAG = {"tag": "Crossposting", "auth": True}


@bp.post("/me/channels")
@operation(
    id="connectChannel", summary="Connect an account; the platform checks the credentials first.",
    answer=shapes.Channel, status=201, errors=(400, 502), body=shapes.ChannelConnect,
    body_as="json", **_TAG,
)
def connect_channel():
    return ok(shapes.channel_json(channels.connect(request_body.read(), current_user())), 201)


@bp.get("/me/channels")
@operation(
    id="listChannels", summary="Connected accounts (never their credentials).",
    answer=list[shapes.Channel], errors=(400,),
    parameters=(query("platform", {"enum": list(shapes.PlatformName.__args__)},
                      "Only channels on this platform."),),
    **_TAG,
)
def list_channels():
    found = channels.of_user(require_user(), request.args.get("platform"))
    return ok([shapes.channel_json(c) for c in found])


@bp.get("/me/channels/<channel_id>/boards")
@operation(
    id="channelBoards", summary="A Pinterest channel's boards, to pin to (`board_id`).",
    answer=list[shapes.Board], errors=(400, 404, 502), **_TAG,
)
def channel_boards(channel_id):
    return ok(shapes.boards_json(channels.boards(channel_id, current_user())))


@bp.delete("/me/channels/<channel_id>")
@operation(id="disconnectChannel", summary="Disconnect an account.", errors=(404,), **_TAG)
def disconnect_channel(channel_id):
    channels.disconnect(channel_id, current_user())
    return no_content()


@bp.post("/posts/<post_id>/crossposts")
@idempotent
@operation(
    id="crosspost", summary="Crosspost one of your posts, now or at `scheduled_at`.",
    answer=shapes.CrosspostBatch, status=201, accepted=True, errors=(403, 404, 410),
    body=shapes.CrosspostRequest, body_as="json", **_TAG,
)
def crosspost(post_id):
    return _answer(crossposts.request(post_id, request_body.read(), current_user()))


def _answer(batch):
    """201 when every result is final already (all refused, say); 202 while any waits."""
    status = 202 if crossposts.batch_status(batch.deliveries) == BatchStatus.QUEUED else 201
    return ok(shapes.batch_json(batch), status)


@bp.get("/posts/<post_id>/crossposts")
@operation(
    id="postCrossposts", summary="The post's crosspost requests and their results.",
    answer=list[shapes.CrosspostBatch], errors=(404,), **_TAG,
)
def post_crossposts(post_id):
    return ok([shapes.batch_json(b) for b in crossposts.of_post(post_id, current_user())])


@bp.post("/crossposts")
@idempotent
@operation(
    id="createCrosspost",
    summary="A standalone social post to up to 25 channels (seed 002's shape), now or at "
    "`scheduled_at`.",
    answer=shapes.CrosspostBatch, status=201, accepted=True, errors=(400, 404),
    body=shapes.CrosspostRequest, body_as="json", **_TAG,
)
def create_crosspost():
    return _answer(crossposts.request_standalone(request_body.read(), current_user()))


@bp.get("/crossposts/<crosspost_id>")
@operation(
    id="getCrosspost", summary="One crosspost request and its per-target results.",
    answer=shapes.CrosspostBatch, errors=(404,), **_TAG,
)
def get_crosspost(crosspost_id):
    return ok(shapes.batch_json(crossposts.batch(crosspost_id, current_user())))


@bp.post("/crossposts/<crosspost_id>/retry")
@operation(
    id="retryCrosspost",
    summary="Send a failed or unconfirmed delivery again (check the account first when it "
    "is unconfirmed).",
    answer=shapes.CrosspostResult, status=202, errors=(404, 409), **_TAG,
)
def retry_crosspost(crosspost_id):
    return ok(shapes.result_json(crossposts.retry(crosspost_id, current_user())), 202)


@bp.get("/me/crossposts")
@operation(
    id="myCrossposts", summary="Every delivery of the user's, newest first, a page at a time.",
    answer=list[shapes.MyCrosspostResult], errors=(400,), paged=True,
    parameters=(
        query("status", {"enum": list(shapes.DeliveryStatus.__args__)},
              "Only deliveries in this status."),
        query("platform", {"enum": list(shapes.PlatformName.__args__)},
              "Only deliveries to this platform."),
        *page_parameters(crossposts.LIST_MAX),
    ),
    **_TAG,
)
def my_crossposts():
    found, next_cursor = crossposts.of_user(current_user(), request.args)
    return ok_page(shapes.my_results_json(found), next_cursor)


@bp.delete("/crossposts/<crosspost_id>")
@operation(
    id="cancelCrosspost", summary="Cancel a queued or scheduled delivery, or a whole request.",
    errors=(404, 409), **_TAG,
)
def cancel(crosspost_id):
    crossposts.cancel(crosspost_id, current_user())
    return no_content()
