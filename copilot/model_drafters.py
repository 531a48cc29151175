"""Drafters that ask a language model for the reply, restricted to numbered passages.

The models are reached through llama-index's LLM interfaces (the client's chosen package):
`OpenAICompatibleDrafter` through its OpenAI-like integration (any server speaking the OpenAI chat
API: vLLM, llama.cpp's llama-server, Ollama) and `LlamaCppDrafter` through its llama.cpp one (a
local GGUF model in-process). What stays ours: the prompt in the ticket's language with the
passages numbered, the check that the reply cites only those passages and carries no link of its
own, the timeout, and the grounded draft whenever the model or its server misbehaves.

llama-index costs ~1.3 s to import, so nothing here imports it before a model drafter drafts for
the first time: `import copilot.engine`, the CLI's start and search never load it (a test checks).
llama-index-llms-llama-cpp and llama-cpp-python (a ~5.5 min native build) are the optional
`local-llm` extra: install it and set KB_LLM_GGUF.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

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
    _closing,
    _greeting,
    _label,
    _link_line,
    _unique,
    customer_passages,
    section_text,
)
from copilot.reply_wording import acknowledgement, without_contact_advice
from copilot.retrieval import SearchHit
from copilot.section_choice import choose_sections
from kb.bidi_text import in_reading_order
from kb.settings import Settings

if TYPE_CHECKING:  # the annotations only: importing llama-index is what this module avoids
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse
    from llama_index.core.llms import LLM

log = logging.getLogger(__name__)

# The prompt in the ticket's language: a model answers in the language it is spoken to far more
# reliably than in one it is told to use (a 1.5B model told "write in Arabic" in English drifts
# into English). Other ticket languages get the English text and are told which language to write.
# The rules open the user's message and the citation rule closes it; the system message says who the
# assistant is, and ONE short exchange before the ticket shows a cited answer (a question and a
# passage in the ticket's format, then the reply): a 1.5B model (bench/llm_bench.py) ignored citation
# rules given as the system message, followed them given in the user's turn, copied the numbered
# listing or the customer's message back instead of answering (Arabic most), and with the example
# inside the system message echoed its "The customer wrote:" line. The example's topic is made up (no
# help-center article says it), so a copied example is no fact.
# The model is not offered a way out (NO_ANSWER): it is asked only when the grounded rules found an
# answering section, and a 1.5B model offered one took it for a plain "what am I doing wrong?" with
# the answer in passage [2] (a model that still says it gets the grounded draft).
# The model writes the answer only: the greeting, the acknowledgement of an upset or repeated
# contact, the links and the sign-off are the grounded drafter's own (one less thing to get wrong,
# and fewer tokens to generate on a CPU).
PROMPTS: dict[str, dict[str, str]] = {
    "en": {
        "role": (
            "You are a customer-support assistant for Manzil, an online store. You answer from numbered "
            "help-center passages and end every sentence with the number of the passage it comes from."
        ),
        "example": (
            "The customer wrote: my notifications come in English, can I change that?\n\nPassages:\n\n"
            "[1] Notifications – Language of notifications (English)\nOpen Settings > Notifications and choose "
            "a language. The change applies to new messages only."
        ),
        "example_reply": (
            "You can choose their language in Settings > Notifications [1]. The change applies to new messages "
            "only [1]."
        ),
        "rules": (
            "Write the answer of a reply that a customer-support agent will review and send. Use only facts "
            "stated in the numbered help-center passages. End every sentence with the number of its passage "
            "in brackets, like [1]; cite only the numbers listed. At most five short sentences; keep numbered "
            "steps whole and in order. Do not include links, and do not mention anything the passages do not "
            "say. Never tell the customer to contact support: this reply is support. Write in {language}, "
            "even when a passage is in another language. Do not greet, close or sign: the greeting and the "
            "signature are added for you."
        ),
        "asked": "The customer wrote: {question}",
        "passages": "Passages:",
        "now": (
            "Write the answer now, from these passages only, in {language}. End every sentence with the "
            "number of its passage in brackets: [1], [2]."
        ),
    },
    "ar": {
        "role": (
            "أنت مساعد خدمة عملاء لمنزل، متجر إلكتروني. تجيب من مقاطع مركز المساعدة المرقّمة، وتختم كل جملة "
            "برقم المقطع الذي أخذتها منه."
        ),
        "example": (
            "كتب العميل: الإشعارات توصلني بالإنجليزي، أقدر أغيرها؟\n\nالمقاطع:\n\n"
            "[1] الإشعارات – لغة الإشعارات (العربية)\nافتح الإعدادات ثم الإشعارات واختر اللغة. يسري التغيير "
            "على الرسائل الجديدة فقط."
        ),
        "example_reply": (
            "يمكنك اختيار لغة الإشعارات من الإعدادات ثم الإشعارات [1]. يسري التغيير على الرسائل الجديدة فقط [1]."
        ),
        "rules": (
            "اكتب جواب رد يراجعه موظف خدمة العملاء ثم يرسله. استخدم فقط المعلومات الواردة في مقاطع مركز "
            "المساعدة المرقّمة. اختم كل جملة برقم مقطعها بين قوسين مربعين مثل [1]، ولا تذكر إلا الأرقام "
            "المعطاة. خمس جمل قصيرة على الأكثر، وانقل الخطوات المرقّمة كاملة وبترتيبها. لا تضع أي روابط، ولا "
            "تذكر شيئًا لا تقوله المقاطع. لا تطلب من العميل التواصل مع خدمة العملاء: هذا الرد هو خدمة "
            "العملاء. اكتب بالعربية الفصحى حتى لو كان المقطع بلغة أخرى. لا تكتب تحية ولا خاتمة ولا توقيعًا "
            "(تُضاف تلقائيًا)."
        ),
        "asked": "كتب العميل: {question}",
        "passages": "المقاطع:",
        "now": "اكتب الجواب الآن بالعربية من هذه المقاطع فقط. اختم كل جملة برقم مقطعها بين قوسين: [1]، [2].",
    },
}
# The passages the model reads: the answering sections, at least MIN_PASSAGES of them when there are
# that many, each cut (at a line, then sentence boundary) to its answering part: a 1.5B model reading
# three whole ~1100-character chunks lost the question (and prompt reading is most of a CPU draft).
MIN_PASSAGES = 2
PASSAGE_CHARS = (900, 450)  # the first passage, every other one
# What a reply needs: at most five short sentences, or a few whole steps. Arabic takes ~1.5x the
# tokens of English in Qwen's and Llama's vocabularies. KB_LLM_MAX_TOKENS caps both.
REPLY_TOKENS = {"en": 220, "ar": 320}
# A greeting the model wrote anyway (ours is added): "Hi Priya," / "مرحبًا خالد،" / "Dear customer,".
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|مرحب(?:ًا|اً|ا)|[أا]هل(?:ًا|اً|ا)|السلام عليكم"
    r"|عزيز(?:ي|تي))\b[^,،!.\n]{0,40}[,،!\n]\s*",
    re.IGNORECASE,
)
# A reply holding this many of the customer's words in a row copies the message back.
COPIED_WORDS = 8
_WORD = re.compile(r"\w+")
# Where a reply cut at its token budget can end: after its last citation (and the sentence's stop).
_LAST_CITED = re.compile(r".*\[\d+\][.!?؟]?", re.DOTALL)


class DrafterError(RuntimeError):
    """The model's server failed or its reply broke the citation rules; the message says how."""


class CitingModelDrafter:
    """A model writes the reply from numbered passages; a reply citing anything else is rejected.

    Subclasses say how the model is reached (`complete`); the prompt, the citation check and the
    fall-back to the grounded draft are the same for every model. Abstention is the grounded
    drafter's decision (off-topic and internal-only tickets), so a model never writes a confident
    reply the grounded draft would have refused.
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
        context = context or ReplyContext()
        grounded = self.fallback.draft(ticket_lang, customer_name, passages, abstained, link=link, context=context)
        if grounded.abstained:
            return replace(grounded, drafter=self.name)
        public, _ = customer_passages(passages, abstained)
        numbered = self.numbered(public, context.question)
        try:
            messages = self.messages(ticket_lang, numbered, context.question)
            reply = self.complete(messages, max_tokens=self.reply_tokens(ticket_lang))
            return self._checked(reply, ticket_lang, customer_name, numbered, link, context)
        except DrafterError as error:
            log.warning("LLM draft rejected, using the grounded draft: %s", error)
            return replace(grounded, fallback_from=self.name, detail=str(error))

    def numbered(self, public: Sequence[SearchHit], question: str) -> list[SearchHit]:
        """The passages the model sees: the sections answering the question (the grounded drafter's
        choice), topped up to `MIN_PASSAGES` with the best other public passages, at most
        `max_passages`; each cut to its first PASSAGE_CHARS (whole lines, steps kept whole)."""
        chosen = list(choose_sections(question, public).sections) if question else []
        seen = {(hit.lang, hit.id, hit.anchor) for hit in chosen}
        rest = [hit for hit in public if (hit.lang, hit.id, hit.anchor) not in seen]
        wanted = min(self.max_passages, max(len(chosen), MIN_PASSAGES))
        picked = [*chosen, *rest][:wanted]
        limits = [PASSAGE_CHARS[0], *[PASSAGE_CHARS[1]] * (len(picked) - 1)]
        return [replace(hit, text=section_text(hit.text, limit)) for hit, limit in zip(picked, limits, strict=True)]

    def messages(self, ticket_lang: str, passages: Sequence[SearchHit], question: str = "") -> list[dict[str, str]]:
        """The chat messages for the model: system and user text in the ticket's language."""
        prompt = PROMPTS.get(ticket_lang, PROMPTS["en"])
        language = _LANGUAGE_NAMES.get(ticket_lang, {}).get("en", ticket_lang)
        rules = prompt["rules"].format(language=language)
        listing = passage_listing(passages, ticket_lang)
        parts = [rules]
        if question:
            parts.append(prompt["asked"].format(question=question))
        # The citation rule again, last: small models follow the instruction nearest their answer.
        parts += [prompt["passages"] + "\n\n" + listing, prompt["now"].format(language=language)]
        return [
            {"role": "system", "content": prompt["role"]},
            {"role": "user", "content": prompt["example"]},
            {"role": "assistant", "content": prompt["example_reply"]},
            {"role": "user", "content": "\n\n".join(parts)},
        ]

    def reply_tokens(self, ticket_lang: str) -> int:
        """The draft's token budget: what a reply of a few sentences needs in its language."""
        return REPLY_TOKENS.get(ticket_lang, max(REPLY_TOKENS.values()))

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str:
        """The model's reply to chat `messages`, within `max_tokens` when given (the model's own cap
        otherwise); raises DrafterError when the model fails. Public so other grounded writers (the
        customers' answer card) reuse the same model and timeout."""
        raise NotImplementedError

    def _checked(
        self,
        reply: str,
        ticket_lang: str,
        customer_name: str,
        passages: Sequence[SearchHit],
        link: ArticleLink,
        context: ReplyContext,
    ) -> Draft:
        if reply.strip(" .") == NO_ANSWER:
            # The grounded drafter's rules found an answering section (it abstains otherwise): the
            # agent gets that draft rather than nothing, with the model's view as the reason.
            raise DrafterError("the model found no answer in the passages")
        advised = without_contact_advice(reply)
        if _CITATION.search(reply) and not _CITATION.search(advised):
            raise DrafterError("the reply tells the customer to contact support")
        reply = advised  # this reply is support: its "contact us" sentences go, as the grounded draft's do
        cited = [int(n) for n in _CITATION.findall(reply)]
        if not cited:
            raise DrafterError("the reply cites no passage")
        unknown = sorted({n for n in cited if not 1 <= n <= len(passages)})
        if unknown:
            raise DrafterError(f"the reply cites {unknown}, but only passages 1-{len(passages)} were given")
        if _URL.search(reply):
            raise DrafterError("the reply contains a link of its own")
        copied = copied_back(reply, ticket_lang, passages, context.question)
        if copied:
            raise DrafterError(f"the reply {copied} instead of answering")
        body = _GREETING.sub("", reply, count=1).strip()
        body = body[:1].upper() + body[1:]
        body = in_reading_order(body, ticket_lang)  # read right in the mail (drafts.reply_form)
        order = _unique([str(n) for n in cited])
        hits = [passages[int(n) - 1] for n in order]
        urls = [link(hit) for hit in hits]
        links = [f"[{n}] {_link_line(ticket_lang, hit, url)}" for n, hit, url in zip(order, hits, urls, strict=True)]
        sorry = _acknowledgement(ticket_lang, context)
        parts = [_greeting(ticket_lang, customer_name), sorry, body, "\n\n".join(links), _closing(ticket_lang, context)]
        return Draft(
            text="\n\n".join(part for part in parts if part),
            citations=_unique(urls),
            abstained=False,
            source_langs=_unique([hit.lang for hit in hits]),
            drafter=self.name,
            cited=_unique([f"{hit.lang}/{hit.id}" for hit in hits]),
        )


def copied_back(reply: str, ticket_lang: str, passages: Sequence[SearchHit], question: str) -> str:
    """How the reply copies its prompt back (small models do), or "" when it does not: the prompt's
    own labels, a passage's numbered heading or the language tag the listing puts after it (a model
    retyping the heading changes a letter or two, not the tag), or a run of COPIED_WORDS of the
    customer's words. Quoting a passage's text is what a reply should do, so that is not copying."""
    prompt = PROMPTS.get(ticket_lang, PROMPTS["en"])
    labels = [prompt["asked"].split("{")[0].strip(), prompt["passages"]]
    if any(label in reply for label in labels):
        return "repeats the prompt"
    if any(f"[{n}] {_label(hit)}" in reply or f"({language_name(hit.lang, ticket_lang)})" in reply
           for n, hit in enumerate(passages, 1)):
        return "copies the numbered passages"
    asked = _WORD.findall(question.lower())
    runs = {" ".join(asked[i : i + COPIED_WORDS]) for i in range(len(asked) - COPIED_WORDS + 1)}
    written = " ".join(_WORD.findall(reply.lower()))
    if any(run in written for run in runs):
        return "repeats the customer's message"
    return ""


def passage_listing(passages: Sequence[SearchHit], lang: str) -> str:
    """The numbered passages as the model reads them (the drafts' and the answer card's prompts):
    "[n] title – section (language)" then the text; `copied_back` knows these headings."""
    return "\n\n".join(
        f"[{n}] {_label(hit)} ({language_name(hit.lang, lang)})\n{hit.text}" for n, hit in enumerate(passages, 1)
    )


def language_name(lang: str, written_in: str) -> str:
    names = _LANGUAGE_NAMES.get(lang, {})
    return names.get(written_in) or names.get("en") or lang


def _acknowledgement(ticket_lang: str, context: ReplyContext) -> str:
    """The grounded drafter's one-sentence acknowledgement of an upset or repeated contact, if any."""
    return acknowledgement(ticket_lang, context.customer_messages, context.earlier_contacts)


class LlamaIndexDrafter(CitingModelDrafter):
    """A model behind one of llama-index's LLM interfaces, built on the first draft (importing
    llama-index is slow) and then shared; `llm()` hands it to llama-index's own engines
    (copilot/llama_retriever.py) so they use the configured model and timeout."""

    def __init__(self, timeout: float, max_passages: int = 3, fallback: GroundedDrafter | None = None) -> None:
        super().__init__(max_passages, fallback)
        self.timeout = timeout
        self._llm: LLM | None = None
        self._build_lock = threading.Lock()

    def llm(self) -> LLM:
        """The llama-index LLM, built once; DrafterError when it cannot be built."""
        if self._llm is None:
            with self._build_lock:
                if self._llm is None:
                    self._llm = self._build()
        return self._llm

    def _build(self) -> LLM:
        raise NotImplementedError

    def _chat(self, llm: LLM, chat: list[ChatMessage], max_tokens: int | None = None) -> ChatResponse:
        """One chat call; the local model's subclass serialises it, applies `max_tokens` (a server's
        cap is KB_LLM_MAX_TOKENS: llama-index's OpenAI client sends its own over a per-call one) and
        the bench times it."""
        return llm.chat(chat)

    def _failure(self, error: Exception) -> DrafterError | None:
        """The DrafterError for an exception of this model's client, None for one it does not know."""
        raise NotImplementedError

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> str:
        from llama_index.core.base.llms.types import ChatMessage

        llm = self.llm()
        chat = [ChatMessage(role=message["role"], content=message["content"]) for message in messages]
        try:
            response = self._chat(llm, chat, max_tokens)
        except DrafterError:
            raise
        except Exception as error:  # mapped below: only the client's own failures become a fallback
            failure = self._failure(error)
            if failure is None:
                raise
            raise failure from error
        content = response.message.content
        if not isinstance(content, str) or not content.strip():
            raise DrafterError("the model returned an empty reply")
        if _finish_reason(response.raw) == "length":
            # Cut at the token budget: keep the sentences up to the last citation, not half a sentence.
            kept = _LAST_CITED.match(content)
            if kept is None:
                raise DrafterError("the reply reached its token budget before citing a passage")
            content = kept.group(0)
        return content.strip()


def _finish_reason(raw: Any) -> str | None:
    """Why generation stopped ("stop", "length"), from llama-cpp's dict or the OpenAI client's object."""
    try:
        choice = raw["choices"][0] if isinstance(raw, dict) else raw.choices[0]
        reason = choice["finish_reason"] if isinstance(choice, dict) else choice.finish_reason
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return reason if isinstance(reason, str) else None


def _api_base(url: str) -> str:
    """KB_LLM_URL names the server (`http://host:8080`) or its API root (`.../v1`): the API root."""
    base = url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


class OpenAICompatibleDrafter(LlamaIndexDrafter):
    """A model behind an OpenAI-compatible server (vLLM, llama-server, Ollama) through llama-index's
    OpenAILike: temperature 0, chat API, `retries` retries of a timed-out or failed request (each
    attempt waits at most `timeout` seconds)."""

    name = "openai-compatible"

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 1,
        max_tokens: int = 512,
        max_passages: int = 3,
        fallback: GroundedDrafter | None = None,
    ) -> None:
        super().__init__(timeout, max_passages, fallback)
        self.api_base = _api_base(url)
        self.model = model
        self.api_key = api_key
        self.retries = retries
        self.max_tokens = max_tokens

    def _build(self) -> LLM:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=self.model,
            api_base=self.api_base,
            # The OpenAI client refuses to start without a key; servers that need none ignore it.
            api_key=self.api_key or "no-key",
            timeout=self.timeout,
            max_retries=self.retries,
            temperature=0.0,
            max_tokens=self.max_tokens,
            is_chat_model=True,
        )

    def _failure(self, error: Exception) -> DrafterError | None:
        import openai

        if isinstance(error, openai.APITimeoutError):
            return DrafterError(f"the model server did not answer within {self.timeout:g} s")
        if isinstance(error, openai.APIStatusError):
            return DrafterError(f"the model server answered HTTP {error.status_code}: {error.message}")
        if isinstance(error, openai.APIConnectionError):
            return DrafterError(f"the model server did not answer: cannot reach {self.api_base}")
        if isinstance(error, openai.OpenAIError | ValueError | TypeError | KeyError | IndexError):
            return DrafterError(f"the model server did not answer usably: {error}")
        return None


class LlamaCppDrafter(LlamaIndexDrafter):
    """A local GGUF model run in-process through llama-index's LlamaCPP (the optional `local-llm`
    extra: llama-cpp-python builds from source, ~5.5 min on 2 cores). Loaded on the first draft,
    once, with the model's own chat template; drafts are serialised (one model instance is not safe
    to share between threads), and generation stops at `timeout` seconds (prompt reading cannot be
    interrupted, so one draft can overrun by that much)."""

    name = "llama-cpp"

    def __init__(
        self,
        model_path: str,
        threads: int = 2,
        context: int = 4096,
        max_tokens: int = 512,
        timeout: float = 120.0,
        max_passages: int = 3,
        fallback: GroundedDrafter | None = None,
    ) -> None:
        super().__init__(timeout, max_passages, fallback)
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self.max_tokens = max_tokens
        self._chat_lock = threading.Lock()
        self._deadline = float("inf")

    def _past_deadline(self, *_: object) -> bool:
        """llama-cpp's stopping criterion: stop generating once the draft's time is up."""
        return time.monotonic() > self._deadline

    def _build(self) -> LLM:
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError as error:
            raise DrafterError(
                "KB_LLM_GGUF is set but llama-index-llms-llama-cpp / llama-cpp-python are not installed "
                "(pip install '.[local-llm]')"
            ) from error
        from llama_cpp import StoppingCriteriaList
        template: dict[str, Any] = {}
        try:
            llm = LlamaCPP(
                model_path=self.model_path,
                temperature=0.0,
                max_new_tokens=self.max_tokens,
                context_window=self.context,
                model_kwargs={"n_threads": self.threads},
                generate_kwargs={"stopping_criteria": StoppingCriteriaList([self._past_deadline])},
                messages_to_prompt=lambda messages: template["format"](messages),
                verbose=False,
            )
        except (OSError, ValueError, RuntimeError) as error:
            raise DrafterError(f"cannot load {self.model_path}: {error}") from error
        template["format"] = _chat_template(llm)
        return llm

    def _chat(self, llm: LLM, chat: list[ChatMessage], max_tokens: int | None = None) -> ChatResponse:
        with self._chat_lock:
            # LlamaCPP passes its generate_kwargs to llama-cpp as they are, and ignores per-call ones.
            llm.generate_kwargs["max_tokens"] = min(max_tokens or self.max_tokens, self.max_tokens)  # type: ignore[attr-defined]
            self._deadline = time.monotonic() + self.timeout
            try:
                response = llm.chat(chat)
            finally:
                late, self._deadline = time.monotonic() > self._deadline, float("inf")
        if late:
            raise DrafterError(f"the local model did not finish within {self.timeout:g} s")
        return response

    def _failure(self, error: Exception) -> DrafterError | None:
        if isinstance(error, RuntimeError | ValueError | KeyError | IndexError):
            return DrafterError(f"the local model failed: {error}")
        return None


def _chat_template(llm: Any) -> Any:
    """How llama-index's LlamaCPP turns chat messages into the model's prompt: the GGUF's own chat
    template (Qwen's ChatML, Llama's, Gemma's...) rendered by llama-cpp-python's Jinja formatter,
    or llama-index's generic format for a model file without one."""
    model = getattr(llm, "_model", None)
    source = getattr(model, "metadata", {}).get("tokenizer.chat_template") if model is not None else None
    if not source:
        from llama_index.core.base.llms.generic_utils import messages_to_prompt

        return messages_to_prompt
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def token_text(token: int) -> str:
        return model._model.token_get_text(token) if token != -1 else ""  # type: ignore[union-attr]

    formatter = Jinja2ChatFormatter(
        source, eos_token=token_text(model.token_eos()), bos_token=token_text(model.token_bos())  # type: ignore[union-attr]
    )

    def to_prompt(messages: Sequence[ChatMessage]) -> str:
        rendered = [{"role": message.role.value, "content": message.content or ""} for message in messages]
        return str(formatter(messages=rendered).prompt)

    return to_prompt


def build_drafter(settings: Settings) -> Drafter:
    """`OpenAICompatibleDrafter` when `llm_url` is set (KB_LLM_URL), `LlamaCppDrafter` when
    `llm_gguf` names a model file (KB_LLM_GGUF), else the grounded drafter. Nothing is imported or
    loaded here: the model is reached on the first draft."""
    if settings.llm_url:
        return OpenAICompatibleDrafter(
            settings.llm_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
            max_tokens=settings.llm_max_tokens,
        )
    if settings.llm_gguf is not None:
        return LlamaCppDrafter(
            str(settings.llm_gguf),
            threads=settings.threads,
            context=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout,
        )
    return GroundedDrafter()
