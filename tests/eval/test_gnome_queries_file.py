"""The GNOME Help dev questions (tests/eval/gnome_queries.jsonl) are what issue #18's third domain asks for.

GNOME Help is English only (Debian's gnome-user-docs, C locale); the file holds English questions and Arabic ones
over the same English pages (the missing-translation case), plus out-of-scope questions of both languages. These
check the file's shape, never how search ranks it, and read nothing but the file: the Debian package the labels
name pages of may be absent (CI).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.conftest import ROOT

PATH = ROOT / "tests/eval/gnome_queries.jsonl"
FIELDS = {"lang", "query", "relevant", "kind"}
OUT_OF_SCOPE = "out-of-scope"
KINDS = {
    "en": {"question", "keyword", "paraphrase", "typo", "framing", OUT_OF_SCOPE},
    "ar": {"question", "dialect", "mixed", "keyword", "typo", "framing", OUT_OF_SCOPE},
}
# Answerable questions per language (the brief: ~100 English, ~70 Arabic) and out-of-scope ones (15 each).
ANSWERABLE = {"en": range(95, 116), "ar": range(60, 81)}
UNANSWERABLE = 15
# A Mallard page id as gnome-user-docs names its files: lower-case words and digits joined by hyphens.
PAGE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MOST_PER_PAGE = 3
ARABIC = re.compile(r"[\u0600-\u06ff]")


def rows() -> list[dict]:
    table = []
    for number, line in enumerate(PATH.read_text("utf-8").splitlines(), 1):
        row = json.loads(line)
        assert isinstance(row, dict) and set(row) == FIELDS, f"line {number}: {row}"
        table.append(row)
    return table


TABLE = rows()


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row["query"][:40])
def test_row_shape_language_kind_and_labels(row: dict) -> None:
    assert row["lang"] in KINDS and row["kind"] in KINDS[row["lang"]], row
    assert isinstance(row["query"], str) and row["query"] == row["query"].strip() and row["query"], row
    # An Arabic row is written in Arabic script (Latin words mixed in are allowed); an English one has none.
    assert bool(ARABIC.search(row["query"])) == (row["lang"] == "ar"), row
    labels = row["relevant"]
    assert isinstance(labels, list) and all(isinstance(page, str) and PAGE_ID.fullmatch(page) for page in labels), row
    assert len(set(labels)) == len(labels), row
    assert (row["kind"] == OUT_OF_SCOPE) == (labels == []), row


def test_counts_per_language_within_the_briefs_ranges() -> None:
    answerable = Counter(row["lang"] for row in TABLE if row["relevant"])
    unanswerable = Counter(row["lang"] for row in TABLE if not row["relevant"])
    for lang in KINDS:
        assert answerable[lang] in ANSWERABLE[lang], (lang, answerable[lang])
        assert unanswerable[lang] == UNANSWERABLE, (lang, unanswerable[lang])


def test_every_kind_of_a_language_is_used() -> None:
    used = {(row["lang"], row["kind"]) for row in TABLE}
    assert {(lang, kind) for lang, kinds in KINDS.items() for kind in kinds} == used


def test_no_question_twice() -> None:
    queries = Counter(" ".join(row["query"].casefold().split()) for row in TABLE)
    assert not [query for query, count in queries.items() if count > 1]


def test_questions_spread_over_many_pages() -> None:
    per_page = Counter(page for row in TABLE for page in row["relevant"])
    assert not {page: count for page, count in per_page.items() if count > MOST_PER_PAGE}
    assert len(per_page) >= 100


def test_no_question_comes_from_another_eval_file() -> None:
    others = [path for path in (ROOT / "tests/eval").rglob("*.jsonl") if path != PATH]
    seen = set()
    for path in others:
        for line in path.read_text("utf-8").splitlines():
            seen.add(str(json.loads(line).get("query", "")).casefold())
    assert others and not [row["query"] for row in TABLE if row["query"].casefold() in seen]
