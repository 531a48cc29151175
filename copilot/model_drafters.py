"""Drafters that ask a language model for the reply, restricted to numbered passages.

`OpenAICompatibleDrafter` asks any server speaking the OpenAI chat API for a more natural reply
restricted to numbered passages, and checks that the reply cites only those; when the model or the
server misbehaves the agent still gets the grounded draft, marked as such.

`LlamaCppDrafter` runs a local GGUF model in-process with llama-cpp-python, which is not a
dependency (a native build and a large model for a feature most deployments leave off): install
it and set KB_LLM_GGUF. llama.cpp's own `llama-server` is the other way, through KB_LLM_URL.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import replace

from copilot.drafts import (
    _CITATION,
    _LANGUAGE_NAMES,
    _URL,
    NO_ANSWER,
    ArticleLink,
    Draft,
    Drafter,
    GroundedDrafter,
    ReplyContext,
    _abstain,
    _label,
    _link_line,
    _unique,
    customer_passages,
)
from copilot.retrieval import SearchHit
from kb.settings import Settings

log = logging.getLogger(__name__)


class DrafterError(RuntimeError):
    """The model's server failed or its reply broke the citation rules; the message says how."""


class CitingModelDrafter:
    """A model writes the reply from numbered passages; a reply citing anything else is rejected.

    Subclasses say how the model is reached (`complete`); the prompt, the citation check and the
    fall-back to the grounded draft are the same for every model.
    """

    name = "model"

    def __init__(self, max_passages: int = 3, fallback: GroundedDrafter | None = None) -> None:
        self.max_passages = max_passages
        self.fallback = fallback or GroundedDrafter()

    def draft(
        self,
        ticket_lang: str,
        customer_name: str,
        passages: Sequence[SearchHit],
        abstained: bool,
        *,
        link: ArticleLink,
        context: ReplyContext | None = None,
    ) -> Draft:
        public, reason = customer_passages(passages, abstained)
        if reason is not None:
            return _abstain(reason, self.name)
        numbered = public[: self.max_passages]
        question = context.question if context else ""
        try:
            reply = self.complete(self.messages(ticket_lang, customer_name, numbered, question))
            return self._checked(reply, ticket_lang, numbered, link)
        except DrafterError as error:
            log.warning("LLM draft rejected, using the grounded draft: %s", error)
            grounded = self.fallback.draft(ticket_lang, customer_name, passages, abstained, link=link, context=context)
            return replace(grounded, fallback_from=self.name, detail=str(error))

    def messages(
        self, ticket_lang: str, customer_name: str, passages: Sequence[SearchHit], question: str = ""
    ) -> list[dict[str, str]]:
        language = _LANGUAGE_NAMES.get(ticket_lang, {}).get("en", ticket_lang)
        system = (
            "You draft replies that a customer-support agent will review and send. Use only facts stated in "
            "the numbered help-center passages. After each statement, cite its passage as [n]. Cite only the "
            "numbers listed. Do not include links, and do not mention anything the passages do not say. "
            f"Write in {language}, even when a passage is in another language. Greet the customer by name "
            f"and close politely. If no passage answers the question, reply exactly {NO_ANSWER}."
        )
        listing = "\n\n".join(
            f"[{n}] {_label(hit)} ({_LANGUAGE_NAMES.get(hit.lang, {}).get('en', hit.lang)})\n{hit.text}"
            for n, hit in enumerate(passages, 1)
        )
        asked = f"\n\nThe customer wrote: {question}" if question else ""
        user = f"Customer name: {customer_name or '(unknown)'}{asked}\n\nPassages:\n\n{listing}"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The model's reply to chat `messages`; raises DrafterError when the model fails. Public so
        other grounded writers (the customers' answer card) reuse the same model and timeout."""
        raise NotImplementedError

    def _checked(self, reply: str, ticket_lang: str, passages: Sequence[SearchHit], link: ArticleLink) -> Draft:
        if reply.strip(" .") == NO_ANSWER:
            return _abstain("no_article", self.name)
        cited = [int(n) for n in _CITATION.findall(reply)]
        if not cited:
            raise DrafterError("the reply cites no passage")
        unknown = sorted({n for n in cited if not 1 <= n <= len(passages)})
        if unknown:
            raise DrafterError(f"the reply cites {unknown}, but only passages 1-{len(passages)} were given")
        if _URL.search(reply):
            raise DrafterError("the reply contains a link of its own")
        order = _unique([str(n) for n in cited])
        hits = [passages[int(n) - 1] for n in order]
        urls = [link(hit) for hit in hits]
        links = [f"[{n}] {_link_line(ticket_lang, hit, url)}" for n, hit, url in zip(order, hits, urls, strict=True)]
        return Draft(
            text=reply + "\n\n" + "\n".join(links),
            citations=_unique(urls),
            abstained=False,
            source_langs=_unique([hit.lang for hit in hits]),
            drafter=self.name,
            cited=_unique([f"{hit.lang}/{hit.id}" for hit in hits]),
        )


def _content(payload: object) -> str:
    """The reply text of an OpenAI-style chat completion (llama-cpp-python answers in the same shape)."""
    try:
        content = payload["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError) as error:
        raise DrafterError(f"the model's answer has no message: {error}") from error
    if not isinstance(content, str) or not content.strip():
        raise DrafterError("the model returned an empty reply")
    return content.strip()


class OpenAICompatibleDrafter(CitingModelDrafter):
    """A model behind an OpenAI-compatible server: vLLM, llama.cpp's llama-server, Ollama."""

    name = "openai-compatible"

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_passages: int = 3,
        fallback: GroundedDrafter | None = None,
    ) -> None:
        super().__init__(max_passages, fallback)
        self.endpoint = url.rstrip("/") + "/v1/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def complete(self, messages: list[dict[str, str]]) -> str:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise DrafterError(f"the model server did not answer usably: {error}") from error
        return _content(payload)


class LlamaCppDrafter(CitingModelDrafter):
    """A local GGUF model run in-process by llama-cpp-python (an optional install: it builds from
    source, ~5.5 min on 2 cores). Loaded on the first draft, once; drafts are serialised because
    one model instance is not safe to share between threads."""

    name = "llama-cpp"

    def __init__(
        self,
        model_path: str,
        threads: int = 2,
        context: int = 4096,
        max_tokens: int = 512,
        max_passages: int = 3,
        fallback: GroundedDrafter | None = None,
    ) -> None:
        super().__init__(max_passages, fallback)
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self.max_tokens = max_tokens
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise DrafterError("KB_LLM_GGUF is set but llama-cpp-python is not installed") from error
        try:
            return Llama(model_path=self.model_path, n_ctx=self.context, n_threads=self.threads, verbose=False)
        except (OSError, ValueError) as error:
            raise DrafterError(f"cannot load {self.model_path}: {error}") from error

    def complete(self, messages: list[dict[str, str]]) -> str:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            try:
                payload = self._model.create_chat_completion(  # type: ignore[attr-defined]
                    messages=messages, temperature=0, max_tokens=self.max_tokens
                )
            except (RuntimeError, ValueError) as error:
                raise DrafterError(f"the local model failed: {error}") from error
        return _content(payload)


def build_drafter(settings: Settings) -> Drafter:
    """`OpenAICompatibleDrafter` when `llm_url` is set (KB_LLM_URL), `LlamaCppDrafter` when
    `llm_gguf` names a model file (KB_LLM_GGUF), else the grounded drafter."""
    if settings.llm_url:
        return OpenAICompatibleDrafter(
            settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key, timeout=settings.llm_timeout
        )
    if settings.llm_gguf is not None:
        return LlamaCppDrafter(str(settings.llm_gguf), threads=settings.threads)
    return GroundedDrafter()
