"""The rules: who may read what (visibility), accounts and tokens, posts, blogs, media,
idempotency keys, and publishing. The API and the pages both call these functions, which
validate their own input (through `payload`), so no edge can skip a rule.

May import: `writeas.core`, `writeas.text`, `writeas.reads` (and `writeas.settings`).
Only `publishing` imports `writeas.crossposting`: publishing with crosspost targets is
the one way from the rules to the delivery queue.
"""
