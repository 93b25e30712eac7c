"""Code posts are rendered without a sanitiser pass (Pygments escapes every character of
the paste it writes), so the whole XSS corpus goes through them: through every lexer a
paste can get (guessed, named by an extension, plain text), short pastes coloured inline
and long ones by the worker, and `mono`, on every page that shows them."""

import html
import re

import pytest
from hostile import VECTORS, assert_inert_fragment, assert_inert_html
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.lexers.special import TextLexer

from writeas.text.rendering import HIGHLIGHT_INLINE_MAX, render_code, render_plain

CORPUS = "\n".join(VECTORS)
# The lexers whose languages hold markup, script or strings that look like it, and the
# ones people paste most.
LEXERS = ["html", "xml", "javascript", "css", "php", "markdown", "python", "rst", "svg",
          "bash", "diff", "json", "sql", "html+jinja", "vue", "jsx", "go", "rust", "c"]
EXTENSIONS = ["html", "js", "svg", "xml", "php", "py", "css", "rst"]  # .md and .txt are raw


def _known(name: str) -> bool:
    return any(name in aliases for _, aliases, _, _ in get_all_lexers())


@pytest.mark.parametrize("name", [name for name in LEXERS if _known(name)])
def test_every_vector_through_every_lexer_is_inert(name):
    lexer = get_lexer_by_name(name, stripnl=False)
    assert_inert_fragment(render_code(CORPUS, lexer))
    for vector in VECTORS:
        assert_inert_fragment(render_code(vector, get_lexer_by_name(name, stripnl=False)))


def test_every_vector_guessed_or_plain_is_inert():
    assert_inert_fragment(render_code(CORPUS))
    assert_inert_fragment(render_code(CORPUS, TextLexer(stripnl=False)))
    assert_inert_fragment(render_plain(CORPUS))
    for vector in VECTORS:
        assert_inert_fragment(render_code(vector))


def test_the_text_comes_back_whole():
    """Escaped, not dropped: every line of the paste is on the page, character for
    character."""
    lines = re.findall(r'<span class="line" id="L\d+">(.*?)</span>(?=<span class="line"|</code>)',
                       render_code(CORPUS), re.DOTALL)
    shown = [html.unescape(re.sub(r'<a class="ln"[^>]*>\d+</a>|<[^>]+>', "", line))
             for line in lines]
    assert shown == CORPUS.split("\n")


@pytest.fixture
def app(make_app):
    return make_app(RENDER_RATE_LIMIT="100000 per minute")


@pytest.mark.parametrize("font", ["code", "mono"])
def test_code_posts_holding_the_corpus_are_inert_on_every_page(api, client, font):
    token = api.signup("hostile")
    assert len(CORPUS) > HIGHLIGHT_INLINE_MAX  # the long one is coloured by the worker
    bodies = [CORPUS, *VECTORS[:: max(1, len(VECTORS) // 12)]]
    for body in bodies:
        loose = api.publish(body=body, font=font)
        in_blog = api.call("POST", "/api/collections/hostile/posts", token=token,
                           json={"body": body, "font": font})
        assert in_blog.status_code == 201, in_blog.json
        paths = [f"/{loose['id']}", f"/hostile/{in_blog.json['data']['slug']}", "/hostile/"]
        paths += [f"/{loose['id']}.{extension}" for extension in EXTENSIONS]
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert_inert_html(response)
