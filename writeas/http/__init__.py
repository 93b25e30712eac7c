"""What both edges (the JSON API and the pages) share: error responses, the guards every
request passes (NUL, CSRF), security and cache headers, rate limits, URLs, request bodies,
the success envelope, content types and the `Authorization` header.

May import: `writeas.core`, `writeas.services` (rate limits know accounts and blogs),
`writeas.settings` and `writeas.extensions`; never the edges themselves.
"""
