"""Settings: every field read from its variable, bad values named, and the README's table in step."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from kb.settings import Settings, SettingsError
from kb.settings_table import README, main, markdown_table, with_table


def test_every_variable_is_read_into_its_typed_field() -> None:
    settings = Settings.from_env({
        "KB_CONTENT_DIR": "/srv/content", "KB_EMBEDDERS": "e5, st ,", "KB_THREADS": "4",
        "KB_BASE_URL": "https://help.example/", "KB_RATE_LIMITS": "off", "KB_LLM_TIMEOUT": "2.5",
        "KB_GIT_CONTENT_DIR": "/srv/checkout/content", "KB_WEBHOOK_SECRET": "s", "QDRANT_URL": "",
    })
    assert settings.content_dir == Path("/srv/content") and settings.embedders == ("e5", "st")
    assert settings.threads == 4 and settings.llm_timeout == 2.5 and settings.rate_limits is False
    assert settings.base_url == "https://help.example" and settings.qdrant_url is None  # empty is unset
    assert settings.git_content_dir == Path("/srv/checkout/content") and settings.webhook_secret == "s"
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"KB_THREADS": "4"}, threads=8).threads == 8  # explicit overrides win


@pytest.mark.parametrize(
    ("variable", "value"), [("KB_THREADS", "two"), ("KB_RATE_LIMITS", "maybe"), ("KB_LLM_TIMEOUT", "soon")]
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_every_environment_setting_has_a_variable_and_a_doc_in_the_table() -> None:
    table = markdown_table()
    for spec in fields(Settings):
        if spec.metadata["env"] is not None:
            assert spec.metadata["doc"] and f"| `{spec.metadata['env']}` |" in table


def test_the_readme_table_is_the_generated_one() -> None:
    """Fails when a setting changed without `python -m kb.settings_table` (or the README by hand)."""
    text = README.read_text("utf-8")
    assert with_table(text) == text
    assert main(["--check"]) == 0


def test_the_generator_rewrites_only_the_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    text = README.read_text("utf-8")
    readme.write_text(text.replace("| `KB_THREADS` | `2` |", "| `KB_THREADS` | `16` |"), "utf-8")
    assert main(["--check", "--readme", str(readme)]) == 1
    assert main(["--readme", str(readme)]) == 0
    assert readme.read_text("utf-8") == text


def test_the_llm_card_languages_are_a_list_of_codes_or_none() -> None:
    assert Settings().llm_card_languages == ("en",)  # the measured model writes Arabic cards badly
    assert Settings.from_env({"KB_LLM_CARD_LANGUAGES": "en, AR"}).llm_card_languages == ("en", "ar")
    assert Settings.from_env({"KB_LLM_CARD_LANGUAGES": "none"}).llm_card_languages == ()
    with pytest.raises(SettingsError, match="KB_LLM_CARD_LANGUAGES"):
        Settings.from_env({"KB_LLM_CARD_LANGUAGES": "english!"})
