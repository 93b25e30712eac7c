"""A WSGI app that does nothing: what gunicorn alone costs per request on this machine.

`bench.py` measures it first, so each run's figures can be read against the machine's own
ceiling at that moment (a shared machine can vary by a tenth between runs).
"""

BODY = b"ok\n"


def app(_environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [BODY]
