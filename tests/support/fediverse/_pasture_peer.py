"""The fediverse-pasture peer: run by `fediverse.Pasture` as a subprocess, never imported.

    python _pasture_peer.py --port PORT        (cwd: the peer's own directory)

Serves, with fediverse-pasture's `BlueprintForActors`:

* `actor`: the peer's main actor. Its inbox requires an HTTP-signed POST (pasture's
  `requires_signed_post_for_inbox`, checked with bovine's signature checker: the key is
  fetched with a signed GET made by this same actor) and every POST it accepts is recorded.
* alice, bob, claire, dean, emily, frank: pasture's `verify_actor` test actors. They must
  be served by the verifying host, because the server being verified fetches their keys
  from it (claire's and frank's only with a signed GET).

and, under `/_harness/`, what the test process asks for: signed POSTs and GETs made as
`actor`, signature headers for arbitrary requests, and pasture's ActorVerifier. Doing
these here keeps bovine (which opens a sqlite file in the working directory when
imported) out of the test process.

Everything the peer keeps lives in its working directory: `data.toml` (pasture's actors
and their RSA keys, so a restarted peer has the same keys) and `inbox.jsonl` (one line per
accepted inbox POST), so a stop/start on the same port loses nothing.
"""

import base64
import json
import re
import time
from pathlib import Path

import _peer_offline
import _peer_serve

INBOX_LOG = "inbox.jsonl"
MAIN_ACTOR = "actor"
# The web UI of pasture's verify_actor turns the raw result into these warnings
# (fediverse_pasture/verify_actor.py); the harness reports them the same way.
EXPECTATIONS = [
    (
        "alice",
        "post_inbox",
        False,
        "Alice should not be able to post to the inbox without signing her request.",
    ),
    ("bob", "get_actor", True, "Bob should be able to retrieve the actor"),
    ("claire", "get_actor", True, "Claire should be able to retrieve the actor"),
    ("bob", "post_inbox", True, "Bob should be able to post to the inbox"),
    ("claire", "post_inbox", True, "Claire should be able to post to the inbox."),
]


def key_id_of(signature_header: str | None) -> str | None:
    match = re.search(r'keyId="([^"]*)"', signature_header or "")
    return match.group(1) if match else None


def build_app(port: int, workdir: Path):
    import aiohttp
    from bovine.clients.utils import host_target_from_url
    from bovine.crypto.helper import content_digest_sha256
    from bovine.crypto.http_signature import build_signature
    from bovine.crypto.types import CryptographicSecret
    from bovine.utils import get_gmt_now
    from fediverse_pasture.data_provider import DataProvider, bovine_actor_for_actor_data
    from fediverse_pasture.server import BlueprintForActors
    from fediverse_pasture.server.verify_actor import ActorVerifier
    from fediverse_pasture.types import Message
    from quart import Blueprint, Quart, request

    _peer_offline.watch_jsonld_loader(workdir)

    domain = f"127.0.0.1:{port}"
    actor_id = f"http://{domain}/{MAIN_ACTOR}"
    provider = DataProvider.generate_and_load(False)  # data.toml: generated once, then kept
    main = provider.one_actor
    main.requires_signed_post_for_inbox = True
    actors = [main, *provider.possible_actors]
    key_pair = main.key_pairs[0]
    secret = CryptographicSecret.from_pem(f"{actor_id}#{key_pair.name}", key_pair.private)

    async def on_inbox(data):
        """Record what an inbox accepted (pasture has already checked the signature when
        the inbox requires one); pasture ignores bodies that aren't JSON."""
        entry = {
            "at": time.time(),
            "actor_name": request.view_args.get("actor_name"),
            "path": request.path,
            "headers": dict(request.headers),
            "key_id": key_id_of(request.headers.get("signature")),
            "activity": data,
        }
        with open(workdir / INBOX_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    app = Quart(__name__)
    app.register_blueprint(BlueprintForActors(actors, on_inbox=on_inbox).blueprint)
    harness = Blueprint("harness", __name__, url_prefix="/_harness")

    async def signed_actor(session):
        bovine_actor, _ = bovine_actor_for_actor_data(actor_id, main)
        await bovine_actor.init(session=session)
        return bovine_actor

    async def answer(response) -> dict:
        """What the remote answered; `status` None (with `error`) when it couldn't be
        reached at all."""
        text = await response.text()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return {
            "status": response.status,
            "headers": dict(response.headers),
            "text": text,
            "json": parsed,
        }

    @harness.get("/ready")
    async def ready():
        return {"actor_id": actor_id, "key_id": secret.key_id, "public_key": key_pair.public}

    @harness.post("/send")
    async def send():
        """POST `activity` to `url`, signed as `actor` exactly as bovine signs: keyId,
        rsa-sha256, headers "(request-target) host date digest content-type"."""
        body = await request.get_json()
        payload = body["activity"]
        text = payload if isinstance(payload, str) else json.dumps(payload)
        async with aiohttp.ClientSession() as session:
            bovine_actor = await signed_actor(session)
            try:
                response = await bovine_actor.client.post(body["url"], text)
            except (aiohttp.ClientError, OSError) as error:
                return {"status": None, "error": repr(error)}
            return await answer(response)

    @harness.post("/fetch")
    async def fetch():
        """A GET signed as `actor` (what an authorized-fetch server expects)."""
        body = await request.get_json()
        async with aiohttp.ClientSession() as session:
            bovine_actor = await signed_actor(session)
            try:
                response = await bovine_actor.client.get(body["url"])
            except (aiohttp.ClientError, OSError) as error:
                return {"status": None, "error": repr(error)}
            return await answer(response)

    @harness.post("/sign")
    async def sign():
        """The headers bovine would send for this request, signed with `actor`'s key, for
        the test process to send (or tamper with) itself. `date` may be given (an HTTP
        date) to make a correctly signed but stale request."""
        body = await request.get_json()
        method = body["method"].lower()
        host, target = host_target_from_url(body["url"])
        helper = build_signature(host, method, target).with_field(
            "date", body.get("date") or get_gmt_now()
        )
        if method == "post":
            content = base64.b64decode(body.get("body_b64", ""))
            helper.with_field("digest", content_digest_sha256(content)).with_field(
                "content-type", body.get("content_type") or "application/activity+json"
            )
        else:
            helper.with_field("accept", "application/activity+json")
        return {**helper.headers, "signature": helper.sign_for_http_draft(secret)}

    @harness.post("/verify")
    async def verify():
        """pasture's ActorVerifier against a remote actor, from this host."""
        body = await request.get_json()
        message = Message()
        message.add(f"Got Actor Uri {body['actor_uri']}")
        verifier = ActorVerifier(
            actor_list=actors,
            remote_uri=body["actor_uri"],
            domain=domain,
            message=message,
            timeout=body.get("timeout", 10),
        )
        result = await verifier.verify()
        warnings = [
            text
            for name, check, expected, text in EXPECTATIONS
            if name in result and result[name][check] != expected
        ]
        if not result["webfinger"]:
            warnings.append("Webfinger result does not match actor URI")
        return {
            "actors": {name: value for name, value in result.items() if name != "webfinger"},
            "webfinger": result["webfinger"],
            "warnings": warnings,
            "steps": [str(step) for step in message.steps],
        }

    app.register_blueprint(harness)
    return app


def main() -> None:
    workdir, port = _peer_serve.arguments()
    _peer_serve.run(build_app(port, workdir), port)


if __name__ == "__main__":
    main()
