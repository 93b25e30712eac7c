"""The task queue (huey) that runs deliveries outside web requests.

Storage: a SQLite file in the instance folder by default (one machine, no extra service);
Redis when `HUEY_REDIS_URL` or `REDIS_URL` is set, so web and worker processes on many
hosts share one queue. `HUEY_IMMEDIATE=true` runs tasks in the calling process (tests).
The queue only carries delivery ids: the database says what each delivery is and whether
it still needs doing, so a lost or repeated message can neither drop nor double a post.

Run the worker with `huey_consumer writeas.worker.huey` (`make run` starts one).
"""

import os
from contextlib import contextmanager
from pathlib import Path

from flask import has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab


def _make_huey():
    if os.environ.get("HUEY_IMMEDIATE", "").lower() == "true":
        return MemoryHuey("writeas", immediate=True)
    url = os.environ.get("HUEY_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        return RedisHuey("writeas", url=url)
    instance = Path(os.environ.get("INSTANCE_PATH") or Path(__file__).parent.parent / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("writeas", filename=str(instance / "huey.db"))


huey = _make_huey()
_worker_app = None


@contextmanager
def _app_context():
    """In immediate mode the task runs inside the request that queued it, and shares its
    database session (so the request sees the outcome); in the worker, one app, built once."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from writeas import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield


@huey.task()
def deliver(delivery_id: str) -> None:
    from writeas.crossposting import delivery

    with _app_context():
        attempt = delivery.run(delivery_id)
        waiting = delivery.next_for_account(delivery_id) if attempt.held_account else None
    if attempt.again_in is not None and not huey.immediate:
        deliver.schedule((delivery_id,), delay=max(1, int(attempt.again_in)))
    if waiting is not None:
        deliver(waiting)


def enqueue_delivery(delivery_id: str) -> None:
    deliver(delivery_id)


@huey.periodic_task(crontab(minute="*"))
def sweep() -> int:
    from writeas.crossposting import delivery

    with _app_context():
        return delivery.sweep(enqueue_delivery)
