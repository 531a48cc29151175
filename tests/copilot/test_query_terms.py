"""What the lexical side searches for: dialect in MSA, and terms that carry across languages."""

from __future__ import annotations

from pathlib import Path

from copilot.expansion import Synonyms
from copilot.retrieval import Retriever
from kb.settings import Settings


class _NoStore:
    """Enough of a store for query building: nothing here touches the index."""

    def version(self) -> str:
        return "v1"

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        return []


def _retriever(tmp_path: Path) -> Retriever:
    path = tmp_path / "_synonyms.yml"
    path.write_text("- [refund, money back, استرداد, المبلغ المسترد]\n- [order, طلب]\n", encoding="utf-8")
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    return Retriever(settings, _NoStore(), [], synonyms=Synonyms(path))  # type: ignore[arg-type]


def test_lexical_query_adds_msa_for_dialect_and_lets_synonyms_fire_on_it(tmp_path: Path) -> None:
    retriever = _retriever(tmp_path)
    searched = retriever.lexical_query("عايز استرداد", "ar")
    assert searched.startswith("عايز استرداد ")  # what the customer typed comes first, unchanged
    assert "اريد" in searched.split() and "refund" in searched.split()
    assert retriever.lexical_query("refund status", "en").split()[:2] == ["refund", "status"]


def test_cross_lingual_terms_keep_only_the_target_script(tmp_path: Path) -> None:
    retriever = _retriever(tmp_path)
    assert retriever.cross_lingual_terms("الـ tracking ما وصل", "ar", "en") == "tracking"
    assert retriever.cross_lingual_terms("استرداد الطلب", "ar", "en").split() == ["refund", "money", "back", "order"]
    assert retriever.cross_lingual_terms("refund 2024", "en", "ar").split() == ["استرداد", "المبلغ", "المسترد"]
