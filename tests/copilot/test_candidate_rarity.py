"""Candidate rarity (LEVERS["candidate_rarity"]): the field credit counts a query term by how few of the first
candidates' titles hold it, so the product name a framing question shares with its product's pages stops deciding.

"refund for my Sync": four pages of the product whose titles all say Sync, and the refund page, whose title does
not. Counted alike, each of them holds half of the question and the product page, a little ahead on the models'
score, keeps the first place; counted over the candidates, "sync" is in four titles of five and "refund" in one,
and the refund page goes first. The same count lets the product name decide when it is the word that tells the
candidates apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.retrieval import LEVERS, Retriever
from indexer.stores.base import Hit
from tests.copilot.test_title_rarity import _retriever

SYNC_PAGES = ["Sync settings", "Set up Sync on a phone", "Sync stopped working", "Sync and your data"]


def _hit(key: str, title: str, score: float) -> Hit:
    return Hit(f"{key}#0", score, {"key": f"en/{key}", "lang": "en", "title": title})


def _credited(retriever: Retriever, query: str, ranked: list[Hit]) -> list[str]:
    searched = typed = retriever.lexical.encode_query(query, "en")
    credited = retriever._credit_fields(ranked, {"en": (searched, typed)}, credit=0.4)
    return [str(hit.payload["key"]).removeprefix("en/") for hit in credited]


def _framed() -> list[Hit]:
    """The product's pages first on the models' scores, the refund page just behind the first."""
    pages = [_hit(f"sync-{n}", title, 0.52 - n * 0.03) for n, title in enumerate(SYNC_PAGES)]
    return [pages[0], _hit("refund-policy", "Refund policy", 0.50), *pages[1:]]


def test_the_refund_page_passes_the_product_page_only_with_the_lever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = _retriever(tmp_path)
    monkeypatch.setitem(LEVERS, "title_rarity", False)
    monkeypatch.setitem(LEVERS, "candidate_rarity", False)
    assert _credited(retriever, "refund for my Sync", _framed())[:2] == ["sync-0", "refund-policy"]
    monkeypatch.setitem(LEVERS, "candidate_rarity", True)
    assert _credited(retriever, "refund for my Sync", _framed())[:2] == ["refund-policy", "sync-0"]


def test_the_name_decides_where_it_is_the_rare_word_among_the_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refund pages crowd the candidates and one says Sync: there the name is what tells them apart."""
    retriever = _retriever(tmp_path)
    monkeypatch.setitem(LEVERS, "candidate_rarity", True)
    refunds = [_hit(f"refund-{n}", f"Refund {what}", 0.52 - n * 0.03) for n, what in enumerate(("times", "to card"))]
    ranked = [refunds[0], _hit("sync-plan", "Sync plan billing", 0.50), refunds[1]]
    assert _credited(retriever, "Sync refund", ranked)[0] == "sync-plan"
