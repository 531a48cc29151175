"""The local model's relevance judgments of the first results (copilot.relevance_judge, LEVERS["judge_abstain"] and
LEVERS["judge_rerank"]): the rules on a stand-in judgment table, and the retriever with the levers on and off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.engine import Engine
from copilot.relevance_judge import CachedJudgments, judged_abstains, judged_order
from copilot.retrieval import LEVERS
from kb.settings import Settings
from tests.conftest import copy_slice, indexed_engine


def test_the_first_is_judged_no_abstains_and_no_judgment_says_nothing() -> None:
    assert judged_abstains(-0.01)
    assert not judged_abstains(0.0)
    assert not judged_abstains(3.0)
    assert not judged_abstains(None)
    assert judged_abstains(1.0, floor=1.5)


def test_an_article_judged_yes_by_the_margin_moves_above_the_first_only_within_the_top() -> None:
    items = ["a", "b", "c", "d"]
    assert judged_order(items, [-1.0, 1.5, None]) == ["b", "a", "c", "d"]  # 1.5 >= -1.0 + 2.0, and yes
    assert judged_order(items, [-1.0, 0.9, None]) == items  # under the margin
    assert judged_order(items, [-3.0, -0.5, None]) == items  # by the margin, but the model says no to it
    assert judged_order(items, [0.0, 2.5, 3.0], top=3) == ["c", "a", "b", "d"]  # the best judged of them
    assert judged_order(items, [0.0, 2.5, 3.0], top=2) == ["b", "a", "c", "d"]  # c is outside the first 2
    assert judged_order(items, [None, 5.0]) == items  # the first not judged: nothing to compare with
    assert judged_order(items, [0.0, None, 4.0], top=3) == ["c", "a", "b", "d"]
    assert judged_order([], []) == []
    assert judged_order(["a"], [0.0, 5.0]) == ["a"]  # a judgment past the items moves nothing


def test_cached_judgments_are_one_domain_and_case_and_a_bad_row_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    path.write_text(
        '{"domain": "demo", "case": "same-language", "query": "q", "article": "a", "judgment": 1.5}\n'
        '{"domain": "m365", "case": "same-language", "query": "q", "article": "a", "judgment": -2}\n\n',
        "utf-8",
    )
    assert CachedJudgments.load(path, "demo", "same-language").judgment("q", "a") == 1.5
    assert CachedJudgments.load(path, "m365").judgment("q", "a") == -2.0
    assert CachedJudgments.load(path, "demo", "cross-lingual").judgment("q", "a") is None
    path.write_text('{"query": "q", "article": "a", "judgment": "yes"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"judgments.jsonl:1: judgment is not a number"):
        CachedJudgments.load(path)
    path.write_text('{"query": "q", "judgment": 1}\n', "utf-8")
    with pytest.raises(ValueError, match=r"judgments.jsonl:1: not a judgment row"):
        CachedJudgments.load(path)


class Table:
    """A stand-in judge: a fixed table of (query, article) -> judgment."""

    def __init__(self, rows: dict[tuple[str, str], float]) -> None:
        self.rows = rows
        self.asked: list[tuple[str, str]] = []

    def judgment(self, query: str, article: str) -> float | None:
        self.asked.append((query, article))
        return self.rows.get((query, article))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedders: list) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("judged")
    settings = Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data")
    for engine in indexed_engine(settings, embedders):
        engine.retriever.refresh_views()
        engine.retriever.wait_for_views()
        yield engine


QUERY = "how do I reset my password"


def _search(engine: Engine) -> tuple[list[str], bool]:
    result = engine.retriever.search(QUERY, lang="en")
    return [hit.id for hit in result.results], result.abstained


def test_the_levers_rerank_and_abstain_by_the_judgments_and_off_change_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(LEVERS, "judge_abstain", False)
    monkeypatch.setitem(LEVERS, "judge_rerank", False)
    plain, plain_abstained = _search(engine)
    assert plain[0] == "reset-password" and len(plain) >= 2 and not plain_abstained
    second = plain[1]
    table = Table({(QUERY, "reset-password"): -1.0, (QUERY, second): 3.0})
    monkeypatch.setattr(engine.retriever, "judge", table)
    assert _search(engine) == (plain, False)  # a judge, the levers off: nothing changes, nothing asked
    assert table.asked == []
    monkeypatch.setitem(LEVERS, "judge_rerank", True)
    reranked, abstained = _search(engine)
    assert reranked == [second, "reset-password", *plain[2:]] and not abstained
    monkeypatch.setitem(LEVERS, "judge_abstain", True)
    assert _search(engine) == (reranked, False)  # the new first is judged yes
    monkeypatch.setitem(LEVERS, "judge_rerank", False)
    assert _search(engine) == (plain, True)  # the first, judged no, abstains
    monkeypatch.setattr(engine.retriever, "judge", Table({}))
    assert _search(engine) == (plain, False)  # no judgment: no say
