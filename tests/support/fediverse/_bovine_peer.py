"""The bovine-herd peer: run by `fediverse.Bovine` as a subprocess, never imported.

    python _bovine_peer.py --port PORT        (cwd: the peer's own directory)

A bovine-herd server (Quart + tortoise-orm on `bovine.sqlite3` in the working directory)
with one registered actor, alice, whose actor id is `http://127.0.0.1:PORT/endpoints/…`
(bovine names every endpoint with a random token). On the first start alice is registered
and her client secret (an Ed25519 key, the Moo-Auth-1 identity bovine's own clients log in
with) is kept in `alice.json`; a restart on the same port reuses both, so she keeps her
id, keys, inbox and following.

Under `/_harness/` the test process drives alice through bovine's real client API
(`BovineClient`: her outbox, her proxyUrl), so everything she does goes over HTTP and
through bovine-herd's processing and delivery exactly as for a human's client. Keeping
bovine out of the test process also keeps its sqlite context cache out of the project's
working directory.
"""

import asyncio
import json
from pathlib import Path

import _peer_offline
import _peer_serve

STATE = "alice.json"
DATABASE = "bovine.sqlite3"


async def register(db_url: str, domain: str) -> dict:
    """alice, and bovine's own application actor with its key. bovine-store makes the
    application actor lazily, on the first signed request in or out, and stores the actor
    before its key: a second request in that window finds no key and bovine answers 401
    (say, to our GET of alice's actor while her first Follow to us is being checked), and
    bovine never resends what that failure lost. Made here, before bovine serves, every
    request finds both."""
    from bovine.crypto import generate_ed25519_private_key, private_key_to_did_key
    from bovine_store import bovine_admin_store
    from bovine_store.store import load_application_actor_data
    from tortoise import Tortoise

    async with bovine_admin_store(db_url, domain=domain) as store:
        await Tortoise.generate_schemas()
        await load_application_actor_data({})
        bovine_name = await store.register("alice")
        secret = generate_ed25519_private_key()
        await store.add_identity_string_to_actor(
            bovine_name, "harness", private_key_to_did_key(secret)
        )
        actor = await store.actor_for_name(bovine_name)
        return {"bovine_name": bovine_name, "secret": secret, "actor_id": actor.actor_object.id}


def build_app(port: int, workdir: Path, alice: dict):
    import aiohttp
    from bovine import BovineClient
    from bovine_herd import BovineHerd
    from quart import Blueprint, Quart, request

    _peer_offline.watch_jsonld_loader(workdir)

    base_url = f"http://127.0.0.1:{port}"
    app = Quart(__name__)
    BovineHerd(app, db_url=f"sqlite://{workdir / DATABASE}")
    harness = Blueprint("harness", __name__, url_prefix="/_harness")
    clients: dict = {}

    async def client() -> BovineClient:
        """alice's BovineClient (Moo-Auth-1), made on first use inside the server's loop."""
        if "alice" not in clients:
            session = aiohttp.ClientSession()
            instance = BovineClient(domain=base_url, secret=alice["secret"])
            await instance.init(session=session)
            clients["alice"] = instance
        return clients["alice"]

    async def outbox(activity: dict) -> dict:
        response = await (await client()).send_to_outbox(activity)
        return {
            "status": response.status,
            "location": response.headers.get("location"),
            "text": await response.text(),
        }

    @app.after_serving
    async def close_clients():
        for instance in clients.values():
            await instance.session.close()

    @harness.get("/ready")
    async def ready():
        return {"actor_id": alice["actor_id"], "bovine_name": alice["bovine_name"]}

    @harness.get("/actor")
    async def actor():
        """alice's actor document as she sees it herself (bovine's OWNER view)."""
        return (await client()).information

    @harness.post("/outbox")
    async def post_outbox():
        return await outbox((await request.get_json())["activity"])

    @harness.post("/follow")
    async def follow():
        body = await request.get_json()
        alice_client = await client()
        return await outbox(alice_client.activity_factory.follow(body["object"]).build())

    @harness.post("/undo")
    async def undo():
        """Undo one of alice's activities (by id), e.g. a Follow: bovine addresses the Undo
        to whoever the original was addressed to, and names the original by its id only
        unless `embed` is true."""
        body = await request.get_json()
        alice_client = await client()
        original = await alice_client.proxy(body["activity_id"])
        embed = bool(body.get("embed"))
        return await outbox(
            alice_client.activity_factory.undo(original, include_activity=embed).build()
        )

    @harness.post("/accept")
    async def accept():
        """Accept an activity that arrived in alice's inbox (a Follow, say)."""
        body = await request.get_json()
        alice_client = await client()
        original = await alice_client.proxy(body["activity_id"])
        return await outbox(alice_client.activity_factory.accept(original).build())

    @harness.post("/fetch")
    async def fetch():
        """Resolve a URL through alice's proxyUrl: bovine fetches it with a GET signed by
        alice (or answers from its store, where it keeps remote objects for a day)."""
        body = await request.get_json()
        try:
            return {"status": 200, "json": await (await client()).proxy(body["url"])}
        except aiohttp.ClientResponseError as error:
            return {"status": error.status, "json": None}

    @harness.get("/inbox")
    async def inbox():
        """Everything in alice's inbox collection, oldest first, each item resolved through
        her proxyUrl (so an activity comes with its object embedded)."""
        alice_client = await client()
        items = [item async for item in alice_client.inbox()]
        return {"items": list(reversed(items))}

    @harness.get("/collection")
    async def collection():
        """One of alice's collections (followers, following, outbox…) as its item ids."""
        alice_client = await client()
        url = alice_client.information[request.args["name"]]
        items = [item async for item in alice_client.collection_helper(url)]
        return {"items": list(reversed(items))}

    app.register_blueprint(harness)
    return app


def main() -> None:
    workdir, port = _peer_serve.arguments()
    state = workdir / STATE
    if not state.exists():
        alice = asyncio.run(register(f"sqlite://{workdir / DATABASE}", f"http://127.0.0.1:{port}"))
        state.write_text(json.dumps(alice))
    alice = json.loads(state.read_text())
    _peer_serve.run(build_app(port, workdir, alice), port)


if __name__ == "__main__":
    main()
