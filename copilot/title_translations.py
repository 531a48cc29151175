"""Article titles machine-translated into the languages their article has no version in (LEVERS["translated_titles"]).

An Arabic question whose answer is an English-only article (and the reverse) is ranked by the missing-translation
fallback with cross-lingual evidence only (copilot.retrieval's `_missing_translations`): multilingual models and the
term table's bridge terms. Issue #18: session 30 translated the *query* with the local model, and dialect queries
translated badly. A title is the writer's clean, standard text, so it is translated once, ahead of time, into each
language that has no version of its article, and the translation speaks for the article in the question's language:
the lexical title credit of a same-language candidate (its title's terms that the question types) and the title's
USE rank among the translated titles, beside the cross-lingual evidence.

`TitleTranslations` is a JSONL cache of {"title", "source", "target", "translation", "hash"} rows (the hash is
`kb.chunking.text_hash` of the title: a title edited in the content is translated again, never read stale), written by
bench/title_translations.py with the local GGUF model. A row without a translation (the model's reply refused by
`copilot.query_translation.cleaned`) is no evidence.
"""

from __future__ import annotations

import json
from pathlib import Path

from copilot.query_translation import translation_messages
from kb.chunking import text_hash

# The chat's reply budget: titles are short (the longest m365 title, 120 characters, is about 40 tokens in Arabic).
MAX_TITLE_TOKENS = 64


def title_messages(title: str, target: str) -> list[dict[str, str]]:
    """The chat asked of the model for one article title."""
    return translation_messages(title, target, "article title")


class TitleTranslations:
    """Translated titles by (title hash, source language, target language)."""

    def __init__(self, rows: dict[tuple[str, str, str], str]) -> None:
        self.rows = rows

    @classmethod
    def load(cls, path: Path) -> TitleTranslations:
        rows: dict[tuple[str, str, str], str] = {}
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = (text_hash(str(row["title"])), str(row["source"]), str(row["target"]))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a title translation row ({error})") from error
            if row.get("translation"):
                rows[key] = str(row["translation"])
        return cls(rows)

    def translate(self, title: str, source: str, target: str) -> str | None:
        """`title` (in `source`) in `target`, or None when the cache has none."""
        return self.rows.get((text_hash(title), source, target))
