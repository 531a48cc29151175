"""Hostile queries through the search (hostile39): /api/v1/search and the help center's search page with queries of
punctuation or diacritics only, digits only, right-to-left overrides, zero-width joiners, mixed scripts and one
longer than a search takes, in each language and detected, on the indexed slice (copilot.query_kind picks each
one's fusion weights). Each is an answer (results or none) or a 400 naming `q`, never a 500."""

from __future__ import annotations

import pytest
from flask import Flask

HOSTILE = ["?!.,;:", "؟؟؟ ،،", "\u064b\u064e\u0650\u0651", "1234567890", "١٢٣٤٥", "\u202erefund\u202c",
           "r\u200de\u200df\u200du\u200dn\u200dd", "كيف\u200cاسترد refund 退款 возврат", "password " * 300,
           "\u200b\u200c\u200d\u2060", "\u202e\u202e\u202e", "a"]


@pytest.mark.parametrize("lang", ["en", "ar", None])
def test_a_hostile_query_is_searched_or_refused_naming_q_never_a_500(app: Flask, lang: str | None) -> None:
    """A probe: no fault found (each query answered, the kind of each read without error)."""
    client = app.test_client()
    for query in HOSTILE:
        args = {"q": query, **({"lang": lang} if lang else {})}
        found = client.get("/api/v1/search", query_string=args)
        assert found.is_json and found.status_code in (200, 400), (query, lang, found.status_code)
        answer = found.get_json()
        if found.status_code == 400:
            assert answer["error"].startswith("q:"), (query, answer)
        else:
            assert isinstance(answer["results"], list), (query, answer)
        page = client.get(f"/{lang or 'en'}/search", query_string={"q": query})
        assert page.status_code in (200, 400), (query, lang, page.status_code)
