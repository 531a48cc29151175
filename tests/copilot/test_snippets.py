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


def test_a_table_reads_as_sentences_in_snippets_and_an_arabic_one_reads_right() -> None:
    """drafts41: the agents' suggested passages and the acknowledgement mail showed "KSA | 19 SAR | 200 SAR",
    the results page "KSA · 19 SAR · 200 SAR" (which amount is which?)."""
    from copilot.retrieval import make_snippet as passage_snippet

    table = "Country | Standard | Express\nKSA | 19 SAR | 35 SAR\nUAE | 15 AED | 25 AED"
    page = make_snippet(table, "express fee", lang="en").text
    assert page == "KSA — Standard: 19 SAR; Express: 35 SAR. UAE — Standard: 15 AED; Express: 25 AED."
    assert passage_snippet(table, "express fee", "en") == (
        "- KSA — Standard: 19 SAR; Express: 35 SAR. - UAE — Standard: 15 AED; Express: 25 AED.")
    arabic = "طريقة الدفع | المدة\nVisa أو Mastercard | 5-10 أيام عمل\nmada | 3-7 أيام عمل"
    # the window opens on "Visa": without the mark a dir="auto" snippet is laid out left to right
    assert make_snippet(arabic, "الدفع", size=30, lang="ar").text == "\u200fVisa أو Mastercard: 5-10 …"
    shown = make_snippet(arabic, "mada", size=30, lang="ar")
    assert shown.text == "… عمل. \u200fmada: 3-7 أيام عمل." and shown.parts()[1] == ("mada", True)
    assert "|" not in passage_snippet(arabic, "مدى", "ar") and "\u200fmada" in passage_snippet(arabic, "مدى", "ar")
