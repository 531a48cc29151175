from pathlib import Path

from kb.articles import load_article
from kb.chunking import chunk_article


def article(tmp_path: Path, body: str, title: str = "Refunds"):
    path = tmp_path / "en" / "returns" / "refunds.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\n---\n{body}", encoding="utf-8")
    return load_article(path, tmp_path)


def test_chunks_follow_headings_with_paths_anchors_and_lines(tmp_path: Path) -> None:
    body = (
        "Intro sentence that is long enough to stand on its own as a chunk of the article. " * 3
        + "\n\n## Annual plans\n\n"
        + "Annual plans are refunded in full within 14 days of payment if no benefit was used. " * 3
        + "\n\n### Partial refunds\n\n"
        + "There are no partial refunds after the first 14 days, benefits stay until the end. " * 3
        + "\n"
    )
    chunks = chunk_article(article(tmp_path, body))
    assert [c.section for c in chunks] == ["", "Annual plans", "Annual plans > Partial refunds"]
    assert [c.anchor for c in chunks] == ["", "annual-plans", "partial-refunds"]
    assert chunks[1].line == 6
    assert chunks[2].embed_text.startswith("Refunds > Annual plans > Partial refunds\n\n")
    assert len({c.point_id for c in chunks}) == 3


def test_long_sections_split_and_tiny_ones_merge_upward(tmp_path: Path) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i}: " + "words that fill the section " * 12 for i in range(12))
    body = f"## Long\n\n{paragraphs}\n\n### Tiny\n\nShort note.\n"
    chunks = chunk_article(article(tmp_path, body), max_chars=1000, min_chars=160)
    long_chunks = [c for c in chunks if c.section == "Long"]
    assert len(long_chunks) > 1
    assert all(len(c.text) <= 1000 for c in chunks)
    assert "Tiny:\nShort note." in long_chunks[-1].text  # merged into its parent, heading kept as text
    assert not any(c.section == "Long > Tiny" for c in chunks)


def test_a_heading_with_no_text_of_its_own_is_searched_lexically_in_the_merged_chunk(tmp_path: Path) -> None:
    # an import's pattern (m365's country pages): the body's h1 says what the truncated title does not, and its
    # only text is a link list; the small sections under it merge upward, and their headings with them
    body = (
        "Learn how to contact support for your country or region.\n\n"
        "# Contact support in Rwanda\n\n[Find another country](../get-help-support.md).\n\n"
        "## Phone number\n\n+225 20 24 24 90\n\n## Hours\n\n### Billing support\n\nMon-Fri 10-6\n\n"
        "### Technical support\n\n24 hours a day\n"
    )
    chunks = chunk_article(article(tmp_path, body, title="Support information for Rwan"))
    assert len(chunks) == 1
    assert chunks[0].headings == ("Contact support in Rwanda", "Hours")
    assert "Contact support in Rwanda" in chunks[0].lexical_text
    # what the reader sees and the dense models embed is as before: each merged section's own heading
    assert "Rwanda" not in chunks[0].embed_text
    assert "Phone number:\n+225" in chunks[0].text and "Billing support:\nMon-Fri 10-6" in chunks[0].text


def test_headings_a_chunk_shows_are_not_repeated_for_lexical_search(tmp_path: Path) -> None:
    body = "## Annual plans\n\n" + "Annual plans are refunded within 14 days. " * 6 + "\n\n### Partial\n\nNone.\n"
    chunks = chunk_article(article(tmp_path, body))
    assert chunks[-1].text.endswith("Partial:\nNone.") and chunks[-1].headings == ()
    assert chunks[-1].lexical_text == chunks[-1].embed_text


def test_hash_is_stable_and_changes_with_the_text(tmp_path: Path) -> None:
    first = chunk_article(article(tmp_path, "## A\n\nSame text here for the chunk.\n"))
    again = chunk_article(article(tmp_path, "## A\n\nSame text here for the chunk.\n"))
    edited = chunk_article(article(tmp_path, "## A\n\nEdited text here for the chunk.\n"))
    assert first[0].content_hash == again[0].content_hash
    assert first[0].point_id == again[0].point_id
    assert first[0].content_hash != edited[0].content_hash


def test_link_lists_are_navigation_not_content(tmp_path: Path) -> None:
    body = (
        "## Refund times\n\nCards take 5 to 10 business days; see [the table](../x/y.md) for the rest of them.\n\n"
        "## Related articles\n\n- [Delivery fees](../delivery/delivery-fees.md)\n- [Cancel an order](../orders/c.md)\n"
    )
    chunks = chunk_article(article(tmp_path, body))
    assert [c.section for c in chunks] == ["Refund times"]
    assert "the table" in chunks[0].text and "Delivery fees" not in chunks[0].text
