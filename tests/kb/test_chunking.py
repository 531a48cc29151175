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
