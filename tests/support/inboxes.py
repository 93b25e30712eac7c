"""A fediverse server's shared inbox on a loopback socket, which checks our signature
with the blog's published key, and followers of a blog that live there."""

from cryptography.hazmat.primitives import serialization
from flask import Flask, request
from platform_servers import recorded
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import Collection, Follower
from writeas.federation import signatures


class Inbox:
    """A shared inbox: `script` is the answers to give, in order (then 202s)."""

    def __init__(self):
        self.received: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.public_key = None

    def app(self):
        app = Flask("inbox")

        @app.post("/inbox")
        def inbox():
            seen = recorded()
            key = self.public_key
            target = request.full_path.rstrip("?")
            try:
                signatures.verify("POST", target, seen["headers"], seen["body"],
                                  lambda _key_id, _refresh: key)
                seen["verified"] = True
            except signatures.SignatureError:
                seen["verified"] = False
            self.received.append(seen)
            status, headers = self.script.pop(0) if self.script else (202, {})
            return "", status, headers

        return app


def follow(app, remote, alias="alice", count=1, shared=True):
    with app.app_context():
        blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
        for n in range(count):
            db.session.add(Follower(
                collection_id=blog.id, actor_id=f"{remote}/users/{n}",
                inbox=f"{remote}/users/{n}/inbox",
                shared_inbox=f"{remote}/inbox" if shared else None, follow_id=f"{remote}/f/{n}",
            ))
        db.session.commit()
        return serialization.load_pem_public_key(blog.public_key_pem.encode())
