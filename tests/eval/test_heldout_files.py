"""The held-out query files are what their README says: labels that exist, the drawn articles, the sizes.

These check the files, never the product's ranking of them (tests/eval/heldout/README.md: nothing here
may tune on the held-out questions). A label naming no article would score as a miss forever; a round-2
row out of step with its seeded draw would mean a question was written about an article nobody drew.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.eval_retrieval import chosen_domains, evaluate
from copilot.section_choice import terms
from tests.conftest import CONTENT, ROOT, load_script

HELDOUT = ROOT / "tests/eval/heldout"
ROUNDS = {1: HELDOUT, 2: HELDOUT / "round2", 3: HELDOUT / "round3", 4: HELDOUT / "round4", 5: HELDOUT / "round5"}
ROUNDS[6] = HELDOUT / "round6"  # demo, m365 and (from this round on in the same folder) GNOME
ROUNDS[7] = HELDOUT / "round7"
DEV = ["dev_queries.jsonl", "m365_queries.jsonl", "m365_customer_queries.jsonl"]
FIELDS = {"lang", "query", "relevant", "kind"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def earlier_questions(round_: int) -> list[str]:
    """Every question of the dev sets and of the demo and m365 rounds before `round_` (GNOME's rounds, written after
    them in the same folders, are checked against these by their own guards)."""
    paths = [ROUNDS[r] / name for r in range(1, round_) for name in ("demo.jsonl", "m365.jsonl")]
    paths += [ROOT / "tests/eval" / name for name in DEV]
    return [r["query"] for path in paths for r in rows(path)]


@cache
def term_set(question: str) -> frozenset[str]:
    """A question's content words, stemmed once: the guards compare each question with hundreds of others, and
    stemming it again for each pair was most of the suite's slowest tests."""
    return frozenset(terms(question))


def shares_half(question: str, other: set[str] | frozenset[str]) -> bool:
    """Half or more of `question`'s content words are among `other`'s (stop words left out, words compared
    by stem as copilot.section_choice compares a ticket with an article, so "returns" meets "return")."""
    mine = term_set(question)
    return bool(mine) and 2 * len(mine & other) >= len(mine)


DRAW = load_script(HELDOUT / "draw.py", "heldout_draw")


def read_once(function: Callable[..., list[dict]]) -> Callable[..., list[dict]]:
    """The draw's `function`, computed once per arguments in this process; each call gets a list of its own, the
    articles in it shared and only read. The draws are fixed and their files do not change during a run, but a round's
    pool draws the rounds it leaves out again, each of those its own earlier rounds, every draw reading and parsing
    the m365 articles anew: round 7's and round 6's guards were the suite's slowest tests (78 s and 36 s alone)."""
    once = cache(function)

    @wraps(function)
    def read(*args: object) -> list[dict]:
        return list(once(*args))

    return read


# Looked up in DRAW's own globals by its other functions (m365_pool, round_pool, draw), so these read once too.
for _name in ("public", "m365_sample", "customer_sample"):
    setattr(DRAW, _name, read_once(getattr(DRAW, _name)))


@pytest.fixture(scope="module")
def m365_ar(m365_articles: Path) -> Path:
    """The m365 Arabic articles, imported from the shared corpus as the suite does (bench/m365_import.py)."""
    return m365_articles / "ar"


@pytest.mark.parametrize("round_", sorted(ROUNDS))
def test_demo_labels_are_public_demo_articles(round_: int) -> None:
    public = {m["id"] for lang in ("en", "ar") for m in DRAW.public(CONTENT / lang)}
    for row in rows(ROUNDS[round_] / "demo.jsonl"):
        assert set(row) == FIELDS and row["lang"] in ("en", "ar"), row
        assert set(row["relevant"]) <= public, row


@pytest.mark.parametrize("round_", sorted(ROUNDS))
def test_m365_labels_are_m365_articles(round_: int, m365_ar: Path) -> None:
    public = {m["id"] for m in DRAW.public(m365_ar)}
    for row in rows(ROUNDS[round_] / "m365.jsonl"):
        assert set(row) == FIELDS and row["lang"] in ("en", "ar"), row
        assert set(row["relevant"]) <= public, row


@pytest.mark.parametrize("round_", [2, 3, 4, 5, 6, 7])
def test_a_later_round_has_round_1_sizes_and_shares_no_question_with_earlier_rounds_or_dev(round_: int) -> None:
    demo, m365 = rows(ROUNDS[round_] / "demo.jsonl"), rows(ROUNDS[round_] / "m365.jsonl")

    def count(table: list[dict], lang: str, answerable: bool) -> int:
        return sum(r["lang"] == lang and bool(r["relevant"]) == answerable for r in table)

    assert [count(demo, "en", True), count(demo, "ar", True), count(demo, "en", False), count(demo, "ar", False)] == [
        40,
        40,
        10,
        10,
    ]
    assert [count(m365, "ar", True), count(m365, "en", True), count(m365, "ar", False), count(m365, "en", False)] == [
        50,
        30,
        10,
        10,
    ]
    seen = {query.casefold() for query in earlier_questions(round_)}
    assert not [r["query"] for r in demo + m365 if r["query"].casefold() in seen]
    assert len({r["query"].casefold() for r in demo + m365}) == len(demo + m365)


# Round 4 questions that share half their terms with an earlier question only since the dialect lexicon
# (kb.arabic) reads more words as MSA (session 17: "النهارده" is اليوم, a stop word; "احنا" is نحن; "بتاع"
# is no term): round 4 was written and checked before, and a held-out file is never edited afterwards.
READ_ALIKE_SINCE_WRITTEN = frozenset(
    {
        "عايز أغير العنوان بتاع الأوردر بعد ما طلبته، ينفع؟",
        "احنا في سان دوني بريونيون، نكلم مايكروسوفت إزاي؟",
        "أسعار الذهب عيار 21 النهارده",
    }
)


def test_round_4_shares_half_its_content_words_with_no_dev_or_earlier_question() -> None:
    """Written after rounds 1-3 by someone who never read them: the test, not the writer, finds a near repeat.

    Only round 4's side is reported, so its writer can reword a question without reading the earlier one.
    """
    earlier = [term_set(query) for query in earlier_questions(4)]
    written = [r["query"] for name in ("demo.jsonl", "m365.jsonl") for r in rows(ROUNDS[4] / name)]
    near = [query for query in written if any(shares_half(query, other) for other in earlier)]
    assert [query for query in near if query not in READ_ALIKE_SINCE_WRITTEN] == []


def test_round_5_shares_half_its_content_words_with_no_dev_or_earlier_question() -> None:
    """Written after rounds 1-4 by someone who never read them; as round 4's guard, only round 5's side is reported."""
    earlier = [term_set(query) for query in earlier_questions(5)]
    written = [r["query"] for name in ("demo.jsonl", "m365.jsonl") for r in rows(ROUNDS[5] / name)]
    assert [query for query in written if any(shares_half(query, other) for other in earlier)] == []


def test_shares_half_counts_the_new_questions_content_words() -> None:
    assert shares_half("how do I cancel my order?", set(terms("cancel an order please")))
    assert shares_half("refunds", set(terms("when does my refund reach my card after a return")))  # its one word
    assert not shares_half("where is my parcel today", set(terms("cancel an order please")))
    assert not shares_half("cancel my order and refund the delivery fee to my card", set(terms("cancel order")))
    assert not shares_half("how do I?", set(terms("how do I?")))  # stop words only: nothing to share


@pytest.mark.parametrize("round_", [3, 4, 5, 6, 7])
def test_a_round_splits_out_of_scope_into_near_and_off_topic(round_: int) -> None:
    """Five near-topic and five off-topic questions per language and domain, every one with no answer."""
    for name in ("demo.jsonl", "m365.jsonl"):
        out = [r for r in rows(ROUNDS[round_] / name) if r["kind"].startswith("out-of-scope")]
        assert all(not r["relevant"] for r in out)
        for lang in ("en", "ar"):
            kinds = sorted(r["kind"] for r in out if r["lang"] == lang)
            assert kinds == ["out-of-scope-near"] * 5 + ["out-of-scope-off"] * 5, (name, lang)


@pytest.mark.parametrize("round_", [2, 3, 4, 5, 6, 7])
def test_a_later_round_follows_its_seeded_draw(round_: int, m365_ar: Path) -> None:
    """Each answerable row, in file order, is about its drawn article (first label) with its dealt kind."""
    drawn = DRAW.draw(round_, CONTENT, m365_ar)
    demo, m365 = rows(ROUNDS[round_] / "demo.jsonl"), rows(ROUNDS[round_] / "m365.jsonl")
    written = {
        "demo-en": [r for r in demo if r["lang"] == "en" and r["relevant"]],
        "demo-ar": [r for r in demo if r["lang"] == "ar" and r["relevant"]],
        "m365-ar": [r for r in m365 if r["lang"] == "ar" and r["relevant"]],
        "m365-en": [r for r in m365 if r["lang"] == "en" and r["relevant"]],
    }
    position = dict.fromkeys(written, 0)
    for label, kind, article in drawn:
        row = written[label][position[label]]
        position[label] += 1
        assert (row["relevant"][0], row["kind"]) == (article["id"], kind), (label, row)
    assert position == {label: len(table) for label, table in written.items()}


def test_the_m365_sample_is_the_first_draw_on_the_round_seed(m365_ar: Path) -> None:
    """Another dev slice leaves out exactly these 80 articles, so the sample must stay the rng's first call."""
    expected = [m["id"] for m in random.Random(2612).sample(DRAW.public(m365_ar), 80)]
    assert [m["id"] for m in DRAW.m365_sample(2, m365_ar)] == expected
    assert [m["id"] for label, _, m in DRAW.draw(2, CONTENT, m365_ar) if label.startswith("m365")] == expected


def test_round_3_draws_no_m365_article_read_for_rounds_1_2_or_the_customer_slice(m365_ar: Path) -> None:
    """Its pool leaves out the 80 + 80 + 110 articles other sets were written about (one exclusion, `m365_pool`)."""
    pool = DRAW.public(m365_ar)
    taken = {m["id"] for seed in (1802, 2612) for m in random.Random(seed).sample(pool, 80)}
    customer = {m["id"] for m in DRAW.customer_sample(m365_ar)}
    assert len(customer) == 110 and not customer & taken
    third = [m["id"] for m in DRAW.m365_sample(3, m365_ar)]
    assert len(set(third)) == 80 and not set(third) & (taken | customer)
    assert [m["id"] for label, _, m in DRAW.draw(3, CONTENT, m365_ar) if label.startswith("m365")] == third


def test_round_4_draws_no_m365_article_read_for_rounds_1_2_3_or_the_customer_slice(m365_ar: Path) -> None:
    """Its pool leaves out round 3's 80 as well as what round 3's pool left out (`LEAVES_OUT`)."""
    taken = {m["id"] for round_ in (1, 2, 3) for m in DRAW.m365_sample(round_, m365_ar)}
    taken |= {m["id"] for m in DRAW.customer_sample(m365_ar)}
    fourth = [m["id"] for m in DRAW.m365_sample(4, m365_ar)]
    assert len(set(fourth)) == 80 and not set(fourth) & taken
    assert fourth == [m["id"] for m in random.Random(5903).sample(DRAW.m365_pool(m365_ar, (1, 2, 3), True), 80)]
    assert [m["id"] for label, _, m in DRAW.draw(4, CONTENT, m365_ar) if label.startswith("m365")] == fourth


@pytest.mark.parametrize("round_", [3, 4, 5, 6, 7])
def test_the_suite_scores_a_rounds_near_and_off_topic_rows_as_out_of_scope(round_: int) -> None:
    """bench/eval_retrieval.py counts both kinds as out of scope (empty `relevant`) and reports each kind apart."""

    class Abstains:
        def search(self, query: str, **_: object) -> SimpleNamespace:
            return SimpleNamespace(abstained=True, results=[])

    engine = SimpleNamespace(retriever=Abstains())
    for name in ("demo.jsonl", "m365.jsonl"):
        report = evaluate(engine, rows(ROUNDS[round_] / name), "hybrid", lang_filter=True)  # type: ignore[arg-type]
        for lang in ("en", "ar"):
            assert report[lang]["out_of_scope"] == 10 and report[lang]["abstained_out_of_scope"] == 1.0
            assert report[lang]["abstained_by_kind"] == {"out-of-scope-near": "5/5", "out-of-scope-off": "5/5"}


def test_round_5_draws_no_m365_article_read_for_rounds_1_to_4_or_the_customer_slice(m365_ar: Path) -> None:
    """Its pool leaves out round 4's 80 as well as what round 4's pool left out (`LEAVES_OUT`)."""
    taken = {m["id"] for round_ in (1, 2, 3, 4) for m in DRAW.m365_sample(round_, m365_ar)}
    taken |= {m["id"] for m in DRAW.customer_sample(m365_ar)}
    fifth = [m["id"] for m in DRAW.m365_sample(5, m365_ar)]
    assert len(set(fifth)) == 80 and not set(fifth) & taken
    assert fifth == [m["id"] for m in random.Random(6347).sample(DRAW.m365_pool(m365_ar, (1, 2, 3, 4), True), 80)]
    assert [m["id"] for label, _, m in DRAW.draw(5, CONTENT, m365_ar) if label.startswith("m365")] == fifth


def test_round_6_draws_from_rounds_1_and_2s_articles_but_no_country_page_and_nothing_else_read(m365_ar: Path) -> None:
    """The rounds 1-5 pool left 79 articles (fewer than 80), so round 6's pool leaves out rounds 3-5 and the customer
    slice, and of rounds 1 and 2 only their country support pages (`COUNTRY_LEFT_OUT`): 162 articles, 32 of them
    country pages; the 80 are random.Random(8263).sample of that pool, the round's first rng call."""
    public = DRAW.public(m365_ar)
    country = {m["id"] for m in public if m["title"].startswith(DRAW.COUNTRY_TITLE)}
    assert len(country) == 246
    assert len(DRAW.m365_pool(m365_ar, (1, 2, 3, 4, 5), True)) == 79
    read = {m["id"] for round_ in (3, 4, 5) for m in DRAW.m365_sample(round_, m365_ar)}
    read |= {m["id"] for m in DRAW.customer_sample(m365_ar)}
    early = {m["id"] for round_ in (1, 2) for m in DRAW.m365_sample(round_, m365_ar)}
    pool = [m["id"] for m in DRAW.round_pool(6, m365_ar)]
    assert set(pool) == {m["id"] for m in public} - read - (early & country)
    assert (len(pool), len(set(pool) & country)) == (162, 32)
    assert set(pool) & early  # rounds 1 and 2's other articles are back
    sixth = [m["id"] for m in DRAW.m365_sample(6, m365_ar)]
    assert sixth == [m["id"] for m in random.Random(8263).sample(DRAW.round_pool(6, m365_ar), 80)]
    assert [m["id"] for label, _, m in DRAW.draw(6, CONTENT, m365_ar) if label.startswith("m365")] == sixth
    # the customer slice's pool and the earlier rounds' draws are what they were
    assert [m["id"] for m in DRAW.m365_sample(5, m365_ar)] == [
        m["id"] for m in random.Random(6347).sample(DRAW.m365_pool(m365_ar, (1, 2, 3, 4), True), 80)
    ]


def test_round_6_shares_half_its_content_words_with_no_dev_near_scope_or_earlier_question() -> None:
    """Every round-6 question (demo, m365, GNOME) against every dev and near-scope question and every earlier round
    of the three domains, and against the round's own questions; only round 6's side is reported."""
    others = [r["query"] for path in sorted((ROOT / "tests/eval").glob("*_queries.jsonl")) for r in rows(path)]
    others += [r["query"] for path in sorted((ROOT / "tests/eval").glob("near_scope_*.jsonl")) for r in rows(path)]
    earlier = [ROUNDS[r] / name for r in range(1, 6) for name in ("demo.jsonl", "m365.jsonl")] + [GNOME, GNOME_2]
    others += [r["query"] for path in earlier for r in rows(path)]
    files = [ROUNDS[6] / name for name in ("demo.jsonl", "m365.jsonl", "gnome.jsonl")]
    mine = [r["query"] for path in files for r in rows(path)]
    assert len({query.casefold() for query in mine}) == len(mine)
    assert [query for path in files for query in near_repeats(path, others)] == []


# GNOME Help, round 1 (tests/eval/heldout/gnome.jsonl): drawn from Debian's gnome-user-docs pages, which CI does not
# have; gnome_pool.json records what the draw read (the package's article ids and the ids its pool left out).
GNOME = HELDOUT / "gnome.jsonl"
GNOME_2 = HELDOUT / "round2/gnome.jsonl"  # its pool leaves out the dev and round-1 pages: 44 left, 24 English
GNOME_6 = HELDOUT / "round6/gnome.jsonl"  # its pool leaves out the dev pages only: 107, 40 English
GNOME_7 = HELDOUT / "round7/gnome.jsonl"  # the same 107-page pool as round 6, another seed
GNOME_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def written_in_draw_order(path: Path) -> list[tuple[str, str, str]]:
    """(set, first label, kind) of a GNOME round's answerable rows: English then Arabic, each in file order."""
    table = rows(path)
    written = [r for r in table if r["lang"] == "en" and r["relevant"]]
    written += [r for r in table if r["lang"] == "ar" and r["relevant"]]
    return [("gnome-" + r["lang"], r["relevant"][0], r["kind"]) for r in written]


def near_repeats(path: Path, others: list[str]) -> list[str]:
    """`path`'s questions that repeat one of its own or of `others`, or share half their content words with one of
    `others` (only `path`'s side is returned, so its writer rewords without reading the other question)."""
    written = [r["query"] for r in rows(path)]
    seen = {query.casefold() for query in others}
    earlier = [term_set(query) for query in others]
    twice = [query for i, query in enumerate(written) if query.casefold() in {q.casefold() for q in written[:i]}]
    return twice + [q for q in written if q.casefold() in seen or any(shares_half(q, other) for other in earlier)]


@pytest.mark.parametrize(("path", "english"), [(GNOME, 40), (GNOME_2, 24), (GNOME_6, 40), (GNOME_7, 40)])
def test_a_gnome_round_has_its_sizes_and_kinds(path: Path, english: int) -> None:
    """40 (round 2: 24) English and 20 Arabic answerable rows with the dealt kinds, 10 out of scope per language."""
    table = rows(path)
    assert all(set(row) == FIELDS and row["lang"] in ("en", "ar") for row in table)
    answerable = {lang: [r for r in table if r["lang"] == lang and r["relevant"]] for lang in ("en", "ar")}
    assert [len(answerable["en"]), len(answerable["ar"])] == [english, 20]
    assert {r["kind"] for r in answerable["en"]} == set(DRAW.EN_KINDS)
    assert {r["kind"] for r in answerable["ar"]} == set(DRAW.AR_KINDS)
    out = [r for r in table if not r["relevant"]]
    assert sorted(r["lang"] for r in out) == ["ar"] * 10 + ["en"] * 10
    assert {r["kind"] for r in out} == {"out-of-scope"}


@pytest.mark.parametrize("path", [GNOME, GNOME_2, GNOME_6, GNOME_7])
def test_gnome_labels_are_recorded_topic_and_task_page_ids(path: Path) -> None:
    record = DRAW.gnome_record()
    articles = set(record["articles"])
    for row in rows(path):
        assert all(GNOME_ID.fullmatch(page) for page in row["relevant"]), row
        assert set(row["relevant"]) <= articles and len(set(row["relevant"])) == len(row["relevant"]), row


def test_gnome_round_1_follows_its_seeded_draw_from_the_recorded_pool() -> None:
    """The 60 pages are random.Random(7411).sample(pool, 60) over the recorded pool (250 topic and task pages minus
    the 143 gnomeq9's dev questions labelled when the round was drawn); each answerable row, in file order, is about
    its drawn page (first label) with its dealt kind."""
    record = DRAW.gnome_record()
    assert len(record["articles"]) == 250 and record["articles"] == sorted(set(record["articles"]))
    left_out = record["left_out"]["1"]["ids"]
    assert len(left_out) == 143 and set(left_out) <= set(record["articles"])
    pool = DRAW.gnome_pool(1, record)
    assert len(pool) == 107 and not set(pool) & set(left_out)
    sample = random.Random(7411).sample(pool, 60)
    drawn = DRAW.gnome_draw(1, record)
    assert [page for _, _, page in drawn] == sample
    assert written_in_draw_order(GNOME) == [(label, page, kind) for label, kind, page in drawn]


def test_gnome_round_1_repeats_no_dev_or_earlier_round_question() -> None:
    """No question repeats, or shares half its content words with, a dev question (every tests/eval/*_queries.jsonl,
    GNOME's own dev set among them) or a demo/m365 round's; only the GNOME side is reported, as for round 4."""
    dev = sorted((ROOT / "tests/eval").glob("*_queries.jsonl"))
    assert {ROOT / "tests/eval" / name for name in DEV} <= set(dev)
    others = [r["query"] for path in dev for r in rows(path)]
    rounds = [folder / name for folder in ROUNDS.values() for name in ("demo.jsonl", "m365.jsonl")]
    others += [r["query"] for path in rounds for r in rows(path)]
    assert near_repeats(GNOME, others) == []


@pytest.mark.parametrize(("path", "english"), [(GNOME, 40), (GNOME_2, 24), (GNOME_6, 40), (GNOME_7, 40)])
def test_the_suite_scores_gnomes_out_of_scope_rows_apart(path: Path, english: int) -> None:
    class Abstains:
        def search(self, query: str, **_: object) -> SimpleNamespace:
            return SimpleNamespace(abstained=True, results=[])

    engine = SimpleNamespace(retriever=Abstains())
    report = evaluate(engine, rows(path), "hybrid", lang_filter=True)  # type: ignore[arg-type]
    for lang, answerable in (("en", english), ("ar", 20)):
        assert report[lang]["out_of_scope"] == 10 and report[lang]["abstained_by_kind"] == {"out-of-scope": "10/10"}
        assert report[lang]["queries"] == answerable


def gnome_page(folder: Path, page: str, type_: str, title: str = "Title") -> None:
    (folder / f"{page}.page").write_text(
        f'<page xmlns="http://projectmallard.org/1.0/" type="{type_}" id="{page}"><info><desc>What it does.</desc>'
        f"</info><title>{title}</title><section><title>Steps</title><p>Do it.</p></section></page>",
        "utf-8",
    )


def test_the_gnome_draw_reads_topic_and_task_pages_and_records_a_round_once(tmp_path: Path) -> None:
    """Guide pages are navigation, never articles; a recorded round is never re-drawn (clear error, file unchanged)."""
    pages = tmp_path / "gnome-help"
    pages.mkdir()
    gnome_page(pages, "files-copy", "topic", "Copy <gui>files</gui>")
    gnome_page(pages, "net-setup", "task")
    gnome_page(pages, "files", "guide")
    articles = DRAW.gnome_articles(pages)
    assert [(m["id"], m["title"], m["summary"], m["heads"]) for m in articles] == [
        ("files-copy", "Copy files", "What it does.", ["Steps"]),
        ("net-setup", "Title", "What it does.", ["Steps"]),
    ]
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"lang": "en", "query": "q", "relevant": ["net-setup", "files"], "kind": "question"}))
    record_path = tmp_path / "gnome_pool.json"
    record = DRAW.record_gnome_round(1, pages, [dev], "a dev file", record_path)
    assert record == {
        "articles": ["files-copy", "net-setup"],
        "left_out": {"1": {"source": "a dev file", "ids": ["net-setup"]}},
    }
    assert DRAW.gnome_pool(1, DRAW.gnome_record(record_path)) == ["files-copy"]
    before = record_path.read_text("utf-8")
    with pytest.raises(SystemExit, match="round 1 is recorded already"):
        DRAW.record_gnome_round(1, pages, [dev], "again", record_path)
    assert record_path.read_text("utf-8") == before
    with pytest.raises(SystemExit, match="no such folder"):
        DRAW.gnome_articles(tmp_path / "missing")


def test_gnome_round_2_follows_its_seeded_draw_from_a_pool_without_the_dev_or_round_1_pages() -> None:
    """The 44 pages are random.Random(9157).sample(pool, 44): the recorded pool is the 250 pages minus the 206 the
    dev questions and round 1 labelled (round 1's pool's exclusions and its drawn pages among them); each answerable
    row, in file order, is about its drawn page (first label) with its dealt kind."""
    record = DRAW.gnome_record()
    left_out = set(record["left_out"]["2"]["ids"])
    assert len(left_out) == 206 and left_out <= set(record["articles"])
    assert set(record["left_out"]["1"]["ids"]) <= left_out
    assert {page for _, _, page in DRAW.gnome_draw(1, record)} <= left_out
    assert {page for row in rows(GNOME) for page in row["relevant"]} <= left_out
    pool = DRAW.gnome_pool(2, record)
    assert len(pool) == 44 and not set(pool) & left_out
    drawn = DRAW.gnome_draw(2, record)
    assert [page for _, _, page in drawn] == random.Random(9157).sample(pool, 44)
    assert [label for label, _, _ in drawn] == ["gnome-en"] * 24 + ["gnome-ar"] * 20
    assert written_in_draw_order(GNOME_2) == [(label, page, kind) for label, kind, page in drawn]


def test_the_gnome_draw_keeps_round_1_and_deals_english_only_what_the_pool_leaves_beside_20_arabic() -> None:
    """Round 1's 107-page pool still deals 40 + 20; a pool of 25 deals 5 English questions and the 20 Arabic ones."""
    record = DRAW.gnome_record()
    assert [label for label, _, _ in DRAW.gnome_draw(1, record)] == ["gnome-en"] * 40 + ["gnome-ar"] * 20
    small = {"articles": [f"page-{i}" for i in range(30)], "left_out": {"1": {"ids": [f"page-{i}" for i in range(5)]}}}
    drawn = DRAW.gnome_draw(1, small)
    assert [label for label, _, _ in drawn] == ["gnome-en"] * 5 + ["gnome-ar"] * 20
    assert sorted(page for _, _, page in drawn) == DRAW.gnome_pool(1, small)


def test_gnome_round_2_repeats_no_dev_near_scope_or_earlier_round_question() -> None:
    """No question repeats, or shares half its content words with, a dev question (every *_queries.jsonl), a
    near-scope question, a demo/m365 round's or GNOME round 1's; only round 2's side is reported."""
    others = [r["query"] for path in sorted((ROOT / "tests/eval").glob("*_queries.jsonl")) for r in rows(path)]
    others += [r["query"] for path in sorted((ROOT / "tests/eval").glob("near_scope_*.jsonl")) for r in rows(path)]
    rounds = [folder / name for folder in ROUNDS.values() for name in ("demo.jsonl", "m365.jsonl")]
    others += [r["query"] for path in [*rounds, GNOME] for r in rows(path)]
    assert near_repeats(GNOME_2, others) == []


def test_heldout_2_runs_gnome_on_its_round_2_file() -> None:
    """`--heldout 2` runs gnome on round2/gnome.jsonl (round 3 has no gnome file, so gnome sits that one out)."""
    gnome = chosen_domains(["gnome"], 2)
    assert [(d.name, d.queries) for d in gnome] == [("gnome", Path("tests/eval/heldout/round2/gnome.jsonl"))]
    assert [d.name for d in chosen_domains(["demo", "m365", "gnome"], 2)] == ["demo", "m365", "gnome"]
    assert [d.name for d in chosen_domains(["demo", "m365", "gnome"], 3)] == ["demo", "m365"]


def test_gnome_round_6_follows_its_seeded_draw_from_a_pool_without_the_dev_pages() -> None:
    """The dev questions, GNOME rounds 1 and 2 labelled every page, so round 6's recorded pool leaves out only the
    pages the dev questions labelled (143, the same as round 1's): 107 pages, rounds 1 and 2's among them; the 60 are
    random.Random(3391).sample(pool, 60), 40 English and 20 Arabic, each row about its drawn page and kind."""
    record = DRAW.gnome_record()
    left_out = set(record["left_out"]["6"]["ids"])
    assert left_out == set(record["left_out"]["1"]["ids"]) and len(left_out) == 143
    assert not {row["relevant"][0] for row in rows(GNOME_6) if row["relevant"]} & left_out  # siblings may be dev pages
    pool = DRAW.gnome_pool(6, record)
    assert len(pool) == 107 and set(pool) == set(record["articles"]) - left_out
    drawn = DRAW.gnome_draw(6, record)
    assert [page for _, _, page in drawn] == random.Random(3391).sample(pool, 60)
    assert [label for label, _, _ in drawn] == ["gnome-en"] * 40 + ["gnome-ar"] * 20
    assert written_in_draw_order(GNOME_6) == [(label, page, kind) for label, kind, page in drawn]


def test_heldout_6_runs_all_three_domains_on_their_round_6_files() -> None:
    chosen = chosen_domains(["demo", "m365", "gnome"], 6)
    assert [(d.name, d.queries.parent, d.queries.name) for d in chosen] == [
        ("demo", Path("tests/eval/heldout/round6"), "demo.jsonl"),
        ("m365", Path("tests/eval/heldout/round6"), "m365.jsonl"),
        ("gnome", Path("tests/eval/heldout/round6"), "gnome.jsonl"),
    ]


def test_round_7_draws_from_rounds_3_to_5s_articles_but_no_country_page_and_nothing_read_twice(m365_ar: Path) -> None:
    """Round 7's pool leaves out rounds 1, 2 and 6 whole and the customer slice, and of rounds 3-5 only their country
    support pages (`LEAVES_OUT[7]`, `COUNTRY_LEFT_OUT[7]`): 172 articles, 14 of them country pages (the 14 no set
    read), so no article is read for a third set; the 80 are random.Random(4524).sample of that pool."""
    public = DRAW.public(m365_ar)
    country = {m["id"] for m in public if m["title"].startswith(DRAW.COUNTRY_TITLE)}
    out = {m["id"] for round_ in (1, 2, 6) for m in DRAW.m365_sample(round_, m365_ar)}
    out |= {m["id"] for m in DRAW.customer_sample(m365_ar)}
    middle = {m["id"] for round_ in (3, 4, 5) for m in DRAW.m365_sample(round_, m365_ar)}
    pool = [m["id"] for m in DRAW.round_pool(7, m365_ar)]
    assert set(pool) == {m["id"] for m in public} - out - (middle & country)
    assert (len(pool), len(set(pool) & country)) == (172, 14)
    assert not set(pool) & country & (out | middle)  # every country page in it is one no set has read
    seventh = [m["id"] for m in DRAW.m365_sample(7, m365_ar)]
    assert seventh == [m["id"] for m in random.Random(4524).sample(DRAW.round_pool(7, m365_ar), 80)]
    assert [m["id"] for label, _, m in DRAW.draw(7, CONTENT, m365_ar) if label.startswith("m365")] == seventh
    # an article of round 7 was read for at most one earlier set: rounds 3-5 (disjoint pools) or none
    earlier = [{m["id"] for m in DRAW.m365_sample(round_, m365_ar)} for round_ in (1, 2, 3, 4, 5, 6)]
    earlier.append({m["id"] for m in DRAW.customer_sample(m365_ar)})
    assert max(sum(page in read for read in earlier) for page in seventh) == 1
    assert [m["id"] for m in DRAW.m365_sample(6, m365_ar)] == [
        m["id"] for m in random.Random(8263).sample(DRAW.round_pool(6, m365_ar), 80)
    ]


def test_round_7_shares_half_its_content_words_with_no_dev_near_scope_or_earlier_question() -> None:
    """Every round-7 question (demo, m365, GNOME) against every dev and near-scope question and every earlier round
    of the three domains (round 6 among them), and against the round's own questions; only round 7's side is
    reported, so its writer rewords without reading the other question."""
    others = [r["query"] for path in sorted((ROOT / "tests/eval").glob("*_queries.jsonl")) for r in rows(path)]
    others += [r["query"] for path in sorted((ROOT / "tests/eval").glob("near_scope_*.jsonl")) for r in rows(path)]
    earlier = [ROUNDS[r] / name for r in range(1, 7) for name in ("demo.jsonl", "m365.jsonl")]
    others += [r["query"] for path in [*earlier, GNOME, GNOME_2, GNOME_6] for r in rows(path)]
    files = [ROUNDS[7] / name for name in ("demo.jsonl", "m365.jsonl", "gnome.jsonl")]
    mine = [r["query"] for path in files for r in rows(path)]
    assert len({query.casefold() for query in mine}) == len(mine)
    assert [query for path in files for query in near_repeats(path, others)] == []


def test_gnome_round_7_follows_its_seeded_draw_from_a_pool_without_the_dev_pages() -> None:
    """Round 7's recorded pool leaves out the pages the GNOME dev questions label (143, unchanged since round 1): the
    107 pages of rounds 1 and 6, round 6's among them (the dev and round-6 pages leave 47, fewer than 60); the 60 are
    random.Random(1538).sample(pool, 60), 40 English and 20 Arabic, each row about its drawn page and kind."""
    record = DRAW.gnome_record()
    left_out = set(record["left_out"]["7"]["ids"])
    assert left_out == set(record["left_out"]["6"]["ids"]) and len(left_out) == 143
    assert not {row["relevant"][0] for row in rows(GNOME_7) if row["relevant"]} & left_out
    pool = DRAW.gnome_pool(7, record)
    assert len(pool) == 107 and set(pool) == set(record["articles"]) - left_out
    assert len(set(pool) - {page for _, _, page in DRAW.gnome_draw(6, record)}) == 47
    drawn = DRAW.gnome_draw(7, record)
    assert [page for _, _, page in drawn] == random.Random(1538).sample(pool, 60)
    assert [label for label, _, _ in drawn] == ["gnome-en"] * 40 + ["gnome-ar"] * 20
    assert written_in_draw_order(GNOME_7) == [(label, page, kind) for label, kind, page in drawn]


def test_heldout_7_runs_all_three_domains_on_their_round_7_files() -> None:
    chosen = chosen_domains(["demo", "m365", "gnome"], 7)
    assert [(d.name, d.queries) for d in chosen] == [
        (name, Path(f"tests/eval/heldout/round7/{name}.jsonl")) for name in ("demo", "m365", "gnome")
    ]
