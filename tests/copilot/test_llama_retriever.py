"""Our hybrid search as a llama-index retriever over the real indexed slice: nodes carry the
article's metadata, the audience filter holds, and llama-index's CitationQueryEngine answers through
the OpenAI-like LLM against the loopback stub from our passages only."""

from __future__ import annotations

import json
from dataclasses import replace

from copilot.engine import Engine
from copilot.llama_retriever import HelpCenterRetriever, citation_engine, hit_node
from tests.copilot.test_drafts import hit
from tests.copilot.test_model_drafters import Stub, drafter_for, stub  # noqa: F401  (the loopback server fixture)

INTERNAL_QUERY = "refund approval limits for agents and team leads"


def test_nodes_carry_the_articles_metadata_and_the_public_audience_never_sees_internal(indexed: Engine) -> None:
    public = HelpCenterRetriever(indexed.retriever, lang="en").retrieve("how long does my refund take")
    assert public and public[0].node.metadata["id"] == "refund-timing"
    first = public[0]
    assert first.score == first.score and first.score > 0  # a real fused score, not NaN
    assert {"lang", "id", "anchor", "title", "audience"} <= set(first.node.metadata)
    assert first.node.metadata["lang"] == "en" and first.node.metadata["title"] == "When will I get my refund?"
    assert first.node.node_id == f"en/refund-timing#{first.node.metadata['anchor']}"

    asked_by_public = HelpCenterRetriever(indexed.retriever, lang="en").retrieve(INTERNAL_QUERY)
    assert all(node.node.metadata["audience"] == "public" for node in asked_by_public)
    assert "refund-approval-limits" not in {node.node.metadata["id"] for node in asked_by_public}
    asked_by_agent = HelpCenterRetriever(indexed.retriever, lang="en", audience="agent").retrieve(INTERNAL_QUERY)
    internal = [node for node in asked_by_agent if node.node.metadata["id"] == "refund-approval-limits"]
    assert internal and internal[0].node.metadata["audience"] == "internal"


def test_an_internal_hit_is_dropped_for_the_public_even_if_search_returned_it(indexed: Engine) -> None:
    """Defence in depth: a search that leaked an internal hit still never reaches llama-index."""
    leaked = hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.9, internal=True)

    class Leaky:
        def search(self, query: str, **options: object) -> object:
            result = indexed.retriever.search(query, **options)  # type: ignore[arg-type]
            return replace(result, results=(leaked, *result.results))

    nodes = HelpCenterRetriever(Leaky(), lang="en").retrieve("how long does my refund take")  # type: ignore[arg-type]
    assert nodes and "refund-approval-limits" not in {node.node.metadata["id"] for node in nodes}
    assert hit_node(leaked).node.metadata["audience"] == "internal"


def test_citation_query_engine_answers_from_our_passages_through_the_openai_like_llm(
    indexed: Engine, stub: Stub  # noqa: F811
) -> None:
    stub.script("Refunds to cards take 5-10 business days after we issue them [1].")
    engine = citation_engine(indexed.retriever, drafter_for(stub).llm(), lang="en")
    response = engine.query("how long does my refund take to reach my card")
    assert str(response) == "Refunds to cards take 5-10 business days after we issue them [1]."
    assert response.source_nodes and response.source_nodes[0].node.metadata["id"] == "refund-timing"
    assert all(node.node.metadata["audience"] == "public" for node in response.source_nodes)
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["temperature"] == 0
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    assert "Source 1:" in prompt and "5-10 business days" in prompt
    assert "500 SAR" not in prompt  # the internal approval limits never reach the model


def test_citation_query_engine_keeps_the_audience_filter_for_an_internal_question(
    indexed: Engine, stub: Stub  # noqa: F811
) -> None:
    stub.script("I cannot say [1].")
    engine = citation_engine(indexed.retriever, drafter_for(stub).llm(), lang="en")
    response = engine.query(INTERNAL_QUERY)
    prompts = json.dumps(stub.requests, ensure_ascii=False)
    assert "500 SAR" not in prompts and "Refunds queue" not in prompts
    assert "refund-approval-limits" not in {node.node.metadata["id"] for node in response.source_nodes}
