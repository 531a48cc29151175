"""The model drafters on llama-index: a real OpenAI-compatible HTTP server on loopback (responses
scripted) reached through llama-index's OpenAILike, and the local GGUF drafter's LlamaCPP wiring.
Every failure (bad citation, a link, an empty reply, HTTP 500, a slow server) ends in the grounded
draft with the reason; llama-index is never imported before a model drafter drafts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from copilot.drafts import GroundedDrafter, ReplyContext
from copilot.engine import Engine
from copilot.model_drafters import PASSAGE_CHARS, REPLY_TOKENS, LlamaCppDrafter, OpenAICompatibleDrafter, build_drafter
from kb.settings import Settings
from tests.copilot.test_drafts import BASE, LINK, hit

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Reply:
    """One scripted answer: the assistant's text, or an HTTP error status, after `delay` seconds."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"  # "length": the server stopped at max_tokens


@dataclass
class Stub:
    url: str
    replies: list[Reply] = field(default_factory=list)  # answered in order; the last one repeats
    requests: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def script(self, *replies: Reply | str) -> None:
        self.replies = [reply if isinstance(reply, Reply) else Reply(reply) for reply in replies]


def completion(content: str, finish_reason: str = "stop") -> dict[str, object]:
    """An OpenAI chat completion as vLLM, llama-server and Ollama send it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "tiny",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A local OpenAI-compatible server: records each request, answers the scripted replies."""
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.requests.append({"path": self.path, **json.loads(self.rfile.read(length))})
            state.headers.append(dict(self.headers))
            reply = state.replies[min(len(state.requests), len(state.replies)) - 1]
            time.sleep(reply.delay)
            failed = {"error": {"message": "model crashed"}}
            payload = completion(reply.content, reply.finish_reason) if reply.status == 200 else failed
            body = json.dumps(payload).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: that is what a slow-server test wants

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


PUBLIC = hit("refund-timing", "en", "Refunds take 5-10 business days.", 0.25, title="Refund timing")


def drafter_for(stub: Stub, **options: Any) -> OpenAICompatibleDrafter:
    return OpenAICompatibleDrafter(stub.url, "tiny", **{"timeout": 5, "retries": 0, **options})


def test_llm_draft_citing_the_given_passages_is_used(stub: Stub) -> None:
    stub.script("Hi Priya, refunds take 5-10 business days [1].")
    internal = hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.26, internal=True)
    drafter = drafter_for(stub, api_key="secret")
    context = ReplyContext(agent_name="Sara")
    draft = drafter.draft("en", "Priya", [internal, PUBLIC], abstained=False, link=LINK, context=context)
    assert draft.drafter == "openai-compatible" and draft.fallback_from is None
    assert draft.citations == [f"{BASE}/en/articles/refund-timing"] and draft.cited == ["en/refund-timing"]
    # The model's own greeting is replaced by ours: the model writes the answer, the drafter the frame.
    answer = "Refunds take 5-10 business days [1]."
    assert draft.text.startswith(f"Hi Priya,\n\n{answer}\n\n[1] More details: Refund timing\n")
    assert draft.text.endswith("Best regards,\nSara\nManzil Customer Care")  # our sign-off, not the model's
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["model"] == "tiny"
    assert request["temperature"] == 0 and request["max_tokens"] == 512
    assert stub.headers[0]["Authorization"] == "Bearer secret"
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    assert "[1] Refund timing" in prompt and "500 SAR" not in prompt  # internal passages never reach the model


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Refunds take 5-10 days [3].", "only passages 1-1 were given"),
        ("Refunds take 5-10 days.", "cites no passage"),
        ("See [1] https://evil.example", "link of its own"),
        ("", "empty reply"),
    ],
)
def test_llm_draft_breaking_the_rules_falls_back_to_the_grounded_draft(stub: Stub, reply: str, reason: str) -> None:
    stub.script(reply)
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.drafter == "grounded" and draft.fallback_from == "openai-compatible"
    assert reason in draft.detail
    assert draft.text.startswith("Hi Priya,\n\nRefunds take 5-10 business days.")
    assert draft.citations == [f"{BASE}/en/articles/refund-timing"]


def test_server_error_is_retried_then_falls_back(stub: Stub) -> None:
    stub.script(Reply(status=500))
    draft = drafter_for(stub, retries=1).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.fallback_from == "openai-compatible" and "HTTP 500" in draft.detail
    assert len(stub.requests) == 2  # one retry, then the grounded draft


def test_a_retry_that_succeeds_is_used(stub: Stub) -> None:
    stub.script(Reply(status=503), "Hi Priya, refunds take 5-10 business days [1].")
    draft = drafter_for(stub, retries=1).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.drafter == "openai-compatible" and len(stub.requests) == 2


def test_slow_server_times_out_to_the_grounded_draft(stub: Stub) -> None:
    stub.script(Reply("Hi Priya [1].", delay=3.0))
    draft = drafter_for(stub, timeout=0.5).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.drafter == "grounded" and "did not answer within 0.5 s" in draft.detail


def test_unreachable_llm_server_falls_back() -> None:
    drafter = OpenAICompatibleDrafter("http://127.0.0.1:9", "tiny", timeout=2, retries=0)
    draft = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert draft.fallback_from == "openai-compatible" and "did not answer" in draft.detail
    assert draft.text.startswith("مرحبًا خالد،")


def test_arabic_ticket_gets_an_arabic_prompt(stub: Stub) -> None:
    stub.script("أعد تعيين كلمة المرور من صفحة الدخول [1].")
    context = ReplyContext(question="نسيت كلمة المرور كيف أغيرها؟")
    draft = drafter_for(stub).draft("ar", "خالد", [hit()], abstained=False, link=LINK, context=context)
    assert draft.drafter == "openai-compatible"
    assert draft.text.startswith("مرحبًا خالد،\n\nأعد تعيين كلمة المرور من صفحة الدخول [1].\n\n[1] لمزيد من التفاصيل")
    assert "مع أطيب التحيات" in draft.text
    system, example, example_reply, user = stub.requests[0]["messages"]
    # Who the assistant is, then one short exchange showing a cited answer, all in Arabic.
    assert system["role"] == "system" and system["content"].startswith("أنت مساعد خدمة عملاء لمنزل، متجر إلكتروني.")
    assert example["role"] == "user" and example["content"].startswith("كتب العميل:")
    assert "المقاطع:\n\n[1] الإشعارات" in example["content"]
    assert example_reply["role"] == "assistant" and example_reply["content"].endswith("فقط [1].")
    assert user["role"] == "user" and user["content"].startswith("اكتب جواب رد يراجعه موظف")
    assert "اكتب بالعربية" in user["content"] and "Write in" not in user["content"]
    assert "لا تكتب تحية" in user["content"] and "خمس جمل قصيرة على الأكثر" in user["content"]
    assert "\n\nكتب العميل: نسيت كلمة المرور" in user["content"]
    assert "المقاطع:\n\n[1] إعادة تعيين كلمة المرور (العربية)\n" in user["content"]
    assert user["content"].endswith("اختم كل جملة برقم مقطعها بين قوسين: [1]، [2].")
    assert "خالد" not in user["content"]  # the greeting is the drafter's, the model is not asked for it


def test_an_arabic_model_reply_is_marked_to_read_right_in_the_mail(stub: Stub) -> None:
    """drafts41: a model line opening on "Visa" was laid out left to right by a dir="auto" mail, and "15 SAR" after
    Arabic read "SAR 15"; the grounded draft's marks (kb.bidi_text.rtl_ordered) apply to the model's text too."""
    stub.script("Visa أو Mastercard: تصل الرسوم إلى 15 SAR [1].")
    context = ReplyContext(question="نسيت كلمة المرور كيف أغيرها؟")
    draft = drafter_for(stub).draft("ar", "خالد", [hit()], abstained=False, link=LINK, context=context)
    assert draft.drafter == "openai-compatible"
    assert "\n\n\u200fVisa أو Mastercard: تصل الرسوم إلى \u200e15 SAR [1].\n\n" in draft.text


def test_the_acknowledgement_is_the_drafters_not_the_models(stub: Stub) -> None:
    """An angry repeat gets the grounded drafter's one sentence after the greeting; the model is not asked for it."""
    stub.script("Refunds take 5-10 business days [1].")
    context = ReplyContext(question="where is my refund", customer_messages=["Where is my refund?"], earlier_contacts=2)
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK, context=context)
    greeting, sorry, answer = draft.text.split("\n\n")[:3]
    assert greeting == "Hi Priya," and answer == "Refunds take 5-10 business days [1]."
    assert sorry == "I'm sorry this is your third message about this, and thank you for your patience."
    assert "sorry" not in json.dumps(stub.requests[0]["messages"]).lower()


def test_the_model_reads_the_answering_sections_cut_to_size(stub: Stub) -> None:
    """The answering section first, topped up to two passages (not every retrieved one), each cut at
    a line boundary to its budget: a 1.5B model lost the question in three whole chunks."""
    stub.script("Refunds take 5-10 business days [1].")
    long_lines = "\n".join(f"Line {n} about refunds to cards and wallets, in some detail." for n in range(40))
    answering = hit("refund-timing", "en", "Refunds take 5-10 business days.\n" + long_lines, 0.3,
                    title="Refund timing", anchor="how-long")
    others = [hit(f"other-{n}", "en", f"Delivery zones and fees {n}.\n" + long_lines, 0.2 - n / 100,
                  title=f"Delivery {n}") for n in range(3)]
    context = ReplyContext(question="how long does a refund take")
    drafter_for(stub).draft("en", "Priya", [answering, *others], False, link=LINK, context=context)
    user = stub.requests[0]["messages"][-1]["content"]
    assert "[1] Refund timing (English)\nRefunds take 5-10 business days." in user
    assert "[2] Delivery 0 (English)" in user and "[3]" not in user
    first, second = user.split("[1] Refund timing")[1].split("[2] Delivery 0")
    assert len(first) <= PASSAGE_CHARS[0] + 40 and first.rstrip().endswith(("detail.", "…"))
    assert len(second.split("\n\nWrite the answer now")[0]) <= PASSAGE_CHARS[1] + 40


def test_a_reply_cut_at_its_token_budget_keeps_its_cited_sentences(stub: Stub) -> None:
    stub.script(Reply("Refunds take 5-10 business days [1]. Card refunds show on the next st", finish_reason="length"))
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.drafter == "openai-compatible"
    assert draft.text.startswith("Hi Priya,\n\nRefunds take 5-10 business days [1].\n\n[1] More details")
    assert "next st" not in draft.text


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("The customer wrote: where is my refund [1]", "repeats the prompt"),
        ("[1] Refund timing\nRefunds take 5-10 business days [1].", "copies the numbered passages"),
        ("[1] Refund timng (English)\nRefunds take 5-10 business days [1].", "copies the numbered passages"),
        ("I ordered a kettle last week and the refund has still not arrived [1].", "repeats the customer's message"),
    ],
)
def test_a_reply_copying_its_prompt_back_falls_back(stub: Stub, reply: str, reason: str) -> None:
    """Small models answer a long prompt by echoing part of it, with a citation that passes the check."""
    stub.script(reply)
    context = ReplyContext(question="I ordered a kettle last week and the refund has still not arrived, why?")
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK, context=context)
    assert draft.fallback_from == "openai-compatible" and draft.detail == f"the reply {reason} instead of answering"


def test_a_reply_quoting_the_passage_is_an_answer(stub: Stub) -> None:
    stub.script("Refunds take 5-10 business days [1].")
    context = ReplyContext(question="how many business days does a refund take")
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK, context=context)
    assert draft.drafter == "openai-compatible"


def test_a_reply_cut_before_any_citation_falls_back(stub: Stub) -> None:
    stub.script(Reply("Refunds usually take a number of business days depending on", finish_reason="length"))
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.fallback_from == "openai-compatible" and "token budget before citing" in draft.detail


def test_english_passage_is_named_in_the_arabic_prompt(stub: Stub) -> None:
    stub.script("مرحبًا خالد، يصل المبلغ خلال 5-10 أيام عمل [1].")
    drafter_for(stub).draft("ar", "خالد", [PUBLIC], abstained=False, link=LINK)
    assert "[1] Refund timing (الإنجليزية)" in stub.requests[0]["messages"][-1]["content"]


def test_abstention_is_the_grounded_drafters_and_asks_no_model(stub: Stub) -> None:
    stub.script("Hi [1].")
    internal = hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.3, internal=True)
    drafter = drafter_for(stub)
    assert drafter.draft("en", "Priya", [PUBLIC], abstained=True, link=LINK).reason == "no_article"
    only_internal = drafter.draft("en", "Priya", [internal], abstained=False, link=LINK)
    assert only_internal.abstained and only_internal.reason == "internal_only"
    assert only_internal.drafter == "openai-compatible" and stub.requests == []


def test_model_finding_no_answer_where_the_grounded_rules_found_one_falls_back(stub: Stub) -> None:
    stub.script("NO_ANSWER")
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert not draft.abstained and draft.fallback_from == "openai-compatible"
    assert draft.detail == "the model found no answer in the passages"


def test_build_drafter_picks_the_llm_only_when_configured() -> None:
    assert isinstance(build_drafter(Settings.from_env({})), GroundedDrafter)
    env = {"KB_LLM_URL": "http://localhost:8080/", "KB_LLM_MODEL": "qwen", "KB_LLM_RETRIES": "0"}
    llm = build_drafter(Settings.from_env(env))
    assert isinstance(llm, OpenAICompatibleDrafter)
    assert llm.api_base == "http://localhost:8080/v1" and llm.model == "qwen" and llm.retries == 0
    given_v1 = build_drafter(Settings.from_env({"KB_LLM_URL": "http://localhost:11434/v1"}))
    assert isinstance(given_v1, OpenAICompatibleDrafter) and given_v1.api_base == "http://localhost:11434/v1"


def test_complete_is_the_public_model_call(stub: Stub) -> None:
    """The answer card calls `complete` with its own messages: same model, same timeout."""
    stub.script("An answer [1].")
    assert drafter_for(stub).complete([{"role": "user", "content": "hello"}]) == "An answer [1]."
    assert stub.requests[0]["messages"] == [{"role": "user", "content": "hello"}]


# --- the local GGUF drafter: llama-index's LlamaCPP (the optional `local-llm` extra) ---


def fake_llama_cpp_modules(monkeypatch: pytest.MonkeyPatch) -> Any:
    """llama-index's LlamaCPP and llama-cpp-python are the optional extra, not installed for tests:
    a llama-index CustomLLM stands in for LlamaCPP, recording how it was built and prompted."""
    from llama_index.core.base.llms.types import CompletionResponse, LLMMetadata
    from llama_index.core.bridge.pydantic import Field
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_completion_callback

    class FakeLlamaCPP(CustomLLM):
        reply: ClassVar[str] = "مرحبًا خالد، أعد تعيين كلمة المرور من صفحة الدخول [1]."
        built: ClassVar[list[dict]] = []
        prompts: ClassVar[list[str]] = []
        generate_kwargs: dict[str, Any] = Field(default_factory=dict)

        def __init__(self, **options: Any) -> None:
            super().__init__(messages_to_prompt=options.pop("messages_to_prompt"))
            self.generate_kwargs = options["generate_kwargs"]
            FakeLlamaCPP.built.append(options)

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata()

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            FakeLlamaCPP.prompts.append(prompt)
            assert self.generate_kwargs["stopping_criteria"](None, None) is False  # within the deadline
            return CompletionResponse(text=self.reply)

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            raise NotImplementedError

    class StoppingCriteriaList(list):
        def __call__(self, input_ids: object, logits: object) -> bool:
            return any(criterion(input_ids, logits) for criterion in self)

    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", types.SimpleNamespace(LlamaCPP=FakeLlamaCPP))
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(StoppingCriteriaList=StoppingCriteriaList))
    return FakeLlamaCPP


def test_local_gguf_drafter_uses_the_same_prompt_and_citation_check(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_llama_cpp_modules(monkeypatch)
    env = {"KB_LLM_GGUF": "/models/qwen.gguf", "KB_THREADS": "2", "KB_LLM_CONTEXT": "2048"}
    drafter = build_drafter(Settings.from_env(env))
    assert isinstance(drafter, LlamaCppDrafter)
    first = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    second = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert first.drafter == "llama-cpp" and first == second
    assert first.text.startswith("مرحبًا خالد،\n\nأعد تعيين كلمة المرور من صفحة الدخول [1].\n\n")  # our greeting
    assert len(fake.built) == 1  # loaded once
    options = fake.built[0]
    assert options["model_path"] == "/models/qwen.gguf" and options["temperature"] == 0
    assert options["context_window"] == 2048 and options["model_kwargs"] == {"n_threads": 2}
    assert "اكتب جواب رد يراجعه موظف" in fake.prompts[0] and "لغة الإشعارات" in fake.prompts[0]
    # An Arabic reply's budget (what a few sentences need), within KB_LLM_MAX_TOKENS.
    assert drafter.llm().generate_kwargs["max_tokens"] == REPLY_TOKENS["ar"]  # type: ignore[attr-defined]
    assert drafter.draft("en", "Priya", [PUBLIC], abstained=False, link=LINK).drafter == "llama-cpp"
    assert drafter.llm().generate_kwargs["max_tokens"] == REPLY_TOKENS["en"]  # type: ignore[attr-defined]
    monkeypatch.setattr(fake, "reply", "أعد تعيين كلمة المرور [4].")
    assert drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK).fallback_from == "llama-cpp"


def test_local_gguf_drafter_without_the_extra_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", None)  # import fails, as on a default install
    draft = LlamaCppDrafter("/models/qwen.gguf").draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert draft.drafter == "grounded" and "not installed" in draft.detail


# --- llama-index stays off the hot paths ---

HOT_PATH = """
import sys
from pathlib import Path
from copilot.engine import Engine
from kb.settings import Settings
from webapp.app import create_app
assert "llama_index" not in sys.modules, "imported by webapp.app / copilot.engine"
settings = Settings.from_env(content_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), llm_url="http://127.0.0.1:9")
with Engine(settings) as engine:
    engine.wire()
    assert type(engine.drafter).__name__ == "OpenAICompatibleDrafter"
    results = engine.retriever.search("refund", lang="en").results
    assert results, "the search found nothing"
loaded = sorted(name for name in sys.modules if name.startswith(("llama_index", "openai")))
print(len(results), loaded)
"""


def test_importing_the_app_and_searching_never_loads_llama_index(indexed: Engine) -> None:
    """A fresh interpreter (this one may have imported llama-index for other tests) wires the app's
    engine with an LLM configured and runs a real search over the indexed slice."""
    indexed.close()  # one process per qdrant-edge data directory
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", HOT_PATH, str(indexed.settings.content_dir), str(indexed.settings.data_dir)],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    count, loaded = run.stdout.strip().split(" ", 1)
    assert int(count) > 0 and loaded == "[]"


def _names(messages: Sequence[dict[str, str]]) -> list[str]:
    return [message["role"] for message in messages]


def test_prompt_is_system_then_user() -> None:
    messages = OpenAICompatibleDrafter("http://127.0.0.1:9", "tiny").messages("en", [PUBLIC], "refund?")
    assert _names(messages) == ["system", "user", "assistant", "user"] and "Write in English" in messages[3]["content"]
    assert "\n\nThe customer wrote: refund?\n\nPassages:\n\n[1]" in messages[3]["content"]
    assert messages[1]["content"].startswith("The customer wrote: ") and messages[2]["content"].startswith("You can")
    # Abstaining is the grounded rules' call, made before the model is asked: no way out is offered.
    assert "NO_ANSWER" not in json.dumps(messages)


def test_a_model_telling_the_customer_to_contact_support_loses_that_sentence(stub: Stub) -> None:
    """The reply is support: "contact us" is a brush-off there (issue #17), from the model as from an article."""
    stub.script("Refunds take 5-10 business days [1]. You can get it faster by contacting Manzil directly [1].")
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.drafter == "openai-compatible"
    assert draft.text.startswith("Hi Priya,\n\nRefunds take 5-10 business days [1].\n\n[1] More details")
    assert "contacting" not in draft.text


def test_a_model_reply_that_only_says_contact_support_falls_back(stub: Stub) -> None:
    stub.script("Please contact our support team about your refund [1].")
    draft = drafter_for(stub).draft("en", "Priya", [PUBLIC], False, link=LINK)
    assert draft.fallback_from == "openai-compatible"
    assert draft.detail == "the reply tells the customer to contact support"
    assert draft.text.startswith("Hi Priya,\n\nRefunds take 5-10 business days.")
