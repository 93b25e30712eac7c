"""Federation over ActivityPub: each public blog is an actor that the fediverse can follow.

What it holds: the blogs' and the instance's keys (`keys`), HTTP Signatures (`signatures`),
the documents we publish (`documents`), remote actors we fetch and cache (`remote`), what
arrives at the inboxes (`inbox`), the activities a post change causes (`outbox`) and
their durable delivery (`delivery`).

May import: `writeas.core`, `writeas.text`, `writeas.reads`, `writeas.services` (but not
`publishing`), `writeas.http` (urls, negotiation) and `writeas.settings`; never the edges
(api, web, front) nor crossposting.
"""
