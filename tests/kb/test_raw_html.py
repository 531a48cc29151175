"""Issue #12 item 7: raw HTML never mangles or hides the rest of an article; page and index agree."""

import re

import pytest

from kb.parsing import html_to_text, parse_source
from kb.render import render_markdown

TAGS = ["textarea", "title", "style", "script", "xmp", "iframe", "noscript", "plaintext", "template", "select"]
SHAPES = {
    "inline": "First.\n\nUse the <{tag}> element.\n\n## Next\n\nStep 2.\n",
    "alone": "First.\n\n<{tag}>\n\n## Next\n\nStep 2.\n",
    "closed inline": "First.\n\nA <{tag}>x</{tag}> b.\n\n## Next\n\nStep 2.\n",
    "closed block": "First.\n\n<{tag}>\ninside\n</{tag}>\n\n## Next\n\nStep 2.\n",
    "unclosed block": "First.\n\n<{tag}>\ninside\n\n## Next\n\nStep 2.\n",
    "in a list": "First.\n\n- item <{tag}>\n- other\n\n## Next\n\nStep 2.\n",
}
CASES = [(tag, shape) for tag in TAGS for shape in SHAPES]


def page_words(html: str) -> list[str]:
    return html_to_text(html).split()


def index_words(source: str) -> list[str]:
    """Words of the indexed blocks, without the "-" markers list items carry for the chunker."""
    blocks = parse_source(source).blocks
    return [w for b in blocks for i, w in enumerate(b.text.split()) if not (b.kind == "list_item" and i == 0)]


@pytest.mark.parametrize(("tag", "shape"), CASES, ids=[f"{t}-{s}" for t, s in CASES])
def test_text_after_raw_html_stays_visible_and_page_and_index_agree(tag: str, shape: str) -> None:
    source = SHAPES[shape].format(tag=tag)
    rendered = render_markdown(source, "en/a/x.md", "/{lang}/articles/{id}", "/media")
    words = page_words(rendered.html)
    assert "First." in words and "Step" in words and "2." in words
    assert '<h2 id="next">Next</h2>' in rendered.html
    assert words == index_words(source)
    ids = set(re.findall(r'id="([^"]+)"', rendered.html))
    assert [entry.anchor for entry in rendered.toc] == ["next"] and {"next"} <= ids


def test_allowed_inline_markup_stays_markup() -> None:
    source = "Press <kbd>Ctrl</kbd> and H<sub>2</sub>O.\n"
    html = render_markdown(source, "en/a/x.md", "/{lang}/articles/{id}", "/media").html
    assert "<kbd>Ctrl</kbd>" in html and "<sub>2</sub>" in html
    assert page_words(html) == index_words(source)


def test_script_content_never_reaches_the_page_or_the_index() -> None:
    source = "Before.\n\n<script>\nalert(1)\n</script>\n\nAfter.\n"
    html = render_markdown(source, "en/a/x.md", "/{lang}/articles/{id}", "/media").html
    assert "alert" not in html and "<script" not in html
    assert index_words(source) == ["Before.", "After."]


def test_an_unclosed_comment_does_not_hide_the_rest() -> None:
    source = "Before.\n\n<!-- draft note\n\n## Next\n\nAfter.\n"
    rendered = render_markdown(source, "en/a/x.md", "/{lang}/articles/{id}", "/media")
    assert "After." in page_words(rendered.html) and [e.anchor for e in rendered.toc] == ["next"]
    assert "After." in index_words(source)


def test_contents_box_skips_headings_with_no_text() -> None:
    source = "Intro.\n\n## ![](x.png)\n\n## Real\n\nText.\n"
    rendered = render_markdown(source, "en/a/x.md", "/{lang}/articles/{id}", "/media")
    assert [entry.text for entry in rendered.toc] == ["Real"]


def test_lint_warns_about_tags_shown_as_text(tmp_path) -> None:
    from kb.lint import lint_paths
    from tests.kb.test_articles import write

    write(tmp_path, "en/a/x.md", "---\ntitle: X\n---\nIntro.\n\nUse the <textarea> element and <kbd>Ctrl</kbd>.\n")
    found = [(m.line, m.rule) for m in lint_paths(tmp_path, languages=("en",)) if m.rule == "raw-html"]
    assert found == [(6, "raw-html")]
