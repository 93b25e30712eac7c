"""Pure text: a post's body to safe HTML (Markdown, code highlighting, sanitising), its
title, excerpt and hashtags, slugs, appearances, and which language a paste is in. Pure
functions over strings, linear in their input (`tests/unit/test_linear_text.py`), with no
database and no request.

May import: `writeas.core` only.
"""
