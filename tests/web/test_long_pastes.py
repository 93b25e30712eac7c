"""A long paste is made fast and coloured by the worker: until the queue's `highlight`
task runs, its page shows the same numbered lines without colours; once it has, every
page that shows it has them, under a new ETag. The queue here is the real SQLite queue with
no consumer, and the test runs what it holds, so each step can be looked at."""

import xml.etree.ElementTree as ET

import pytest
from calls import Api, blog_post

from writeas.text.rendering import HIGHLIGHT_INLINE_MAX

KEYWORD = '<span class="k">def</span>'


def paste(lines: int, name: str = "function") -> str:
    """Python that the guesser knows for Python, two lines per function."""
    body = "\n".join(f"def {name}_{i}(self, x):\n    return x * {i}" for i in range(lines))
    return "import os\n" + body


LONG = paste(200)
SHORT = paste(3)


@pytest.fixture
def app(make_app):
    return make_app(HUEY_IMMEDIATE=False)


@pytest.fixture
def huey(app):
    return app.extensions["writeas.queue"].huey


def run_queue(app, huey) -> list[str]:
    """Run every queued task, as a consumer would; the names of those run."""
    ran = []
    with app.app_context():
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            ran.append(task.name)
    return ran


def page(client, path: str) -> tuple[str, str]:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), response.headers["ETag"]


def test_the_paste_is_plain_until_the_worker_colours_it(app, huey, client):
    assert len(LONG) > HIGHLIGHT_INLINE_MAX
    post = Api(client).publish(body=LONG, font="code")
    plain, plain_tag = page(client, f"/{post['id']}")
    assert KEYWORD not in plain
    assert 'id="L401"' in plain and "def function_199(self, x):" in plain  # every line, numbered
    assert run_queue(app, huey) == ["highlight"]
    coloured, coloured_tag = page(client, f"/{post['id']}")
    assert KEYWORD in coloured and 'id="L401"' in coloured
    assert coloured_tag != plain_tag
    again = client.get(f"/{post['id']}", headers={"If-None-Match": plain_tag})
    assert again.status_code == 200 and KEYWORD in again.get_data(as_text=True)
    assert run_queue(app, huey) == []  # nothing left, and nothing queued twice


def test_a_short_paste_is_coloured_at_once(app, huey, client):
    post = Api(client).publish(body=SHORT, font="code")
    assert KEYWORD in page(client, f"/{post['id']}")[0]
    assert run_queue(app, huey) == []


def test_the_blog_post_and_its_feed_show_the_colours_once_they_are_in(app, huey, api):
    token = api.signup("alice")
    post = blog_post(api, token, body=LONG, font="code")
    path = f"/alice/{post['slug']}"
    shown, tag = page(api.client, path)
    assert KEYWORD not in shown and "def function_199(self, x):" in shown
    assert KEYWORD not in feed_content(api.client)
    run_queue(app, huey)
    shown, new_tag = page(api.client, path)
    assert KEYWORD in shown and new_tag != tag
    assert KEYWORD in feed_content(api.client)


def feed_content(client) -> str:
    feed = client.get("/alice/feed/")
    assert feed.status_code == 200
    root = ET.fromstring(feed.data)  # noqa: S314 (our own feed)
    return root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text


def test_an_edit_before_the_worker_runs_is_what_gets_shown(app, huey, client):
    post = Api(client).publish(body=LONG, font="code")
    edit = {"token": post["token"], "body": SHORT}
    assert client.post(f"/api/posts/{post['id']}", json=edit).status_code == 200
    run_queue(app, huey)  # the create's task finds nothing due: the edit was coloured inline
    shown = page(client, f"/{post['id']}")[0]
    assert "function_2" in shown and "function_199" not in shown and KEYWORD in shown

    longer = paste(300, "other")
    edit = {"token": post["token"], "body": longer}
    assert client.post(f"/api/posts/{post['id']}", json=edit).status_code == 200
    assert KEYWORD not in page(client, f"/{post['id']}")[0]
    run_queue(app, huey)
    shown = page(client, f"/{post['id']}")[0]
    assert "other_299" in shown and '<span class="nf">other_299</span>' in shown


def test_the_sweep_queues_a_paste_whose_task_was_lost(app, huey, client):
    post = Api(client).publish(body=LONG, font="code")
    huey.flush()  # the queue lost its message
    assert run_queue(app, huey) == []
    assert KEYWORD not in page(client, f"/{post['id']}")[0]
    app.extensions["writeas.queue"].sweep()
    assert "highlight" in run_queue(app, huey)
    assert KEYWORD in page(client, f"/{post['id']}")[0]


def test_a_deleted_paste_leaves_its_task_nothing_to_do(app, huey, client):
    post = Api(client).publish(body=LONG, font="code")
    deleted = client.delete(f"/api/posts/{post['id']}?token={post['token']}")
    assert deleted.status_code == 204
    assert run_queue(app, huey) == ["highlight"]
    assert client.get(f"/{post['id']}").status_code in (404, 410)
