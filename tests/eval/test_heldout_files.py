"""The held-out query files are what their README says: labels that exist, the drawn articles, the sizes.

These check the files, never the product's ranking of them (tests/eval/heldout/README.md: nothing here
may tune on the held-out questions). A label naming no article would score as a miss forever; a round-2
row out of step with its seeded draw would mean a question was written about an article nobody drew.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bench.m365_import import convert, find_corpus
from tests.conftest import CONTENT, ROOT, load_script

HELDOUT = ROOT / "tests/eval/heldout"
ROUNDS = {1: HELDOUT, 2: HELDOUT / "round2"}
FIELDS = {"lang", "query", "relevant", "kind"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]




DRAW = load_script(HELDOUT / "draw.py", "heldout_draw")


@pytest.fixture(scope="module")
def m365_ar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The m365 Arabic articles, imported from the shared corpus as the suite does (bench/m365_import.py)."""
    target = tmp_path_factory.mktemp("m365-content")
    convert(find_corpus(ROOT), target)
    return target / "ar"


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


def test_round_2_has_round_1_sizes_and_shares_no_question_with_round_1_or_dev() -> None:
    demo, m365 = rows(ROUNDS[2] / "demo.jsonl"), rows(ROUNDS[2] / "m365.jsonl")

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
    earlier = [
        *ROUNDS[1].glob("*.jsonl"),
        ROOT / "tests/eval/dev_queries.jsonl",
        ROOT / "tests/eval/m365_queries.jsonl",
    ]
    seen = {r["query"].casefold() for path in earlier for r in rows(path)}
    assert not [r["query"] for r in demo + m365 if r["query"].casefold() in seen]


def test_round_2_follows_its_seeded_draw(m365_ar: Path) -> None:
    """Each answerable row, in file order, is about its drawn article (first label) with its dealt kind."""
    drawn = DRAW.draw(DRAW.SEEDS[2], CONTENT, m365_ar)
    demo, m365 = rows(ROUNDS[2] / "demo.jsonl"), rows(ROUNDS[2] / "m365.jsonl")
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
    assert [m["id"] for m in DRAW.m365_sample(2612, m365_ar)] == expected
    assert [m["id"] for label, _, m in DRAW.draw(2612, CONTENT, m365_ar) if label.startswith("m365")] == expected
