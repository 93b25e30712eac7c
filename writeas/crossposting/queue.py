"""The task queue (huey) that runs deliveries outside web requests.

Storage: a SQLite file in the instance folder by default (one machine, no extra service);
Redis when `HUEY_REDIS_URL` or `REDIS_URL` is set, so web and worker processes on many
hosts share one queue. `HUEY_IMMEDIATE=true` runs tasks in the calling process (tests).
The queue only carries delivery ids: the database says what each delivery is and whether
it still needs doing, so a lost or repeated message can neither drop nor double a post.
It carries federation's work too (fanning an activity out, delivering it to one inbox),
email (sending one `outgoing_mail` row), import jobs (`services.imports`) and long
pastes' highlighting (`services.highlighting`): one queue and one sweep for all the work
done outside requests.

Each app has one queue, built from its settings on first use. Its tasks run in that app's
context; the web side only enqueues. The consumer runs `huey_consumer writeas.worker.huey`
(`make run` starts one).
"""

import importlib
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from writeas.core.lazy_imports import hidden
from writeas.crossposting import delivery
from writeas.federation import delivery as federation
from writeas.federation.outbox import MADE
from writeas.services import highlighting, imports, mail_sending, newsletters
from writeas.services.mail import MADE as MAIL_MADE

if TYPE_CHECKING:
    from huey import api as huey_api

EXTENSION = "writeas.queue"


class Queue:
    def __init__(self, app: Flask):
        self._app = app
        self._settings = app.extensions["writeas.settings"]

    @cached_property
    def huey(self) -> "huey_api.Huey":
        # huey is imported by the first enqueue, so a web worker that serves only reads
        # never loads it; and without the backends this queue doesn't use.
        settings = self._settings
        unused = ["psycopg"] if settings.queue_redis_url else ["psycopg", "redis"]
        with hidden(unused):
            from huey import Huey, MemoryHuey, SqliteHuey, crontab, storage

        if settings.queue_redis_url and storage.Redis is None:
            # An earlier app in this process (the tests build many) had no use for Redis:
            # its storage classes are made again, now with Redis's client.
            importlib.reload(storage)
        if settings.huey_immediate:
            huey = MemoryHuey("writeas", immediate=True)
        elif settings.queue_redis_url:
            # Not `RedisHuey`: it keeps the `RedisStorage` class of huey's first import,
            # whose `redis_client` was bound then, as None if Redis was hidden.
            huey = Huey("writeas", storage_class=storage.RedisStorage, url=settings.queue_redis_url)
        else:
            instance = Path(settings.instance_path)
            instance.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey("writeas", filename=str(instance / "huey.db"))
        self._deliver = huey.task(name="deliver")(self._run_delivery)
        self._fan_out = huey.task(name="fan_out")(self._run_fan_out)
        self._federate = huey.task(name="federate")(self._run_federation)
        self._import = huey.task(name="import")(self._run_import)
        self._mail = huey.task(name="mail")(self._run_mail)
        self._newsletter = huey.task(name="newsletter")(self._run_newsletter)
        self._highlight = huey.task(name="highlight")(self._run_highlight)
        huey.periodic_task(crontab(minute="*"), name="sweep")(self.sweep)
        return huey

    @contextmanager
    def _context(self):
        """In immediate mode a task runs inside the request that queued it, and shares its
        database session (so the request sees the outcome); in the worker, in the app's."""
        if has_app_context():
            yield
            return
        with self._app.app_context():
            yield

    def enqueue_delivery(self, delivery_id: str) -> None:
        _ = self.huey  # the tasks exist once huey does
        self._deliver(delivery_id)

    def _run_delivery(self, delivery_id: str) -> None:
        with self._context():
            attempt = delivery.run(delivery_id)
            waiting = delivery.next_for_account(delivery_id) if attempt.held_account else None
        if attempt.again_in is not None and not self.huey.immediate:
            self._deliver.schedule((delivery_id,), delay=max(1, int(attempt.again_in)))
        if waiting is not None:
            self._deliver(waiting)

    def enqueue_fan_out(self, activity_id: str) -> None:
        _ = self.huey
        self._fan_out(activity_id)

    def enqueue_federation(self, delivery_id: str) -> None:
        _ = self.huey
        self._federate(delivery_id)

    def _run_fan_out(self, activity_id: str) -> None:
        with self._context():
            ready = federation.fan_out(activity_id)
        for delivery_id in ready:
            self.enqueue_federation(delivery_id)

    def _run_federation(self, delivery_id: str) -> None:
        with self._context():
            sent = federation.run(delivery_id)
        if sent.again_in is not None and not self.huey.immediate:
            self._federate.schedule((delivery_id,), delay=max(1, int(sent.again_in)))

    def enqueue_import(self, job_id: str) -> None:
        _ = self.huey
        self._import(job_id)

    def _run_import(self, job_id: str) -> None:
        with self._context():
            imports.run(job_id)
    def enqueue_mail(self, mail_id: str) -> None:
        _ = self.huey
        self._mail(mail_id)

    def _run_mail(self, mail_id: str) -> None:
        with self._context():
            again_in = mail_sending.run(mail_id)
        if again_in is not None and not self.huey.immediate:
            self._mail.schedule((mail_id,), delay=max(1, int(again_in)))

    def enqueue_newsletter(self, post_id: str) -> None:
        _ = self.huey
        self._newsletter(post_id)

    def _run_newsletter(self, post_id: str) -> None:
        with self._context():
            newsletters.fan_out(post_id)

    def enqueue_highlight(self, post_id: str) -> None:
        _ = self.huey
        self._highlight(post_id)

    def _run_highlight(self, post_id: str) -> None:
        with self._context():
            highlighting.run(post_id)

    def sweep(self) -> int:
        with self._context():
            crossposts = delivery.sweep(self.enqueue_delivery)
            for job_id in imports.pending():
                self.enqueue_import(job_id)
            for post_id in newsletters.due():
                self.enqueue_newsletter(post_id)
            for post_id in highlighting.due():
                self.enqueue_highlight(post_id)
            mail = mail_sending.sweep(self.enqueue_mail)
            return crossposts + mail + federation.sweep(
                self._run_fan_out, self.enqueue_federation
            )

    def committed(self, session: Session) -> None:
        """After a commit that made activities, fan them out. In immediate mode (tests) the
        work can't run inside the commit, so it waits for the end of the request."""
        self._after_commit(session, MADE, "federation_pending", self.enqueue_fan_out)
        self._after_commit(session, newsletters.DUE, "newsletter_pending", self.enqueue_newsletter)
        self._after_commit(session, MAIL_MADE, "mail_pending", self.enqueue_mail)
        self._after_commit(session, highlighting.DUE, "highlight_pending", self.enqueue_highlight)

    def _after_commit(self, session: Session, key: str, pending: str, enqueue) -> None:
        made = session.info.pop(key, None)
        if not made:
            return
        if self.huey.immediate:
            if has_request_context():
                g.setdefault(pending, []).extend(made)
            return
        for made_id in made:
            enqueue(made_id)

    def after_request(self, response):
        for activity_id in g.pop("federation_pending", ()):
            self._run_fan_out(activity_id)
        for post_id in g.pop("newsletter_pending", ()):
            self._run_newsletter(post_id)  # its emails join mail_pending
        for mail_id in g.pop("mail_pending", ()):
            self._run_mail(mail_id)
        for post_id in g.pop("highlight_pending", ()):
            self._run_highlight(post_id)
        return response


def track(app: Flask) -> None:
    """Tell the queue of every commit (once per process; each app finds its own queue)."""
    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
    app.after_request(app.extensions[EXTENSION].after_request)


def _committed(session: Session) -> None:
    noted = any(
        key in session.info for key in (MADE, MAIL_MADE, newsletters.DUE, highlighting.DUE)
    )
    if noted and has_app_context() and EXTENSION in current_app.extensions:
        current().committed(session)


def current() -> Queue:
    return current_app.extensions[EXTENSION]


def enqueue_delivery(delivery_id: str) -> None:
    current().enqueue_delivery(delivery_id)
