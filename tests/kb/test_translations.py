import os
import subprocess
from pathlib import Path

import yaml

from kb.articles import load_article
from kb.parsing import parse_source
from kb.translations import (
    INTRODUCTION,
    TranslationStatus,
    body_hash,
    set_front_matter_key,
    stamp_translations,
    translation_status,
)
from tests.kb.test_articles import write

SOURCE = """---
id: returns
title: Start a return
lang: en
---
Start a return from the order page.

## Pickup fee

Change of mind: 15 SAR.

## Get the item ready

Pack the item in its box.
"""
TRANSLATION = """---
id: returns
title: كيف أُرجع منتجًا؟
lang: ar
---
ابدأ الإرجاع من صفحة الطلب.

## رسوم الاستلام

تغيّر الرأي: 15 ريالًا.

## جهّز المنتج

ضع المنتج في عبوته.
"""


def by_key(statuses: list[TranslationStatus]) -> dict[str, TranslationStatus]:
    return {f"{s.lang}/{s.id}": s for s in statuses}


def git(repo: Path, *args: str) -> None:
    """Git isolated from the machine's configuration, so a signing or hook setting cannot interfere."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=Writer", "-c", "user.email=writer@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, env=env)


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_stamped_translation_is_up_to_date_and_load_article_keeps_the_key(tmp_path: Path) -> None:
    write(tmp_path, "en/returns/returns.md", SOURCE)
    translation = write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    assert stamp_translations(tmp_path) == [translation]
    assert stamp_translations(tmp_path) == []  # already current: files untouched
    statuses = by_key(translation_status(tmp_path))
    source_hash = body_hash(parse_source(SOURCE).blocks)
    assert statuses["en/returns"].status == "source"
    assert statuses["ar/returns"] == TranslationStatus(
        "returns", "ar", "up-to-date", "ar/returns/returns.md", "en/returns/returns.md", source_hash, source_hash
    )
    assert load_article(translation, tmp_path).extra == {"translated_from": source_hash}


def test_stamping_adds_one_line_and_changes_nothing_else(tmp_path: Path) -> None:
    path = write(tmp_path, "ar/a/x.md", TRANSLATION.replace("\n", "\r\n").replace("lang: ar", "lang: ar  # kept"))
    before = path.read_bytes()
    assert set_front_matter_key(path, "translated_from", "abc")
    after = path.read_bytes()
    assert after == before.replace(b"lang: ar  # kept\r\n---", b"lang: ar  # kept\r\ntranslated_from: abc\r\n---")
    assert set_front_matter_key(path, "translated_from", "def")
    assert path.read_bytes() == after.replace(b"abc", b"def")


def test_a_hash_yaml_would_read_as_a_number_is_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "ar/a/x.md", TRANSLATION)
    set_front_matter_key(path, "translated_from", "123456789012")
    assert 'translated_from: "123456789012"' in path.read_text(encoding="utf-8")
    assert load_article(path, tmp_path).extra["translated_from"] == "123456789012"
    assert yaml.safe_load("x: 0123456789ab")["x"] == "0123456789ab"  # letters: left plain


def test_missing_translation_and_the_source_of_a_one_language_article(tmp_path: Path) -> None:
    write(tmp_path, "ar/delivery/ramadan.md", TRANSLATION.replace("id: returns", "id: ramadan"))
    statuses = by_key(translation_status(tmp_path))
    assert statuses["ar/ramadan"].status == "source"
    assert statuses["en/ramadan"] == TranslationStatus(
        "ramadan", "en", "missing", None, "ar/delivery/ramadan.md", source_hash=statuses["en/ramadan"].source_hash
    )


def test_source_is_the_article_without_translated_from_whatever_its_language(tmp_path: Path) -> None:
    write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    write(tmp_path, "en/returns/returns.md", SOURCE.replace("lang: en", "lang: en\ntranslated_from: 0123456789ab"))
    statuses = by_key(translation_status(tmp_path))
    assert (statuses["ar/returns"].status, statuses["en/returns"].status) == ("source", "stale")


def test_unstamped_translation_is_untracked_and_stamping_starts_tracking(tmp_path: Path) -> None:
    write(tmp_path, "en/returns/returns.md", SOURCE)
    write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    assert by_key(translation_status(tmp_path))["ar/returns"].status == "untracked"
    stamp_translations(tmp_path)
    assert by_key(translation_status(tmp_path))["ar/returns"].status == "up-to-date"


def test_stale_translation_lists_changed_sections_from_git_history(tmp_path: Path) -> None:
    repo, content = tmp_path, tmp_path / "content"  # content is a folder of the repository, as in this project
    git(repo, "init", "-q")
    source = write(content, "en/returns/returns.md", SOURCE)
    write(content, "ar/returns/returns.md", TRANSLATION)
    stamp_translations(content)
    commit_all(repo, "returns, translated")
    edited = SOURCE.replace("15 SAR.", "20 SAR.").replace("## Get the item ready", "## Prepare the item")
    source.write_text(edited + "\n## Follow your return\n\nThe order page shows it.\n", encoding="utf-8")
    commit_all(repo, "new pickup fee")
    source.write_text(source.read_text(encoding="utf-8").replace("order page.", "orders page."), encoding="utf-8")

    status = by_key(translation_status(content))["ar/returns"]

    assert status.status == "stale"
    assert status.changed_sections == (
        INTRODUCTION,  # uncommitted edit: the current file is compared, not HEAD
        "Pickup fee",
        "Prepare the item",
        "Follow your return",
        "Get the item ready",  # renamed away: its translation has to go too
    )


def test_stale_translation_outside_git_has_no_section_list(tmp_path: Path) -> None:
    source = write(tmp_path, "en/returns/returns.md", SOURCE)
    write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    stamp_translations(tmp_path)
    source.write_text(SOURCE.replace("15 SAR.", "20 SAR."), encoding="utf-8")
    status = by_key(translation_status(tmp_path))["ar/returns"]
    assert (status.status, status.changed_sections) == ("stale", None)
    assert status.as_json()["changed_sections"] is None


def test_reflowed_source_is_not_a_new_version(tmp_path: Path) -> None:
    source = write(tmp_path, "en/returns/returns.md", SOURCE)
    write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    stamp_translations(tmp_path)
    source.write_text(SOURCE.replace("Start a return from", "Start a return\nfrom"), encoding="utf-8")
    assert by_key(translation_status(tmp_path))["ar/returns"].status == "up-to-date"


def test_a_blanket_stamp_never_hides_a_stale_translation(tmp_path: Path) -> None:
    source = write(tmp_path, "en/returns/returns.md", SOURCE)
    translation = write(tmp_path, "ar/returns/returns.md", TRANSLATION)
    stamp_translations(tmp_path)
    source.write_text(SOURCE.replace("15 SAR.", "20 SAR."), encoding="utf-8")
    assert stamp_translations(tmp_path) == []
    assert stamp_translations(tmp_path, ids=["returns"]) == [translation]
    assert by_key(translation_status(tmp_path))["ar/returns"].status == "up-to-date"
