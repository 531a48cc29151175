"""Issue #12: ids with slashes (docs-as-code trees: `teams/license`) are accepted and their URLs work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from copilot.engine import Engine
from kb.lint import lint_paths
from kb.settings import Settings
from tests.indexer.test_sync import FILLER, CountingEmbedder
from tests.kb.test_articles import write
from webapp import create_app
from webapp.urls import article_url


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    content = tmp_path / "content"
    license_md = f"---\nid: teams/license\ntitle: Team licenses\n---\nSeats and renewals.{FILLER}\n"
    write(content, "en/teams/license.md", license_md)
    write(
        content, "en/billing/seats.md",
        f"---\ntitle: Seats\n---\nSee [the license rules](../teams/license.md) first.{FILLER}\n",
    )  # fmt: skip
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data", languages=("en",)), [CountingEmbedder()])
    assert engine.index(show_progress=False).exit_code == 0
    yield create_app(engine=engine).test_client()
    engine.close()


def test_an_article_with_a_slash_in_its_id_has_a_working_url(client: FlaskClient) -> None:
    page = client.get("/en/articles/teams/license")
    assert page.status_code == 200 and "Team licenses" in page.get_data(as_text=True)
    assert client.get("/en/articles/teams").status_code == 404


def test_links_by_path_lead_to_the_id_url(client: FlaskClient) -> None:
    html = client.get("/en/articles/seats").get_data(as_text=True)
    assert 'href="/en/articles/teams/license"' in html


def test_search_results_carry_the_id_url(client: FlaskClient) -> None:
    body = client.get("/api/v1/search?q=team+licenses+seats&lang=en").get_json()
    urls = [result["url"] for result in body["results"]]
    assert any(url.endswith("/en/articles/teams/license") or "/en/articles/teams/license#" in url for url in urls)


def test_draft_citations_link_the_slashed_id(client: FlaskClient) -> None:
    settings = client.application.extensions["settings"]
    assert article_url(settings, "en", "teams/license", "seats").endswith("/en/articles/teams/license#seats")


def test_lint_accepts_slash_ids_and_site_links_to_them(tmp_path: Path) -> None:
    write(tmp_path, "en/teams/license.md", f"---\nid: teams/license\ntitle: L\n---\nText.{FILLER}\n")
    links = "[a](/en/articles/teams/license) [b](../teams/license.md)"
    write(tmp_path, "en/a/b.md", f"---\ntitle: B\n---\n{links}{FILLER}\n")
    errors = [m for m in lint_paths(tmp_path, languages=("en",)) if m.severity == "error"]
    assert errors == []
