from pathlib import Path

import pytest

from kb.articles import ArticleError, load_article, load_content


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_defaults_come_from_the_path_and_unknown_keys_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "en/orders/track-order.md", "---\ntitle: Track\nms.author: someone\n---\nWhere is it.\n")
    article = load_article(path, tmp_path)
    assert (article.id, article.lang, article.category, article.visibility) == ("track-order", "en", "orders", "public")
    assert article.extra == {"ms.author": "someone"}
    assert article.key == "en/track-order"


@pytest.mark.parametrize(
    ("relative", "text", "line", "fragment"),
    [
        ("en/a/bad-yaml.md", "---\ntitle: ok\ntags: [a, b\n---\nBody\n", 3, "not valid YAML"),
        ("en/a/no-title.md", "---\nid: x\ntags: [a]\n---\nBody\n", 1, "'title' is required"),
        ("ar/a/wrong-lang.md", "---\ntitle: T\nlang: en\n---\nBody\n", 3, "does not match the folder 'ar'"),
        ("en/a/bad-visibility.md", "---\ntitle: T\nvisibility: secret\n---\nBody\n", 3, "visibility must be"),
        ("en/a/bad-date.md", "---\ntitle: T\nupdated: yesterday\n---\nBody\n", 3, "not a date"),
        ("en/a/empty.md", "---\ntitle: T\n---\n\n## Only a heading\n", 4, "no text"),
        ("fr/a/unknown-lang.md", "---\ntitle: T\n---\nBody\n", 1, "language folder 'fr'"),
        ("en/too-shallow.md", "---\ntitle: T\n---\nBody\n", 1, "expected content/<lang>"),
    ],
)
def test_broken_articles_are_reported_with_path_and_line(
    tmp_path: Path, relative: str, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, relative, text)
    with pytest.raises(ArticleError) as caught:
        load_article(path, tmp_path)
    assert caught.value.path == relative
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"{relative}:{line}: ")


def test_unreadable_bytes_name_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "en/a/latin1.md", b"---\ntitle: T\n---\nline four\ncaf\xe9\n")
    with pytest.raises(ArticleError) as caught:
        load_article(path, tmp_path)
    assert caught.value.line == 5
    assert "not valid UTF-8" in caught.value.message


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, "en/a/good.md", "---\ntitle: Good\n---\nText.\n")
    write(tmp_path, "en/a/bad.md", "---\ntitle: [unclosed\n---\nText.\n")
    write(tmp_path, "en/b/dup.md", "---\nid: good\ntitle: Dup\n---\nText.\n")
    write(tmp_path, "_media/readme.md", "not an article")
    loaded = load_content(tmp_path)
    assert [a.key for a in loaded.articles] == ["en/good"]
    assert sorted(e.path for e in loaded.errors) == ["en/a/bad.md", "en/b/dup.md"]


def test_an_unreadable_path_is_an_error_naming_it_and_the_others_still_load(tmp_path: Path) -> None:
    """A dangling symlink, a folder named like an article, a file name that is not UTF-8: each raised out of
    load_content (FileNotFoundError, IsADirectoryError) and no article indexed, or (the name) reached the index
    and the pages as surrogate escapes. Each is now one error naming the path, and the rest load.
    (Permissions are the same OSError path; the suite runs as root, which reads any file.)"""
    import os

    write(tmp_path, "en/a/good.md", "---\ntitle: Good\n---\nText.\n")
    (tmp_path / "en" / "a" / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "en" / "a" / "folder.md").mkdir()
    write(tmp_path, os.fsdecode(b"en/a/caf\xe9.md"), "---\ntitle: Cafe\n---\nText.\n")
    loaded = load_content(tmp_path)
    assert [a.key for a in loaded.articles] == ["en/good"]
    problems = sorted((e.path, e.line, e.rule, e.message.split(":")[0]) for e in loaded.errors)
    assert problems == [
        ("en/a/caf\\xe9.md", 1, "front-matter", "the file name is not valid UTF-8 (byte 0xe9)"),
        ("en/a/dangling.md", 1, "front-matter", "the file cannot be read"),
        ("en/a/folder.md", 1, "front-matter", "the file cannot be read"),
    ]
    assert all(str(e).encode("utf-8") for e in loaded.errors)  # printable: no surrogate escapes
