"""The bilingual term table: mined from the help center's own translated articles, nothing else."""

from __future__ import annotations

from pathlib import Path

from copilot.retrieval import Retriever
from copilot.term_table import TermMiner, TermTable
from indexer.lexical import LexicalEncoder
from kb.settings import Settings


def _chunks(lang: str, article_id: str, title: str, sections: list[tuple[str, str]]) -> list[dict]:
    return [
        {"lang": lang, "article_id": article_id, "title": title, "heading_path": [heading], "ordinal": i, "text": text}
        for i, (heading, text) in enumerate(sections)
    ]


# Three translated pairs (the same id in both languages) and one English article with no Arabic version.
PAYLOADS = [
    *_chunks(
        "en",
        "warranty",
        "Warranty coverage",
        [("What the warranty covers", "The warranty covers defects."), ("Claims", "Send the invoice.")],
    ),
    *_chunks(
        "ar",
        "warranty",
        "تغطية الضمان",
        [("ما يغطيه الضمان", "يغطي الضمان العيوب."), ("المطالبات", "أرسل الفاتورة.")],
    ),
    *_chunks("en", "repair", "Request a repair", [("Warranty repairs", "Repairs under warranty are free.")]),
    *_chunks("ar", "repair", "طلب صيانة", [("صيانة الضمان", "الصيانة ضمن الضمان مجانية.")]),
    *_chunks(
        "en",
        "ramadan",
        "Ramadan delivery hours",
        [("Hours", "During Ramadan we deliver after iftar."), ("Areas", "All cities.")],
    ),
    *_chunks(
        "ar",
        "ramadan",
        "ساعات التوصيل في رمضان",
        [("الساعات", "في رمضان نوصل بعد الإفطار."), ("المناطق", "كل المدن.")],
    ),
    *_chunks("en", "gift-cards", "Gift cards", [("Buying", "Buy a gift card online.")]),
]


def test_terms_that_share_aligned_segments_translate_each_other() -> None:
    miner = TermMiner(LexicalEncoder())
    table = miner.mine(PAYLOADS)
    assert table.pairs == 3
    assert table.translate(miner.terms("الضمان", "ar"), "ar", "en") == ["warranty"]
    assert table.translate(miner.terms("رمضان", "ar"), "ar", "en") == ["ramadan"]
    assert table.translate(miner.terms("warranty", "en"), "en", "ar") == ["الضمان"]
    # "gift" is in no translated pair, "المدن" in one segment only: chance, not a translation
    assert table.translate(miner.terms("gift المدن", "en"), "en", "ar") == []
    assert table.translate(miner.terms("المدن", "ar"), "ar", "en") == []


def test_a_help_center_without_translated_pairs_gets_an_empty_table() -> None:
    arabic_only = [p for p in PAYLOADS if p["lang"] == "ar"]
    table = TermMiner(LexicalEncoder()).mine(arabic_only)
    assert len(table) == 0 and table.pairs == 0
    assert TermTable().translate([1, 2, 3], "ar", "en") == []


class _Store:
    """The payloads of a live index, for query building: nothing else of the store is asked."""

    def version(self) -> str:
        return "v1"

    def payloads(self, fields: tuple[str, ...]) -> list[dict]:
        return PAYLOADS


def test_the_mined_words_bridge_a_query_into_the_other_language(tmp_path: Path) -> None:
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _Store(), [])  # type: ignore[arg-type]
    assert "ramadan" in retriever.cross_lingual_terms("التوصيل في رمضان", "ar", "en").split()
    assert "الضمان" in retriever.cross_lingual_terms("warranty claim", "en", "ar").split()
    # the same-language side is untouched
    assert "ramadan" not in retriever.lexical_query("التوصيل في رمضان", "ar").split()
