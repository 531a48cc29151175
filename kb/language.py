"""Which language a piece of text is in, among the languages the help center ships.

A Unicode-script check decides first: it is exact for the scripts we ship and it is what works on
two-word queries. langdetect only breaks ties inside one script, and then it is seeded (it is random
otherwise) and loaded with only the shipped profiles, because unrestricted it calls "refund" Danish
and "استرداد" Persian.
"""

from __future__ import annotations

import re
import threading
from importlib import resources

from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from kb.settings import SHIPPED_LANGUAGES

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"\w+")
_SCRIPT_OF = {"ar": _ARABIC, "en": _LATIN}

_factory_lock = threading.Lock()
_factories: dict[tuple[str, ...], DetectorFactory] = {}


def script_counts(text: str) -> dict[str, int]:
    return {lang: len(pattern.findall(text)) for lang, pattern in _SCRIPT_OF.items()}


def detect_language(text: str, languages: tuple[str, ...] = SHIPPED_LANGUAGES, default: str = "en") -> str:
    """Return the shipped language `text` is most likely written in.

    Mixed Arabic-English queries ("كيف اعمل reset للباسورد") count as Arabic as soon as Arabic
    letters make up a fair share, because the customer's words around the borrowed term are Arabic.
    """
    counts = {lang: n for lang, n in script_counts(text).items() if lang in languages and n}
    if not counts:
        return default if default in languages else languages[0]
    if len(counts) == 1:
        (script_lang,) = counts
        latin = [lang for lang in languages if lang != "ar"]
        if script_lang == "ar" or len(latin) == 1:
            return script_lang
        return _langdetect(text, tuple(latin)) or script_lang
    # Mixed scripts: Arabic speakers borrow English terms ("رسوم delivery"), English speakers
    # rarely type Arabic, so a third of the words in Arabic script makes the query Arabic.
    words = _WORD.findall(text)
    arabic_words = sum(1 for word in words if _ARABIC.search(word))
    if "ar" in counts and arabic_words * 3 >= len(words):
        return "ar"
    detected = _langdetect(text, languages)
    if detected is not None:
        return detected
    return max(counts, key=lambda lang: counts[lang])


def _langdetect(text: str, languages: tuple[str, ...]) -> str | None:
    factory = _factory_for(languages)
    detector = factory.create()
    detector.append(text)
    try:
        return str(detector.detect())
    except LangDetectException:
        return None


def _factory_for(languages: tuple[str, ...]) -> DetectorFactory:
    with _factory_lock:
        factory = _factories.get(languages)
        if factory is None:
            factory = DetectorFactory()
            profiles = resources.files("langdetect") / "profiles"
            factory.load_json_profile([(profiles / lang).read_text("utf-8") for lang in languages])
            factory.set_seed(0)
            _factories[languages] = factory
        return factory
