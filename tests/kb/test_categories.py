from pathlib import Path

import pytest

from kb.articles import Article
from kb.categories import CategoriesError, category_info, load_categories

ROOT = Path(__file__).resolve().parents[2]


def article(article_id: str, title: str) -> Article:
    return Article(id=article_id, lang="en", title=title, category="returns", path=f"en/returns/{article_id}.md",
                   file_hash="", blocks=())


def test_the_shipped_categories_have_names_icons_descriptions_and_an_order() -> None:
    categories = load_categories(ROOT / "content")
    returns = categories["returns"]
    assert returns.name("ar") == "الإرجاع والاسترداد" and returns.icon == "return" and returns.description("en")
    arranged = returns.arrange([article("zzz-extra", "A new article"), article("refund-timing", "When"),
                                article("start-a-return", "Start a return")])
    assert [a.id for a in arranged] == ["start-a-return", "refund-timing", "zzz-extra"]
    assert category_info(categories, "unknown-folder").name("en") == "Unknown folder"


def test_a_malformed_categories_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "_categories.yml").write_text("returns: [not, a, mapping]\n", "utf-8")
    with pytest.raises(CategoriesError, match=r"_categories\.yml.*returns"):
        load_categories(tmp_path)
