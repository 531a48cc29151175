"""Issue #12 item 1: a bad front-matter value is one article's error, never a crash of the run."""

import os
import time
from pathlib import Path

import pytest

from kb.articles import ArticleError, load_article, load_content
from kb.catalog import Catalog
from kb.lint import lint_paths
from kb.settings import Settings
from tests.kb.test_articles import write

DEEP = "x: " + "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("front", "line", "field", "fragment"),
    [
        ("title: T\nupdated: 2026-02-30", 3, "updated", "day is out of range"),
        ("title: T\nupdated: 2026-13-01", 3, "updated", "month must be in 1..12"),
        ("title: T\nupdated: [1, 2]", 3, "updated", "not a date"),
        ("title: T\n" + DEEP, 3, "x", "nested more than"),
        ("title: T\nextra:\n  deep: " + "[" * 100 + "]" * 100, 4, "extra", "nested more than"),
        ("title: T\ncount: " + "9" * 5000, 3, "count", "invalid value"),
        ("title: T\nlast: 2026-02-30 10:00:00", 3, "last", "invalid value"),
        ("title: {a: 1}", 2, "title", "'title' is required"),
        ("title: T\nid: [a, b]", 3, "id", "'id'"),
        ("title: T\nid: ../escape", 3, "id", "'.' or '..'"),
        ("title: T\ntags: [{a: 1}]", 3, "tags", "'tags' must be"),
        ("title: T\ncategory: {a: b}", 3, "category", "'category' must be text"),
        ("title: T\nsummary: [x]", 3, "summary", "'summary' must be text"),
        ("title: T\na: &x [1]\nb: *x", 4, "b", "alias"),
        ("title: T\nsummary: a\x1fb", 3, "summary", "control character"),  # found by tests/kb/test_fuzz.py
        # Session 14: a key given twice silently kept the last (a second "id" renamed the article).
        ("id: a\ntitle: T\nid: b", 4, "id", "given twice (lines 2 and 4)"),
        ("title: T\nextra:\n  k: 1\n  k: 2", 5, "extra", "'k' is given twice (lines 4 and 5)"),
    ],
)
def test_every_value_error_names_path_line_and_field(
    tmp_path: Path, front: str, line: int, field: str, fragment: str
) -> None:
    path = write(tmp_path, "en/a/bad.md", f"---\n{front}\n---\nBody text.\n")
    with pytest.raises(ArticleError) as caught:
        load_article(path, tmp_path)
    assert str(caught.value).startswith(f"en/a/bad.md:{line}: ")
    assert fragment in caught.value.message
    assert field in caught.value.message


def test_a_bad_value_skips_one_article_and_every_other_loads(tmp_path: Path) -> None:
    write(tmp_path, "en/a/good.md", "---\ntitle: Good\n---\nText.\n")
    write(tmp_path, "en/a/date.md", "---\ntitle: D\nupdated: 2026-02-30\n---\nText.\n")
    write(tmp_path, "en/a/deep.md", f"---\ntitle: N\n{DEEP}\n---\nText.\n")
    loaded = load_content(tmp_path)
    assert [a.key for a in loaded.articles] == ["en/good"]
    assert sorted((e.path, e.line) for e in loaded.errors) == [("en/a/date.md", 3), ("en/a/deep.md", 3)]


def test_lint_reports_every_problem_of_a_file_in_one_run(tmp_path: Path) -> None:
    body = "Text with a [broken link](missing.md) and ![](../../_media/none.png).\n\n# One\n\n# Two\n"
    front = "title: T\nvisibility: secret\nupdated: 2026-02-30\ntags: [{a: 1}]"
    write(tmp_path, "en/a/bad.md", f"---\n{front}\n---\n{body}")
    messages = lint_paths(tmp_path, languages=("en",))
    rules = [(m.line, m.rule) for m in messages]
    assert (3, "front-matter") in rules and (4, "front-matter") in rules and (5, "front-matter") in rules
    assert (7, "broken-link") in rules and (7, "missing-media") in rules and (7, "image-alt") in rules
    assert (11, "second-h1") in rules


def test_lint_points_at_the_line_of_an_unclosed_quote(tmp_path: Path) -> None:
    write(tmp_path, "en/a/quote.md", '---\nid: q\ntitle: "Unclosed\nsummary: s\ntags: [a]\n---\nText.\n')
    messages = [m for m in lint_paths(tmp_path, languages=("en",)) if m.rule == "front-matter"]
    assert [m.line for m in messages] == [3]


def test_lint_finds_bidi_overrides_in_titles(tmp_path: Path) -> None:
    write(tmp_path, "en/a/bidi.md", "---\ntitle: \"Invoice \u202egpj.exe\"\n---\nText.\n\n## Step \u2066two\u2069\n")
    messages = [m for m in lint_paths(tmp_path, languages=("en",)) if m.rule == "bidi-control"]
    assert [(m.line, m.severity) for m in messages] == [(2, "error"), (6, "error")]
    assert "U+202E" in messages[0].message


def test_lint_does_not_crash_on_deep_nesting(tmp_path: Path) -> None:
    write(tmp_path, "en/a/deep.md", f"---\ntitle: N\n{DEEP}\n---\nText.\n")
    messages = lint_paths(tmp_path, languages=("en",))
    assert [(m.line, m.rule, m.severity) for m in messages if m.severity == "error"] == [(3, "front-matter", "error")]


def test_the_catalog_keeps_the_last_good_version_of_an_article_that_breaks(tmp_path: Path) -> None:
    path = write(tmp_path, "en/a/refunds.md", "---\ntitle: Refunds\n---\nGood text.\n")
    write(tmp_path, "en/a/other.md", "---\ntitle: Other\n---\nOther text.\n")
    catalog = Catalog(Settings(content_dir=tmp_path, data_dir=tmp_path / "data", languages=("en",)))
    assert catalog.get("en", "refunds") is not None
    path.write_text("---\ntitle: Refunds\nupdated: 2026-02-30\n---\nBroken edit.\n", "utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))
    catalog._checked = 0.0  # the next call re-reads the folder instead of waiting for the interval
    snapshot = catalog.snapshot()
    article = catalog.get("en", "refunds")
    assert article is not None and "Good text." in catalog.source(article)
    assert [e.path for e in snapshot.errors] == ["en/a/refunds.md"]
    assert catalog.get("en", "other") is not None


def test_a_broken_categories_file_keeps_the_pages_working(tmp_path: Path) -> None:
    write(tmp_path, "en/orders/a.md", "---\ntitle: A\n---\nText.\n")
    (tmp_path / "_categories.yml").write_text("orders: {en: Orders}\n", "utf-8")
    catalog = Catalog(Settings(content_dir=tmp_path, data_dir=tmp_path / "data", languages=("en",)))
    assert catalog.category_name("orders", "en") == "Orders"
    (tmp_path / "_categories.yml").write_text("orders: {en: [unclosed\n", "utf-8")
    later = time.time() + 5
    os.utime(tmp_path / "_categories.yml", (later, later))
    assert catalog.category_name("orders", "en") == "Orders"
