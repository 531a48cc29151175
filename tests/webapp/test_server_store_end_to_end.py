"""The Qdrant server path end to end: `kb index` and `kb search` on `ServerStore`, the web app
answering over HTTP from it (qdrant-client's local mode stands in for the server: no server binary
can be installed here), and collections created with the cluster layout from the settings."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from copilot.engine import Engine
from indexer.embedders import Embedder
from indexer.stores import open_store
from indexer.stores.server import ServerStore
from kb.settings import Settings
from webapp import create_app
from webapp.background import serving
from webapp.cli import main


def http_search(base_url: str, query: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/api/v1/search?" + urllib.parse.urlencode({"q": query}), timeout=30) as r:
        return json.loads(r.read())


def test_cli_indexes_and_the_web_app_searches_a_qdrant_server(
    settings: Settings, embedders: list[Embedder], tmp_path: Path
) -> None:
    qdrant = tmp_path / "qdrant"  # a path: local mode, one process at a time, as the CLI then the app
    env = {"QDRANT_URL": str(qdrant), "QDRANT_REPLICATION_FACTOR": "2", "QDRANT_WRITE_CONSISTENCY_FACTOR": "2"}
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env=env)
    indexed = runner.invoke(main, ["index", "--quiet", *where])
    assert indexed.exit_code == 0, indexed.output
    assert "11 added" in indexed.output and "0 embedded" in indexed.output  # vectors from the warm cache
    assert not (settings.data_dir / "index").exists()  # nothing went to qdrant-edge
    found = runner.invoke(main, ["search", "رسوم التوصيل في الإمارات", "--json", *where])
    assert found.exit_code == 0 and json.loads(found.output)["results"][0]["id"] == "delivery-fees"

    article = settings.content_dir / "en" / "payments" / "apple-pay.md"
    article.write_text(article.read_text("utf-8") + "\n## Zebra stripes\n\nZebra stripes on the checkout.\n", "utf-8")
    again = runner.invoke(main, ["index", "--quiet", *where])
    assert again.exit_code == 0 and "1 changed" in again.output, again.output

    on_server = replace(settings, qdrant_url=str(qdrant))
    engine = Engine(on_server, embedders)
    try:
        assert isinstance(engine.store, ServerStore)
        with serving(create_app(engine=engine)) as base_url:
            assert http_search(base_url, "apple pay")["results"][0]["id"] == "apple-pay"
            top = http_search(base_url, "zebra stripes checkout")["results"][0]
            assert (top["id"], top["section"]) == ("apple-pay", "Zebra stripes")
            assert http_search(base_url, "refund approval limits")["results"][0]["id"] != "refund-approval-limits"
    finally:
        engine.close()


def test_collections_are_created_with_the_configured_cluster_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env(
        {"QDRANT_URL": "memory", "QDRANT_SHARD_NUMBER": "6", "QDRANT_REPLICATION_FACTOR": "2",
         "QDRANT_WRITE_CONSISTENCY_FACTOR": "2"}
    )  # fmt: skip
    store = open_store(settings)
    assert isinstance(store, ServerStore)
    created: dict[str, Any] = {}
    real_create = store.client.create_collection

    def recording_create(name: str, **kwargs: Any) -> bool:  # local mode accepts the layout and drops it
        created.update(kwargs)
        return real_create(name, **kwargs)

    monkeypatch.setattr(store.client, "create_collection", recording_create)
    store.writer({"e5": 4}).abort()
    store.close()
    assert (created["shard_number"], created["replication_factor"], created["write_consistency_factor"]) == (6, 2, 2)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"QDRANT_REPLICATION_FACTOR": "two"}, "QDRANT_REPLICATION_FACTOR='two': expected a whole number >= 1"),
        ({"QDRANT_SHARD_NUMBER": "0"}, "QDRANT_SHARD_NUMBER='0'"),
    ],
)
def test_a_bad_layout_setting_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


def test_write_consistency_above_replication_is_refused() -> None:
    settings = Settings(qdrant_url="memory", qdrant_replication_factor=1, qdrant_write_consistency_factor=2)
    with pytest.raises(ValueError, match="write_consistency_factor 2 exceeds replication_factor 1"):
        open_store(settings)
