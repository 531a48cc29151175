"""Bidi controls in customer text are dropped where no markup can isolate them (issue #12, session 13).

Before: a customer named "\\u202eSam" got a draft and a macro starting "Hi \\u202eSam," (the comma and the
rest of the line reordered), "\\u202e Sam" was greeted as a lone override, and a macro title with an
override reversed its <datalist> choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.drafts import GroundedDrafter
from kb.bidi_text import BIDI_CONTROLS, balanced_bidi, without_bidi_controls
from kb.macros import load_macro
from kb.message_text import first_name
from tests.copilot.test_drafts import LINK, hit

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_every_control_the_brief_names_is_dropped_and_nothing_else() -> None:
    assert set(CONTROLS) == BIDI_CONTROLS
    assert without_bidi_controls(f"S{CONTROLS}am") == "Sam"
    kept = "عمر\u200c خالد Zoë 😀 \t"  # letters, ZERO WIDTH NON-JOINER, emoji, whitespace
    assert without_bidi_controls(kept) == kept


@pytest.mark.parametrize(("name", "first"), [("\u202eSam Lee", "Sam"), ("\u202e Sam", "Sam"), ("\u2067", ""),
                                             ("  ", ""), ("عمر\u200f خالد", "عمر")])
def test_a_first_name_has_no_controls_and_is_never_a_lone_control(name: str, first: str) -> None:
    assert first_name(name) == first


def test_the_drafts_greeting_drops_controls_from_the_name() -> None:
    passage = hit("apple-pay", "en", "- Add a card to Wallet.", title="Pay with Apple Pay")
    draft = GroundedDrafter().draft("en", "\u202eSam\u2066", [passage], abstained=False, link=LINK)
    assert draft.text.startswith("Hi Sam,\n")
    anonymous = GroundedDrafter().draft("en", "\u202e\u200f", [passage], abstained=False, link=LINK)
    assert anonymous.text.startswith("Hi,\n")


def test_a_macros_placeholders_drop_controls_from_customer_values(tmp_path: Path) -> None:
    path = tmp_path / "_macros" / "en" / "hello.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: Hello\n---\nHello {{ customer.name }}, about {{ ticket.subject }}.\n", "utf-8")
    macro = load_macro(path, tmp_path)
    rendered = macro.render({"customer.name": "\u202eSam", "ticket.subject": "\u2067Refund\u200e"})
    assert rendered == "Hello Sam, about Refund."


def test_an_agents_own_name_drops_controls_in_the_drafts_signature() -> None:
    """Session 14: the agent's own name reached the signature unchanged ("Best regards,\\n\\u202eOmar" reversed the
    line under it in a plain-text mail). Names saved before the desk cleaned them still reach drafts."""
    from copilot.drafts import ReplyContext, signed_by

    passage = hit("apple-pay", "en", "- Add a card to Wallet.", title="Pay with Apple Pay")
    context = ReplyContext(agent_name="\u202eOmar\u2066", team_name="\u2067Manzil\u200f team")
    draft = GroundedDrafter().draft("en", "Sam", [passage], abstained=False, link=LINK, context=context)
    assert draft.text.endswith("Best regards,\nOmar\nManzil team")
    assert signed_by(draft.text, "\u202bSara\u200e  Haddad").endswith("Best regards,\nSara Haddad\nManzil team")
    assert signed_by(draft.text, "\u202e\u200f").endswith("Best regards,\nManzil team")


@pytest.mark.parametrize(("text", "paired"), [
    ("Sam", "Sam"), ("\u202eSam", "\u202eSam\u202c"), ("Sam\u2069\u202e evil", "Sam\u202e evil\u202c"),
    ("\u2066Sam", "\u2066Sam\u2069"), ("\u2067\u202bSam\u2069 x", "\u2067\u202bSam\u2069 x"),
    ("\u202c\u2069Sam", "Sam"), ("\u2066\u202cSam", "\u2066Sam\u2069"),
    ("\u202a\u2068\u202c\u2069\u202c", "\u202a\u2068\u2069\u202c"),
])
def test_balanced_bidi_drops_stray_closers_and_closes_what_is_open(text: str, paired: str) -> None:
    """UAX #9's matching: a PDF never closes across an isolate, a PDI closes its isolate and the embeddings inside."""
    assert balanced_bidi(text) == paired
