from kb.parsing import clean_foreign_syntax, parse_source


def test_front_matter_and_line_numbers_survive_a_bom() -> None:
    parsed = parse_source("\ufeff---\ntitle: T\n---\nIntro.\n\n## Section\n\nBody.\n")
    assert parsed.front_matter == "title: T"
    assert parsed.body_line == 4
    heading = next(b for b in parsed.blocks if b.kind == "heading")
    assert (heading.text, heading.line, heading.anchor) == ("Section", 6, "section")


def test_foreign_syntax_keeps_text_and_line_count() -> None:
    source = (
        "See [[delivery-fees|the fee table]] and [[Returns]].\n"
        "> [!NOTE]\n"
        "> Callout text\n"
        ':::image type="content" source="a.png" alt-text="Orders screen":::\n'
        ':::zone pivot="x":::\n'
        "[!INCLUDE [shared](../includes/x.md)]\n"
    )
    cleaned = clean_foreign_syntax(source)
    assert cleaned.count("\n") == source.count("\n")
    assert "the fee table" in cleaned and "Returns" in cleaned and "[[" not in cleaned
    assert "[!NOTE]" not in cleaned and "Callout text" in cleaned
    assert "Orders screen" in cleaned and ":::" not in cleaned and "INCLUDE" not in cleaned


def test_raw_html_becomes_text_and_lists_keep_their_numbers() -> None:
    parsed = parse_source(
        "<div class='x'>Call <b>us</b> &amp; wait</div>\n\n3. third\n4. fourth\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    texts = [b.text for b in parsed.blocks]
    assert "Call us & wait" in texts
    assert "3. third" in texts and "4. fourth" in texts
    assert "1 | 2" in texts
    assert not any("<" in t for t in texts)


def test_arabic_headings_get_unicode_anchors_and_duplicates_are_unique() -> None:
    parsed = parse_source("## طرق الدفع\n\nنص.\n\n## طرق الدفع\n\nنص آخر.\n")
    anchors = [b.anchor for b in parsed.blocks if b.kind == "heading"]
    assert anchors == ["طرق-الدفع", "طرق-الدفع-1"]
