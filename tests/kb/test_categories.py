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


def test_the_catalog_keeps_the_last_categories_that_read_when_an_edit_breaks_the_file(tmp_path: Path) -> None:
    """The pages read categories through the catalog: a broken edit must not turn them into errors."""
    import os

    from kb.catalog import Catalog
    from kb.settings import Settings

    path = tmp_path / "_categories.yml"
    path.write_text("returns:\n  en: Returns and refunds\n  icon: return\n", "utf-8")
    catalog = Catalog(Settings(content_dir=tmp_path, languages=("en",)))
    assert catalog.category_name("returns", "en") == "Returns and refunds"
    path.write_text("returns: [not, a, mapping]\n", "utf-8")
    os.utime(path, ns=(1, 1))  # a different modification time, however fast the edit was
    assert catalog.category_name("returns", "en") == "Returns and refunds"
    assert catalog.category_name("delivery-areas", "en") == "Delivery areas"
