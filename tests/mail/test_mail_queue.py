"""The outgoing-mail engine against real servers on loopback: what a temporary refusal,
a refused connection, a server that hangs up after the message and a worker that died
each leave behind. Nothing may ever be sent twice."""

from datetime import timedelta

import pytest
from smtp import HangUpAfterData, SmtpServer, free_port, text_of

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.models import OutgoingMail
from writeas.crossposting import queue as task_queue
from writeas.services import mail, mail_sending


def queued(app, **headers) -> str:
    with app.app_context():
        row = mail.queue("test", "reader@example.test", "Hello", "Body text.", headers=headers)
        db.session.commit()
        return row.id


def run(app, mail_id):
    with app.app_context():
        again = mail_sending.run(mail_id)
        row = db.session.get(OutgoingMail, mail_id)
        return again, row.status, row.error, row.attempts


def make_due(app, mail_id):
    with app.app_context():
        db.session.get(OutgoingMail, mail_id).next_attempt_at = utcnow()
        db.session.commit()


def test_a_mail_is_sent_once_with_its_headers(make_app):
    with SmtpServer() as smtp:
        app = make_app(**smtp.settings())
        mail_id = queued(app, **{"List-Unsubscribe": "<https://x.test/u>"})
        assert run(app, mail_id)[1] == "sent"
        assert run(app, mail_id)[1] == "sent"  # a repeated queue message sends nothing
        [message] = smtp.received
        assert message["List-Unsubscribe"] == "<https://x.test/u>"
        assert message["Message-ID"] and text_of(message).strip() == "Body text."


def test_a_temporary_refusal_is_retried_later(make_app):
    with SmtpServer() as smtp:
        smtp.handler.refuse_recipients = 1
        app = make_app(**smtp.settings())
        mail_id = queued(app)
        again, status, error, attempts = run(app, mail_id)
        assert status == "queued" and "451" in error and again is not None and attempts == 1
        assert run(app, mail_id)[1] == "queued"  # not due yet: not even tried
        make_due(app, mail_id)
        assert run(app, mail_id)[1] == "sent"
        assert len(smtp.received) == 1


def test_a_message_refused_after_data_is_retried_the_server_said_so(make_app):
    with SmtpServer() as smtp:
        smtp.handler.refuse_messages = 1
        app = make_app(**smtp.settings())
        mail_id = queued(app)
        _again, status, error, _ = run(app, mail_id)
        assert status == "queued" and "452" in error
        make_due(app, mail_id)
        assert run(app, mail_id)[1] == "sent"
        assert len(smtp.received) == 1


def test_a_long_html_mail_goes_whole(make_app):
    with SmtpServer() as smtp:
        app = make_app(**smtp.settings())
        with app.app_context():
            row = mail.queue("test", "r@example.test", "Long", "x " * 5000, html="<p>y</p>" * 2000)
            db.session.commit()
            mail_id = row.id
        assert run(app, mail_id)[1] == "sent"
        [message] = smtp.received
        assert message.get_body(preferencelist=("html",)).get_content().count("<p>y</p>") == 2000


def test_a_refused_connection_is_retried(make_app):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()))
    mail_id = queued(app)
    _again, status, error, _ = run(app, mail_id)
    assert status == "queued" and "Could not reach" in error


def test_a_hang_up_after_the_message_is_unconfirmed_not_resent(make_app):
    with HangUpAfterData() as broken:
        app = make_app(**broken.settings())
        mail_id = queued(app)
        again, status, error, _ = run(app, mail_id)
        assert (again, status) == (None, "unconfirmed") and "not sent again" in error
        with app.app_context():
            assert task_queue.current().sweep() == 0
        assert run(app, mail_id)[1] == "unconfirmed"
        assert broken.messages == 1


@pytest.mark.parametrize("handed_over", [False, True])
def test_the_sweep_resolves_a_dead_workers_mail(make_app, handed_over):
    with SmtpServer() as smtp:
        app = make_app(**smtp.settings())
        mail_id = queued(app)
        with app.app_context():
            row = db.session.get(OutgoingMail, mail_id)
            row.status, row.data_sent = "sending", handed_over
            row.locked_until = utcnow() - timedelta(seconds=1)
            db.session.commit()
            task_queue.current().sweep()
            row = db.session.get(OutgoingMail, mail_id)
            db.session.refresh(row)
            assert row.status == ("unconfirmed" if handed_over else "sent")
        assert len(smtp.received) == (0 if handed_over else 1)


def test_a_permanent_refusal_fails_with_the_servers_words(make_app):
    with SmtpServer() as smtp:
        smtp.handler.unknown.add("reader@example.test")
        app = make_app(**smtp.settings())
        _again, status, error, _ = run(app, queued(app))
        assert status == "failed" and "550 5.1.1 No such user here" in error
        assert smtp.received == []


def test_smtp_tls_must_be_a_known_mode(make_app):
    with pytest.raises(RuntimeError, match="SMTP_TLS"):
        make_app(SMTP_TLS="sometimes")


def test_the_password_is_never_in_the_settings_repr(make_app):
    app = make_app(SMTP_PASSWORD="hunter2-secret")
    assert "hunter2-secret" not in repr(app.extensions["writeas.settings"])
