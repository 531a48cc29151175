"""The catalog's audience rule: fails closed, and an article's translations are per audience."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.catalog import Catalog
from kb.settings import Settings


@pytest.fixture
def catalog(content_dir: Path, tmp_path: Path) -> Catalog:
    arabic = content_dir / "ar/payments/apple-pay.md"
    arabic.write_text(arabic.read_text("utf-8").replace("visibility: public", "visibility: internal"), "utf-8")
    return Catalog(Settings(content_dir=content_dir, data_dir=tmp_path / "data"))


@pytest.mark.parametrize("audience", [None, "public", "Agent", "admin", ""])
def test_anything_but_agent_is_the_public(catalog: Catalog, audience: object) -> None:
    assert catalog.get("en", "refund-approval-limits", audience) is None  # type: ignore[arg-type]
    assert catalog.get("ar", "apple-pay", audience) is None  # type: ignore[arg-type]
    assert "agent-procedures" not in catalog.by_category("en", audience)  # type: ignore[arg-type]
    english = catalog.get("en", "apple-pay", audience)  # type: ignore[arg-type]
    assert english is not None and catalog.translations(english, audience) == []  # type: ignore[arg-type]


def test_agents_see_internal_articles_and_translations(catalog: Catalog) -> None:
    assert catalog.get("en", "refund-approval-limits", "agent") is not None
    assert "agent-procedures" in catalog.by_category("en", "agent")
    english = catalog.get("en", "apple-pay", "agent")
    assert english is not None and [t.key for t in catalog.translations(english, "agent")] == ["ar/apple-pay"]
