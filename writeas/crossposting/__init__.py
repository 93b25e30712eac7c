"""Crossposting: requests (which targets a post goes to and what each may carry), the
connected channels, the delivery engine and its queue, what each delivery sends
(`content`, `formatting`), and one adapter per platform (`platforms/`).

May import: `writeas.core`, `writeas.text`, `writeas.services` (but not `publishing`),
`writeas.http.urls` (permalinks) and `writeas.settings`; never the edges (api, web, front).
"""
