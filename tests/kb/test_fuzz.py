"""The hostile-input campaign of issue #12, kept in the suite as hypothesis properties.

Whatever bytes a writer commits or a customer types, the only failure allowed is the documented
one: `ArticleError` for an article (a message with path:line), `QueryError` for a query. Anything
else (ValueError, RecursionError, IndexError ...) is a bug. CI runs a bounded number of examples
(KB_FUZZ_EXAMPLES, default 40 per property); `python bench/fuzz_bench.py` runs many more.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.retrieval import QueryError, clean_query
from kb.arabic import dialect_to_msa, light_stem, normalize_arabic
from kb.articles import ArticleError, check_article
from kb.chunking import chunk_article
from kb.lint import lint_paths
from kb.parsing import parse_source
from kb.render import render_markdown

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)

# Pieces that broke something once, or that parsers treat specially.
SCALARS = st.sampled_from([
    "2026-02-30", "2026-13-01", "2026-01-01", "2026-01-01 25:00:00", "yesterday", "9" * 5000, "1e99999", ".nan",
    "[" * 60 + "]" * 60, "{a: [1, {b: 2}]}", '"unclosed', "'single", "&anchor x", "*alias", "!!binary AAAA",
    "!!python/object:os.system x", "~", "null", "true", "- a\n  - b", "|\n  block", "\u202egpj.exe", "ما هو", "",
    "teams/license", "../escape", "a\\b", "#", "x: y: z", "<script>alert(1)</script>", "\x00", "\ufeff",
])  # fmt: skip
KEYS = st.sampled_from(["title", "id", "lang", "category", "tags", "visibility", "updated", "summary", "extra", "?"])
FRONT = st.lists(st.tuples(KEYS, st.one_of(SCALARS, st.text(max_size=30))), max_size=8).map(
    lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs)
)
MARKDOWN_PIECES = st.sampled_from([
    "# ", "## ", "### ", "\n", "\n\n", "- ", "1. ", "> ", "> [!note] ", "```", "~~~", "    ", "| a | b |\n|---|---|\n",
    "[[", "]]", "[[a|b]]", "[", "]", "(", ")", "![", "](x.png)", "](../../_media/a.png)", "](other.md#anchor)",
    "*", "_", "**", "`", "<", ">", "<textarea>", "<title>", "<style>", "<script>", "</script>", "<!--", "-->",
    "<div>", "</div>", "<kbd>", "&amp;", "&#", ":::image alt-text=\"x\":::", "[!INCLUDE[x](y.md)]", "[!div class]",
    "مرحبا ", "الإرجاع ", "\u064b", "\u202e", "\u2066", "\u200f", "word ", "Refunds take 5 days. ", "\t", "\r\n",
    "\x0b",
])  # fmt: skip
BODY = st.one_of(
    st.lists(MARKDOWN_PIECES, max_size=60).map("".join),
    st.text(max_size=300),
    st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=10)), max_size=40).map("".join),
)


def _check_file(text: str | bytes, relative: str = "en/cat/fuzz.md"):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        checked = check_article(path, root, ("en", "ar"))
        messages = lint_paths(root, None, ("en", "ar"))
    return checked, messages


@FUZZ
@given(front=FRONT, body=BODY)
def test_any_article_file_loads_or_gives_article_errors(front: str, body: str) -> None:
    checked, messages = _check_file(f"---\n{front}\n---\n{body}")
    for error in checked.errors:
        assert isinstance(error, ArticleError) and error.line >= 1 and str(error).startswith("en/cat/fuzz.md:")
    assert all(m.line >= 1 and m.severity in ("error", "warning") for m in messages)
    article = checked.article
    if article is not None:
        chunks = chunk_article(article)
        assert all(chunk.text.strip() for chunk in chunks)
        rendered = render_markdown(article.source, article.path, "/{lang}/articles/{id}", "/media")
        ids = set(re.findall(r'id="([^"]*)"', rendered.html))
        assert all(entry.anchor in ids for entry in rendered.toc)  # the contents box links only what is there


@FUZZ
@given(raw=st.binary(max_size=400))
def test_any_bytes_load_or_give_article_errors(raw: bytes) -> None:
    checked, _ = _check_file(b"---\ntitle: T\n---\n" + raw)
    assert checked.article is not None or all(isinstance(e, ArticleError) for e in checked.errors)


@FUZZ
@given(body=BODY)
def test_parsing_and_rendering_never_fail(body: str) -> None:
    parse_source(body)
    render_markdown(body, "en/cat/x.md", "/{lang}/articles/{id}", "/media")


ARABIC = st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF) | st.sampled_from(" ـaz1٣"))


@FUZZ
@given(text=st.one_of(ARABIC, st.text(max_size=200)))
def test_arabic_normalization_is_total_and_stable(text: str) -> None:
    once = normalize_arabic(text)
    assert normalize_arabic(once) == once
    light_stem(text)
    dialect_to_msa(text)


@FUZZ
@given(raw=st.one_of(st.text(max_size=700), ARABIC, st.lists(MARKDOWN_PIECES, max_size=30).map("".join)))
def test_query_cleaning_returns_a_clean_query_or_a_query_error(raw: str) -> None:
    try:
        query, cut = clean_query(raw, 512)
    except QueryError as error:
        assert str(error)
        return
    assert query and query == query.strip() and len(query) <= 512 and cut == (len(" ".join(raw.split())) > 512)
