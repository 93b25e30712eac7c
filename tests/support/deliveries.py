"""Moving deliveries through time in tests: the sweep the worker runs every minute, with a
delivery's wait (and its account's pause) over, and a fresh read of its row."""

from datetime import datetime

from writeas.core.db import db
from writeas.core.models import Delivery
from writeas.crossposting import delivery as engine


def time_passes(app, delivery_id: str) -> int:
    """Make the delivery (and its account) due, as if its wait were over, and run the
    sweep. Answers how many deliveries it queued."""
    from writeas.crossposting.queue import enqueue_delivery

    with app.app_context():
        row = db.session.get(Delivery, delivery_id)
        row.next_attempt_at = datetime(2020, 1, 1)
        if row.channel is not None:
            row.channel.paused_until = None
        db.session.commit()
        return engine.sweep(enqueue_delivery)


def delivery_row(app, delivery_id: str) -> Delivery:
    with app.app_context():
        db.session.remove()
        return db.session.get(Delivery, delivery_id)
