"""The model drafters: an OpenAI-compatible server on loopback (responses scripted) and a local
GGUF model's chat-completion shape; both keep the citation check and fall back to the grounded draft."""

from __future__ import annotations

import json
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from copilot.drafts import GroundedDrafter
from copilot.model_drafters import LlamaCppDrafter, OpenAICompatibleDrafter, build_drafter
from kb.settings import Settings
from tests.copilot.test_drafts import BASE, LINK, hit


@dataclass
class Stub:
    url: str
    reply: str = ""
    requests: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A local stand-in for an OpenAI-compatible server: records requests, answers `stub.reply`."""
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.requests.append({"path": self.path, **json.loads(self.rfile.read(length))})
            state.headers.append(dict(self.headers))
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": state.reply}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_llm_draft_citing_the_given_passages_is_used(stub: Stub) -> None:
    stub.reply = "Hi Priya, refunds take 5-10 business days [1]."
    internal = hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.26, internal=True)
    public = hit("refund-timing", "en", "Refunds take 5-10 business days.", 0.25, title="Refund timing")
    drafter = OpenAICompatibleDrafter(stub.url, "tiny", api_key="secret", timeout=5)
    draft = drafter.draft("en", "Priya", [internal, public], abstained=False, link=LINK)
    assert draft.drafter == "openai-compatible" and draft.fallback_from is None
    assert draft.citations == [f"{BASE}/en/articles/refund-timing"]
    assert draft.text.startswith(stub.reply)
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["model"] == "tiny"
    assert stub.headers[0]["Authorization"] == "Bearer secret"
    prompt = json.dumps(request["messages"], ensure_ascii=False)
    assert "[1] Refund timing" in prompt and "500 SAR" not in prompt  # internal passages never reach the model


@pytest.mark.parametrize(
    "reply", ["Refunds take 5-10 days [3].", "Refunds take 5-10 days.", "See [1] https://evil.example"]
)
def test_llm_draft_citing_anything_else_falls_back_to_the_grounded_draft(stub: Stub, reply: str) -> None:
    stub.reply = reply
    public = hit("refund-timing", "en", "Refunds take 5-10 business days.", 0.25, title="Refund timing")
    draft = OpenAICompatibleDrafter(stub.url, "tiny", timeout=5).draft("en", "Priya", [public], False, link=LINK)
    assert draft.drafter == "grounded" and draft.fallback_from == "openai-compatible" and draft.detail
    assert draft.text.startswith("Hi Priya,\n\nRefunds take 5-10 business days.")
    assert draft.citations == [f"{BASE}/en/articles/refund-timing"]


def test_unreachable_llm_server_falls_back() -> None:
    drafter = OpenAICompatibleDrafter("http://127.0.0.1:9", "tiny", timeout=2)
    draft = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert draft.fallback_from == "openai-compatible" and "did not answer" in draft.detail
    assert draft.text.startswith("مرحبًا خالد،")


def test_build_drafter_picks_the_llm_only_when_configured() -> None:
    assert isinstance(build_drafter(Settings.from_env({})), GroundedDrafter)
    llm = build_drafter(Settings.from_env({"KB_LLM_URL": "http://localhost:8080/", "KB_LLM_MODEL": "qwen"}))
    assert isinstance(llm, OpenAICompatibleDrafter)
    assert llm.endpoint == "http://localhost:8080/v1/chat/completions" and llm.model == "qwen"


class FakeLlama:
    """Stands in for llama_cpp.Llama (not installed here): the same chat-completion answer shape."""

    reply = "مرحبًا خالد، أعد تعيين كلمة المرور من صفحة الدخول [1]."
    loaded: ClassVar[list[dict]] = []

    def __init__(self, **options: object) -> None:
        FakeLlama.loaded.append(options)

    def create_chat_completion(self, messages: list[dict], **options: object) -> dict:
        return {"choices": [{"message": {"role": "assistant", "content": self.reply}}]}


def test_local_gguf_drafter_uses_the_same_prompt_and_citation_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=FakeLlama))
    drafter = build_drafter(Settings.from_env({"KB_LLM_GGUF": "/models/qwen.gguf", "KB_THREADS": "2"}))
    assert isinstance(drafter, LlamaCppDrafter)
    first = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    second = drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert first.drafter == "llama-cpp" and first.text.startswith(FakeLlama.reply) and first == second
    assert FakeLlama.loaded == [{"model_path": "/models/qwen.gguf", "n_ctx": 4096, "n_threads": 2, "verbose": False}]
    monkeypatch.setattr(FakeLlama, "reply", "أعد تعيين كلمة المرور [4].")
    assert drafter.draft("ar", "خالد", [hit()], abstained=False, link=LINK).fallback_from == "llama-cpp"


def test_local_gguf_drafter_without_llama_cpp_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails, as on a default install
    draft = LlamaCppDrafter("/models/qwen.gguf").draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert draft.drafter == "grounded" and "not installed" in draft.detail
