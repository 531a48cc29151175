"""The help center's hybrid search as a llama-index retriever.

llama-index's response synthesis and its CitationQueryEngine expect a `BaseRetriever` handing back
`NodeWithScore`s; `HelpCenterRetriever` is that over our `Retriever` (dense e5 + USE, lexical,
fusion, abstention), one node per `SearchHit` with the article's lang, id, anchor, title and
audience in the metadata. The audience filter stays ours and stays closed: the search runs for the
retriever's audience (public unless it is built for agents), and a hit marked internal is dropped
again before it reaches llama-index when the audience is not the agents'. A search that abstains
(nothing good enough to answer from) returns no nodes, so an engine answers "nothing found"
instead of synthesising from a weak match.

This module imports llama-index (~1.3 s), so only code that runs a llama-index engine imports it:
nothing on the CLI's start, the web app's import or the search path does.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.llms import LLM
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from copilot.retrieval import Retriever, SearchHit
from kb.audience import PUBLIC, Audience, visible

# Long enough for one of our chunks (at most ~1100 characters) to stay one citable source.
CITATION_CHUNK_SIZE = 512


def hit_node(hit: SearchHit) -> NodeWithScore:
    """One search hit as a llama-index node: the passage's text, its score, and where it is from."""
    node = TextNode(
        id_=f"{hit.lang}/{hit.id}#{hit.anchor}",
        text=hit.text,
        metadata={
            "lang": hit.lang,
            "id": hit.id,
            "anchor": hit.anchor,
            "title": hit.title,
            "section": hit.section,
            "category": hit.category,
            "audience": "internal" if hit.internal else "public",
            "locale_fallback": hit.locale_fallback,
        },
    )
    return NodeWithScore(node=node, score=hit.score)


class HelpCenterRetriever(BaseRetriever):
    """`Retriever.search` for one language and audience, as llama-index nodes."""

    def __init__(
        self,
        retriever: Retriever,
        lang: str | None = None,
        audience: Audience = PUBLIC,
        limit: int = 5,
        categories: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.retriever = retriever
        self.lang = lang
        self.audience = audience
        self.limit = limit
        self.categories = categories

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self.retriever.search(
            query_bundle.query_str, lang=self.lang, limit=self.limit, audience=self.audience,
            categories=self.categories,
        )
        if result.abstained:
            return []
        return [hit_node(hit) for hit in result.results if visible(hit.internal, self.audience)]


def citation_engine(
    retriever: Retriever, llm: LLM, lang: str | None = None, audience: Audience = PUBLIC, limit: int = 3
) -> CitationQueryEngine:
    """llama-index's CitationQueryEngine over our search with `llm` (a model drafter's `llm()`):
    answers cite "[n]" sources that are our passages, for `audience` only."""
    return CitationQueryEngine(
        HelpCenterRetriever(retriever, lang, audience, limit), llm=llm, citation_chunk_size=CITATION_CHUNK_SIZE
    )
