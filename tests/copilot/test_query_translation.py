"""The query's translation in the missing-translation fallback (LEVERS["query_translation"], copilot.query_translation),
and the articles' titles translated ahead of time (LEVERS["translated_titles"], copilot.title_translations).

An Arabic question over English-only articles: with the lever on and a translator, the translation is also
searched over the English articles as an English query is, fused with the cross-lingual sources. Real models, a
real index of English-only demo articles; the translators are fakes (what a model would say, fixed here), and a
failing or slow one must leave the ranking exactly as without the lever.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.engine import Engine
from copilot.query_translation import CachedTranslations, ModelTranslator, cleaned, translation_messages
from copilot.retrieval import LEVERS
from copilot.title_translations import TitleTranslations, title_messages
from kb.settings import Settings
from tests.conftest import CONTENT, indexed_engine

# Arabic questions whose first result across languages is another page, with the English a model gives for them.
WHERE_IS_MY_ORDER = ("وين وصل طلبي", "where is my order", "track-order", "failed-payment")
WRONG_ITEM = ("جاني غرض غلط", "I received the wrong item", "missing-or-wrong-item", "failed-payment")


class Fixed:
    """A translator that knows some queries' translations (and its confidence in them, the same for all)."""

    def __init__(self, *pairs: tuple[str, str, str, str], confidence: float | None = None) -> None:
        self.asked: list[tuple[str, str, str]] = []
        self.known = {query: english for query, english, _, _ in pairs}
        self.sure = confidence

    def translate(self, query: str, source: str, target: str) -> str | None:
        self.asked.append((query, source, target))
        return self.known.get(query)

    def confidence(self, query: str, source: str, target: str) -> float | None:
        return self.sure if query in self.known else None


class Broken:
    def translate(self, query: str, source: str, target: str) -> str | None:
        raise ConnectionError("the model's server went away")

    def confidence(self, query: str, source: str, target: str) -> float | None:
        raise ConnectionError("the model's server went away")


@pytest.fixture(scope="module")
def english_only(tmp_path_factory: pytest.TempPathFactory, embedders: list) -> Iterator[Engine]:
    """The demo's English account, payment and order articles, and no Arabic article."""
    root = tmp_path_factory.mktemp("english-only")
    for folder in ("account", "payments", "orders"):
        for page in (CONTENT / "en" / folder).glob("*.md"):
            target = root / "content" / "en" / folder / page.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(page, target)
    for name in ("_categories.yml", "_theme.yml"):
        shutil.copy2(CONTENT / name, root / "content" / name)
    for engine in indexed_engine(Settings(content_dir=root / "content", data_dir=root / "data"), embedders):
        engine.retriever.refresh_views()
        engine.retriever.wait_for_views()
        yield engine


def _ranked(engine: Engine, query: str) -> list[tuple[str, float]]:
    return [(hit.id, round(hit.score, 9)) for hit in engine.retriever.search(query, lang="ar").results]


@pytest.mark.parametrize("case", [WHERE_IS_MY_ORDER, WRONG_ITEM])
def test_the_translation_moves_the_answer_first_only_with_the_lever(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch, case: tuple[str, str, str, str]
) -> None:
    query, _, answer, first_without = case
    retriever = english_only.retriever
    translator = Fixed(case)
    monkeypatch.setattr(retriever, "translator", translator)
    monkeypatch.setitem(LEVERS, "query_translation", False)
    off = _ranked(english_only, query)
    assert off[0][0] == first_without and answer in [key for key, _ in off[:3]]
    assert translator.asked == []  # the lever off asks no model
    monkeypatch.setitem(LEVERS, "query_translation", True)
    on = _ranked(english_only, query)
    assert on[0][0] == answer
    assert translator.asked == [(query, "ar", "en")]


@pytest.mark.parametrize("plain", [False, True])
def test_the_confident_lever_searches_a_translation_only_when_its_confidence_passes(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch, plain: bool
) -> None:
    """Flipped alone or with "query_translation" on: a confident translation moves the answer first as the plain
    lever does; a doubtful one, or one of unknown confidence, ranks exactly as no translation."""
    query, _, answer, _ = WHERE_IS_MY_ORDER
    retriever = english_only.retriever
    monkeypatch.setitem(LEVERS, "query_translation", False)
    monkeypatch.setitem(LEVERS, "query_translation_confident", False)
    off = _ranked(english_only, query)
    monkeypatch.setitem(LEVERS, "query_translation", plain)
    monkeypatch.setitem(LEVERS, "query_translation_confident", True)
    monkeypatch.setattr(retriever, "min_translation_confidence", -0.5)
    monkeypatch.setattr(retriever, "translator", Fixed(WHERE_IS_MY_ORDER, confidence=-0.2))
    assert _ranked(english_only, query)[0][0] == answer
    for doubtful in (Fixed(WHERE_IS_MY_ORDER, confidence=-0.9), Fixed(WHERE_IS_MY_ORDER)):
        monkeypatch.setattr(retriever, "translator", doubtful)
        assert _ranked(english_only, query) == off
        assert doubtful.asked == [(query, "ar", "en")]
    monkeypatch.setattr(retriever, "min_translation_confidence", -1.0)  # the threshold is the retriever's
    monkeypatch.setattr(retriever, "translator", Fixed(WHERE_IS_MY_ORDER, confidence=-0.9))
    assert _ranked(english_only, query)[0][0] == answer
    unscored = ModelTranslator(lambda messages, tokens: "where is my order", 5.0)  # a drafter: no confidence
    monkeypatch.setattr(retriever, "translator", unscored)
    assert _ranked(english_only, query) == off
    unscored.close()
    monkeypatch.setattr(retriever, "translator", Broken())
    assert _ranked(english_only, query) == off


def test_no_translation_or_no_translator_ranks_as_without_the_lever(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = WHERE_IS_MY_ORDER[0]
    retriever = english_only.retriever
    monkeypatch.setitem(LEVERS, "query_translation", False)
    off = _ranked(english_only, query)
    monkeypatch.setitem(LEVERS, "query_translation", True)
    monkeypatch.setattr(retriever, "translator", None)
    assert _ranked(english_only, query) == off
    monkeypatch.setattr(retriever, "translator", Fixed(WRONG_ITEM))  # knows another query only
    assert _ranked(english_only, query) == off


def test_a_failing_translator_changes_nothing(english_only: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    query = WHERE_IS_MY_ORDER[0]
    monkeypatch.setitem(LEVERS, "query_translation", False)
    off = _ranked(english_only, query)
    monkeypatch.setitem(LEVERS, "query_translation", True)
    monkeypatch.setattr(english_only.retriever, "translator", Broken())
    assert _ranked(english_only, query) == off
    failing = ModelTranslator(lambda messages, tokens: (_ for _ in ()).throw(TimeoutError("read timed out")), 5.0)
    monkeypatch.setattr(english_only.retriever, "translator", failing)
    assert _ranked(english_only, query) == off
    failing.close()


def test_a_slow_model_is_not_waited_for_and_its_late_reply_serves_the_next_search(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    query, english, answer, _ = WHERE_IS_MY_ORDER
    release, answered = threading.Event(), threading.Event()
    calls: list[list[dict[str, str]]] = []

    def slow(messages: list[dict[str, str]], max_tokens: int) -> str:
        calls.append(messages)
        release.wait(30)  # held until the search has come back without it
        return english

    translator = ModelTranslator(slow, timeout=0.01)
    monkeypatch.setitem(LEVERS, "query_translation", False)
    off = _ranked(english_only, query)
    monkeypatch.setitem(LEVERS, "query_translation", True)
    monkeypatch.setattr(english_only.retriever, "translator", translator)
    assert _ranked(english_only, query) == off  # searched without the translation, not waiting for it
    assert not release.is_set()
    future = translator._pending[(query, "ar", "en")]
    future.add_done_callback(lambda _: answered.set())
    release.set()
    assert answered.wait(30)
    assert _ranked(english_only, query)[0][0] == answer  # the reply was cached for the next search
    assert len(calls) == 1 and calls[0] == translation_messages(query, "en")
    translator.close()


def test_the_model_is_asked_once_per_query_and_language() -> None:
    calls: list[str] = []

    def complete(messages: list[dict[str, str]], max_tokens: int) -> str:
        calls.append(messages[-1]["content"])
        return '"Where is my order?"\nThis asks about tracking.'

    translator = ModelTranslator(complete, timeout=5.0)
    assert translator.translate("وين طلبي", "ar", "en") == "Where is my order?"
    assert translator.translate("وين طلبي", "ar", "en") == "Where is my order?"
    assert calls == ["وين طلبي"]
    translator.close()


def test_a_reply_that_is_no_translation_is_none() -> None:
    assert cleaned("  «Reset my password»  ", "ابي اغير الباسورد") == "Reset my password"
    assert cleaned("", "وين طلبي") is None
    assert cleaned("Teams", "teams") is None  # the query back
    assert cleaned("To track an order, open the app and " + "tap Orders " * 20, "وين طلبي") is None  # an answer
    assert "English" in translation_messages("وين طلبي", "en")[0]["content"]
    assert "Arabic" in translation_messages("where is my order", "ar")[0]["content"]


def test_cached_translations_are_read_by_query_and_direction(tmp_path: Path) -> None:
    path = tmp_path / "translations.jsonl"
    path.write_text(
        '{"query": "وين طلبي", "source": "ar", "target": "en", "translation": "where is my order"}\n'
        '{"query": "refund", "source": "en", "target": "ar", "translation": null}\n',
        "utf-8",
    )
    cached = CachedTranslations.load(path)
    assert cached.translate("وين طلبي", "ar", "en") == "where is my order"
    assert cached.translate("وين طلبي", "ar", "fr") is None
    assert cached.translate("refund", "en", "ar") is None
    assert cached.confidence("وين طلبي", "ar", "en") is None  # not scored
    path.write_text('{"query": "x", "source": "ar", "target": "en"}\n{"query": "y"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"translations\.jsonl:2"):
        CachedTranslations.load(path)


def test_cached_translations_carry_their_confidence(tmp_path: Path) -> None:
    path = tmp_path / "scored.jsonl"
    path.write_text(
        '{"query": "وين طلبي", "source": "ar", "target": "en", "translation": "What do you want?", '
        '"confidence": -1.25, "min_logprob": -4.1}\n'
        '{"query": "refund", "source": "en", "target": "ar", "translation": "استرداد", "confidence": -0.1}\n'
        '{"query": "fail", "source": "en", "target": "ar", "translation": null, "confidence": null}\n',
        "utf-8",
    )
    cached = CachedTranslations.load(path)
    assert cached.confidence("وين طلبي", "ar", "en") == -1.25
    assert cached.confidence("refund", "en", "ar") == -0.1
    assert cached.confidence("refund", "ar", "en") is None
    for bad in ('"high"', "true"):
        path.write_text(
            '{"query": "a", "source": "ar", "target": "en", "translation": "b", "confidence": -0.3}\n'
            f'{{"query": "x", "source": "ar", "target": "en", "translation": "y", "confidence": {bad}}}\n',
            "utf-8",
        )
        with pytest.raises(ValueError, match=r"scored\.jsonl:2: confidence is not a number"):
            CachedTranslations.load(path)


# LEVERS["translated_titles"] (copilot.title_translations): the English articles' titles translated into Arabic ahead
# of time speak for them to an Arabic question. The "model's" translations here are the demo's own Arabic titles.
def _demo_title_translations(tmp_path: Path) -> Path:
    rows = []
    for page in sorted((CONTENT / "en").rglob("*.md")):
        twin = CONTENT / "ar" / page.relative_to(CONTENT / "en")
        if twin.is_file():
            rows.append({"title": _title(page), "source": "en", "target": "ar", "translation": _title(twin)})
    path = tmp_path / "title_translations.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    return path


def _title(page: Path) -> str:
    line = next(line for line in page.read_text("utf-8").splitlines() if line.startswith("title:"))
    return line.removeprefix("title:").strip().strip("\"'")


def _translated_titles(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setitem(LEVERS, "translated_titles", on)
    monkeypatch.setitem(LEVERS, "translated_title_ranks", on)


def _top(engine: Engine, query: str) -> list[str]:
    return [hit.id for hit in engine.retriever.search(query, lang="ar").results[:3]]



@pytest.mark.parametrize(
    ("query", "answer"),
    [("وين وصل طلبي", "track-order"), ("نسيت كلمة السر", "reset-password"), ("التقسيط", "instalments-splitpay")],
)
def test_translated_titles_move_the_answer_first_only_with_the_lever(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, query: str, answer: str
) -> None:
    retriever = english_only.retriever
    monkeypatch.setattr(retriever, "title_translations", TitleTranslations.load(_demo_title_translations(tmp_path)))
    _translated_titles(monkeypatch, False)
    assert _top(english_only, query)[0] != answer
    _translated_titles(monkeypatch, True)
    assert _top(english_only, query)[0] == answer


class BrokenTitles(TitleTranslations):
    def translate(self, title: str, source: str, target: str) -> str | None:
        raise OSError("the cache file went away")


def test_no_cache_an_empty_one_or_a_failing_one_ranks_as_without_the_lever(
    english_only: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    retriever = english_only.retriever
    _translated_titles(monkeypatch, False)
    expected = _ranked(english_only, "وين وصل طلبي")
    _translated_titles(monkeypatch, True)
    for titles in (None, TitleTranslations({}), BrokenTitles({})):
        monkeypatch.setattr(retriever, "title_translations", titles)
        assert _ranked(english_only, "وين وصل طلبي") == expected


def test_title_translations_are_read_by_title_and_direction(tmp_path: Path) -> None:
    path = tmp_path / "titles.jsonl"
    rows = [
        {"title": "Track your order", "source": "en", "target": "ar", "translation": "تتبع طلبك"},
        {"title": "Cancel an order", "source": "en", "target": "ar", "translation": None},
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n", "utf-8")
    titles = TitleTranslations.load(path)
    assert titles.translate("Track your order", "en", "ar") == "تتبع طلبك"
    assert titles.translate("Track your order", "ar", "en") is None
    assert titles.translate("Track your orders", "en", "ar") is None  # an edited title is translated again
    assert titles.translate("Cancel an order", "en", "ar") is None
    path.write_text(path.read_text("utf-8") + '{"title": "x"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"titles.jsonl:4: not a title translation row"):
        TitleTranslations.load(path)


def test_the_title_chat_names_the_target_language() -> None:
    messages = title_messages("Track your order", "ar")
    assert "into Arabic" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "Track your order"}
