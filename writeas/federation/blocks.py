"""The operator's blocks: a remote actor (by its id) or a whole domain. A blocked sender's
inbox posts get 403, nothing is delivered to it, and its followers, replies and reactions
go with the block."""

from sqlalchemy import delete, select

from writeas.core.db import db
from writeas.core.models import Block, Comment, Follower, Reaction
from writeas.federation.delivery import block_names, host_of


def normalised(target: str) -> str:
    target = target.strip()
    if not target:
        raise ValueError("name an actor's id (https://…) or a domain")
    if "://" in target:
        if not host_of(target):
            raise ValueError("not a URL of an actor")
        return target
    return target.lower().lstrip("@").rsplit("@", 1)[-1]


def add(target: str) -> tuple[str, int]:
    """Block, and remove what we hold of them; answers (the block, rows removed)."""
    target = normalised(target)
    if db.session.scalar(select(Block.id).where(Block.target == target)) is None:
        db.session.add(Block(target=target))
    removed = 0
    for table in (Follower, Comment, Reaction):
        for actor_id in set(db.session.scalars(select(table.actor_id))):
            if target in block_names(actor_id):
                removed += db.session.execute(
                    delete(table).where(table.actor_id == actor_id)
                ).rowcount
    db.session.commit()
    return target, removed


def remove(target: str) -> bool:
    target = normalised(target)
    gone = db.session.execute(delete(Block).where(Block.target == target)).rowcount
    db.session.commit()
    return bool(gone)


def listed() -> list[str]:
    return list(db.session.scalars(select(Block.target).order_by(Block.target)))
