"""The key pairs our actors sign with: one RSA-2048 pair per blog, made with the blog, and
one for the instance actor, made on first use.

The private half is sealed with the secretbox (bound to its blog, so a sealed key copied
onto another row won't open) and never leaves the server. Opening it and parsing the PEM
costs far more than a signature, and a publish to a big blog signs hundreds of requests,
so the loaded key is cached per process, keyed by the sealed value: a rotated key is a new
entry, never a stale one.
"""

from functools import lru_cache

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from writeas.core.db import db
from writeas.core.lazy_imports import lazy
from writeas.core.models import Collection, SiteActor
from writeas.core.secretbox import SecretBox
from writeas.core.tokens import new_uid

# cryptography's native library loads with the first key made or opened.
serialization = lazy("cryptography.hazmat.primitives.serialization")
rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

KEY_BITS = 2048
SITE_CONTEXT = "site-actor"


def blog_context(uid: str) -> str:
    return f"blog-key:{uid}"


def _box() -> SecretBox:
    return current_app.extensions["writeas.secretbox"]


def new_pair(context: str) -> tuple[str, str]:
    """(public PEM, sealed private PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return public_pem, _box().seal({"pem": private_pem}, context)


def track() -> None:
    """Give every new blog its key pair in the flush that creates it, whichever path
    creates it."""
    if not event.contains(Session, "before_flush", _new_blogs):
        event.listen(Session, "before_flush", _new_blogs)


def _new_blogs(session: Session, _context, _instances) -> None:
    for obj in session.new:
        if isinstance(obj, Collection) and obj.private_key_sealed is None:
            if obj.uid is None:
                obj.uid = new_uid()
            obj.public_key_pem, obj.private_key_sealed = new_pair(blog_context(obj.uid))


def blog_key(collection: Collection) -> "rsa.RSAPrivateKey":
    return opened(collection.private_key_sealed, blog_context(collection.uid))


def site_actor() -> SiteActor:
    actor = db.session.get(SiteActor, 1)
    if actor is not None:
        return actor
    public, sealed = new_pair(SITE_CONTEXT)
    try:
        with db.session.begin_nested():
            db.session.add(SiteActor(id=1, public_key_pem=public, private_key_sealed=sealed))
    except IntegrityError:  # another process made it first
        pass
    db.session.commit()
    return db.session.get(SiteActor, 1)


def site_key() -> "rsa.RSAPrivateKey":
    return opened(site_actor().private_key_sealed, SITE_CONTEXT)


def opened(sealed: str, context: str) -> "rsa.RSAPrivateKey":
    return _load(_box(), sealed, context)


@lru_cache(maxsize=1024)
def _load(box: SecretBox, sealed: str, context: str) -> "rsa.RSAPrivateKey":
    pem = box.open(sealed, context)["pem"].encode()
    return serialization.load_pem_private_key(pem, password=None)
