"""The near-topic out-of-scope files are what bench/eval_retrieval.py --suite reads them as.

A near-topic question is in the help center's own field but asks what no article answers ("do you sell
bunk beds for kids" to a furniture shop with no catalogue pages, an Excel formula to the Microsoft 365
admin help). These check the files, not how search treats them: the shape, empty labels, the count per
language, no question borrowed from the dev or held-out sets, and no article title saying all of what one
asks (a title holding every term would make it a question the help center has a page for). GNOME Help's pages
(Debian's gnome-user-docs, imported by bench/gnome_import.py) are fetched only by the quality slice that needs
them, not by these file checks, so its questions are held against the page ids the held-out draw recorded
(tests/eval/heldout/gnome_pool.json), which name each page's subject.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_retrieval import DOMAINS
from bench.m365_import import find_corpus
from copilot.section_choice import terms
from tests.conftest import CONTENT, ROOT, load_script

EVAL = ROOT / "tests/eval"
FILES = {
    "demo": EVAL / "near_scope_demo.jsonl",
    "m365": EVAL / "near_scope_m365.jsonl",
    "gnome": EVAL / "near_scope_gnome.jsonl",
}
LANGS = {"demo": ("en", "ar"), "m365": ("ar", "en"), "gnome": ("en", "ar")}
PER_LANGUAGE = {"demo": 25, "m365": 25, "gnome": 40}
KIND = "out-of-scope-near"
DRAW = load_script(EVAL / "heldout/draw.py", "heldout_draw")


def test_the_suite_reads_each_domains_near_topic_file() -> None:
    assert {d.name: d.near_scope and ROOT / d.near_scope for d in DOMAINS} == FILES


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def article_roots(domain: str) -> list[Path]:
    if domain == "demo":
        return [CONTENT / lang for lang in LANGS["demo"]]
    return [find_corpus(ROOT) / "microsoft-365"]


@pytest.mark.parametrize("domain", sorted(FILES))
def test_rows_are_unlabelled_near_topic_questions_per_language(domain: str) -> None:
    table = rows(FILES[domain])
    for row in table:
        assert set(row) == {"lang", "query", "relevant", "kind"}, row
        assert row["relevant"] == [] and row["kind"] == KIND and row["lang"] in LANGS[domain], row
        assert terms(row["query"]), row  # something searchable
    counts = {lang: sum(r["lang"] == lang for r in table) for lang in LANGS[domain]}
    assert counts == dict.fromkeys(LANGS[domain], PER_LANGUAGE[domain])
    assert len({r["query"].casefold() for r in table}) == len(table)


def test_no_question_comes_from_the_dev_or_held_out_sets() -> None:
    others = [*EVAL.glob("*.jsonl"), *EVAL.glob("heldout/**/*.jsonl"), *EVAL.glob("customer/*.jsonl")]
    seen = {str(r.get("query", "")).casefold() for path in others if path not in FILES.values() for r in rows(path)}
    near = [r["query"] for path in FILES.values() for r in rows(path)]
    assert near and not [q for q in near if q.casefold() in seen]


@pytest.mark.parametrize("domain", ["demo", "m365"])
def test_no_title_holds_every_term_of_a_question(domain: str) -> None:
    paths = [path for root in article_roots(domain) for path in root.rglob("*.md") if "includes" not in path.parts]
    titles = [set(terms(DRAW.meta(path)["title"])) for path in paths]
    assert len(titles) > 40
    questions = [(r["query"], set(terms(r["query"]))) for r in rows(FILES[domain])]  # each stemmed once, not per title
    covered = [query for query, mine in questions if any(mine <= title for title in titles)]
    assert not covered


def test_no_gnome_page_id_holds_every_term_of_a_question() -> None:
    ids = [set(terms(page.replace("-", " "))) for page in DRAW.gnome_record()["articles"]]
    assert len(ids) > 200
    questions = [(r["query"], set(terms(r["query"]))) for r in rows(FILES["gnome"])]
    covered = [query for query, mine in questions if any(mine <= page for page in ids)]
    assert not covered
