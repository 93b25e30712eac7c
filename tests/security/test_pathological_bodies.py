"""Pathological bodies: long runs of whitespace, `<`, `[` and line breaks, and their
cousins, in prose, code and monospace posts, published, updated and shown, each within a
generous time bound (the fixed code takes well under a second for 100,000 characters;
the quadratic patterns the security review found took minutes)."""

import time

import pytest

SIZE = 100_000
PATHOLOGICAL = {
    "spaces": "x" + " " * SIZE + "x",
    "tabs": "x" + "\t" * SIZE + "x",
    "no-break spaces": "x" + "\u00a0" * SIZE + "x",
    "line breaks": "x" + "\n" * SIZE + "x",
    "carriage returns": "x" + "\r" * SIZE + "x",
    "blank lines of spaces": "x" + " \n" * (SIZE // 2) + "x",
    "angle brackets": "x" + "<" * SIZE,
    "square brackets": "x" + "[" * SIZE,
    "image openers": "x" + "![" * (SIZE // 2),
    "unclosed links": "[a](" * (SIZE // 4),
    "backticks": "`" * SIZE,
    "emphasis": "*a* " * (SIZE // 4),
    "list items": "-\n" * (SIZE // 2),
    "headings with trailing spaces": "# a" + " " * SIZE + "b",
    "code cues over blank lines": "def f(x):\n" + "\n" * SIZE + "    return x\n",
}
GENEROUS_SECONDS = 10


@pytest.mark.parametrize("font", ["norm", "code", "mono"])
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_bodies_publish_update_and_show_in_linear_time(client, name, font):
    body = PATHOLOGICAL[name]
    started = time.perf_counter()
    created = client.post("/api/posts", json={"body": body, "font": font})
    assert created.status_code == 201, created.json
    post = created.json["data"]
    updated = client.post(
        f"/api/posts/{post['id']}", json={"body": body + "!", "token": post["token"]}
    )
    shown = client.get(f"/{post['id']}")
    elapsed = time.perf_counter() - started
    assert updated.status_code == 200 and shown.status_code == 200
    assert client.get(f"/{post['id']}.txt").data == (body + "!").encode()
    assert elapsed < GENEROUS_SECONDS, f"{name} in {font} took {elapsed:.1f} s"
