"""Crossposting: channels, and crosspost requests with their per-target results."""

from flask import Blueprint, request

from writeas.api import shapes
from writeas.api.authentication import current_user, require_user
from writeas.api.idempotent import idempotent
from writeas.api.openapi import operation, query
from writeas.core.enums import BatchStatus
from writeas.crossposting import channels
from writeas.crossposting import requests as crossposts
from writeas.http import request_body
from writeas.http.envelope import no_content, ok

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
    answer=list[shapes.Channel], **_TAG,
)
def list_channels():
    return ok([shapes.channel_json(c) for c in channels.of_user(require_user())])


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
    batch = crossposts.request(post_id, request_body.read(), current_user())
    status = 202 if crossposts.batch_status(batch.deliveries) == BatchStatus.QUEUED else 201
    return ok(shapes.batch_json(batch), status)


@bp.get("/posts/<post_id>/crossposts")
@operation(
    id="postCrossposts", summary="The post's crosspost requests and their results.",
    answer=list[shapes.CrosspostBatch], errors=(404,), **_TAG,
)
def post_crossposts(post_id):
    return ok([shapes.batch_json(b) for b in crossposts.of_post(post_id, current_user())])


@bp.get("/me/crossposts")
@operation(
    id="myCrossposts", summary="Every delivery of the user's, newest first.",
    answer=list[shapes.MyCrosspostResult], errors=(400,),
    parameters=(
        query("status", {"enum": list(shapes.DeliveryStatus.__args__)},
              "Only deliveries in this status."),
        query("platform", {"type": "string"}, "Only deliveries to this platform."),
        query("limit", shapes.LIMIT, f"1 to {crossposts.LIST_MAX}; 50 when not given."),
    ),
    **_TAG,
)
def my_crossposts():
    args = request.args
    found = crossposts.of_user(
        current_user(), args.get("status"), args.get("platform"), args.get("limit")
    )
    return ok(shapes.my_results_json(found))


@bp.delete("/crossposts/<crosspost_id>")
@operation(
    id="cancelCrosspost", summary="Cancel a queued or scheduled delivery, or a whole request.",
    errors=(404, 409), **_TAG,
)
def cancel(crosspost_id):
    crossposts.cancel(crosspost_id, current_user())
    return no_content()
