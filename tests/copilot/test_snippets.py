from copilot.snippets import highlight_spans, make_snippet, plain_text


def marked(text: str, query: str) -> list[str]:
    return [text[a:b] for a, b in highlight_spans(text, query)]


def test_snippets_are_plain_text_without_markdown_markers() -> None:
    chunk = ("## Steps\n\n1. Open **Orders**.\n2. Choose *Return*.\n\n"
             "| Item | Days |\n|---|---|\n| Sofa | 30 |\n- Free pickup")
    text = plain_text(chunk)
    assert "|" not in text and "**" not in text and "##" not in text and "1." not in text and "- " not in text
    assert "Open Orders. Choose Return." in text and "Sofa · 30" in text


def test_the_window_is_centred_on_the_passage_with_the_query_words() -> None:
    chunk = "Intro words. " * 40 + "Refunds reach your card within 5 days of the refund approval. " + "Tail. " * 40
    snippet = make_snippet(chunk, "refund card", size=120)
    assert snippet.text.startswith("… ") and snippet.text.endswith(" …")
    assert "Refunds reach your card" in snippet.text
    assert [snippet.text[a:b] for a, b in snippet.marks] == ["Refunds", "card", "refund"]


def test_arabic_highlighting_matches_through_normalization_prefixes_and_endings() -> None:
    assert marked("يمكنك إرجاع المنتج، والإرجاع مجاني", "ارجع") == ["إرجاع", "والإرجاع"]
    assert marked("استرداد المبلغ إلى البطاقة", "المبالغ بطاقه") == ["البطاقة"]
    assert marked("how do I return an item", "how do I return") == ["return"]  # stop words are not marked


def test_a_longer_word_built_on_the_query_word_is_not_the_same_word() -> None:
    assert marked("Non-returnable items cannot be returned", "return item") == ["items", "returned"]
