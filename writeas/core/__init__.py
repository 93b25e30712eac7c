"""The core: what everything else stands on, and nothing of the web.

Errors (the one `ServiceError`), the database handle and the models, the clock and the
timestamp format, ids and bearer secrets, password hashing, sealed credentials, and the
guarded HTTP client for other servers. No request and no `current_app` here.

May import: nothing of ours.
"""
