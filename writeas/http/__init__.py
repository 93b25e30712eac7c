"""What both edges (the JSON API and the pages) share: error responses, security and cache
headers, rate limits, URLs, request bodies, the success envelope, content types and the
`Authorization` header.

May import: `writeas.core`, `writeas.services` (rate limits know accounts and blogs) and
`writeas.settings`; never the edges themselves.
"""
