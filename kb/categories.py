"""What the help center says about a category: its name, icon, description and article order.

Writers edit `content/_categories.yml` (folder name -> `en`/`ar` names, `icon`, `description`
per language, `articles` in the order the category page lists them, `order` on the home page).
The catalog keeps answering "which articles are in the folder"; this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.articles import Article

CATEGORIES_FILE = "_categories.yml"
DEFAULT_ICON = "folder"
UNORDERED = 1000  # categories without `order` come after the ordered ones, by name


class CategoriesError(ValueError):
    """`_categories.yml` cannot be read; the message names the file and the category."""


@dataclass(frozen=True)
class CategoryInfo:
    slug: str
    names: dict[str, str]
    descriptions: dict[str, str]
    icon: str
    article_order: tuple[str, ...]
    order: int

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.slug.replace("-", " ").capitalize()

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang, "")

    def arrange(self, articles: Sequence[Article]) -> list[Article]:
        """The writers' order first, then any article they did not list, by title."""
        rank = {article_id: i for i, article_id in enumerate(self.article_order)}
        return sorted(articles, key=lambda a: (rank.get(a.id, len(rank)), a.title.casefold()))


def load_categories(content_dir: Path) -> dict[str, CategoryInfo]:
    path = content_dir / CATEGORIES_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CategoriesError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CategoriesError(f"{path}: expected a mapping of category folder -> names")
    found: dict[str, CategoryInfo] = {}
    for slug, raw in data.items():
        if not isinstance(raw, dict):
            raise CategoriesError(f"{path}: category {slug!r} must be a mapping (en, ar, icon, description, articles)")
        descriptions = raw.get("description") or {}
        articles = raw.get("articles") or []
        if not isinstance(descriptions, dict) or not isinstance(articles, list):
            raise CategoriesError(f"{path}: category {slug!r}: description must map language -> text, "
                                  "articles must be a list of article ids")
        found[str(slug)] = CategoryInfo(
            slug=str(slug),
            names={k: str(v) for k, v in raw.items() if isinstance(v, str) and k not in ("icon",)},
            descriptions={str(k): str(v) for k, v in descriptions.items()},
            icon=str(raw.get("icon") or DEFAULT_ICON),
            article_order=tuple(str(a) for a in articles),
            order=int(raw.get("order", UNORDERED)),
        )
    return found


def category_info(categories: dict[str, CategoryInfo], slug: str) -> CategoryInfo:
    return categories.get(slug) or CategoryInfo(slug, {}, {}, DEFAULT_ICON, (), UNORDERED)
