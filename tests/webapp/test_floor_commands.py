"""`kb floors` end to end through click on a real desk database (SQLite; PostgreSQL with --postgresql) filled through
the desk's own APIs: it prints the guard's decision per language, writes only with --write and only the languages
that pass, keeps the rest of _search.yml, and only reads the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from copilot.tuning import ABSTAIN_FLOORS, TUNING_FILE, SearchTuning
from desk.desk import Desk
from kb.settings import Settings
from tests.conftest import copy_slice, database_url_for_tests
from tests.desk.test_reports import ticket
from tests.webapp.test_shadow_log import database_rows
from webapp.cli import main

EXISTING = """# the team's own notes (PyYAML loses them on --write)
rrf_k: 12
fusion:
  ar: {e5: 1.0, use: 0.5, lexical: 1.0}
abstain_offsets:
  ar: {dialect: {e5_top: -0.02}}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(content_dir=copy_slice(tmp_path / "content"), data_dir=tmp_path / "data",
                    database_url=database_url_for_tests())


def fill(desk: Desk) -> None:
    """English: 40 answerable questions (shown, clicked, no ticket) high on every signal, 12 not answered (shown, no
    click, a ticket) low on all, none abstained: floors learnt from them catch what the floors in use let through.
    Arabic: three labels, too few to learn from."""
    events = desk.events
    for i in range(40):
        signals = {"e5_top": 0.9 + i / 1000, "use_top": 0.5, "lexical_share": 1.0, "field_top": 1.0}
        token = events.search(f"answerable question {i}", "en", 3, False, visit_id=f"a{i}", signals=signals,
                              first_article="en/refund-timing")
        events.click(token, "en/refund-timing", 1, f"a{i}")
    for i in range(12):
        signals = {"e5_top": 0.8 + i / 1000, "use_top": 0.1, "lexical_share": 0.2, "field_top": 0.0}
        events.search(f"out of scope {i}", "en", 2, False, visit_id=f"n{i}", signals=signals,
                      first_article="en/delivery-fees")
        ticket(desk, visit_id=f"n{i}")
    for i, query in enumerate(("استرداد المبلغ", "نسيت كلمة المرور")):
        token = events.search(query, "ar", 2, False, visit_id=f"ar{i}", signals={"e5_top": 0.9},
                              first_article="ar/refund-timing")
        events.click(token, "ar/refund-timing", 1, f"ar{i}")
    events.search("الطقس اليوم", "ar", 2, False, visit_id="ar-out", signals={"e5_top": 0.7},
                  first_article="ar/delivery-fees")
    ticket(desk, visit_id="ar-out")


def test_kb_floors_prints_the_decision_and_writes_only_with_write(settings: Settings) -> None:
    with Desk(settings) as desk:
        fill(desk)
        before = database_rows(desk)
    path = settings.content_dir / TUNING_FILE
    path.write_text(EXISTING, "utf-8")
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})

    shown = runner.invoke(main, ["floors", "--min-labels", "10", *where])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "[en] labelled queries: 40 answerable, 12 not answered, 0 judge-only" in lines
    assert "[ar] labelled queries: 2 answerable, 1 not answered, 0 judge-only" in lines
    assert any(line.startswith("[en] on the log's evidence (12 not answered, 40 answerable): floors in use catch 0% "
                               "(0/12), flag 0% (0/40); learnt (5-fold cross-validated) catch 100% (12/12), flag 0%")
               for line in lines), lines
    assert "[en] replace" in lines
    assert ("[ar] keep the floors in use: too few labels: 2 answerable (needs 10), 1 not answered (needs 10)"
            in lines)
    [learnt] = [line for line in lines if line.startswith("[en] learnt floors ")]
    assert "Not written (no --write): en." in lines
    assert path.read_text("utf-8") == EXISTING  # nothing written without --write

    written = runner.invoke(main, ["floors", "--min-labels", "10", "--write", *where])
    assert written.exit_code == 0, written.output
    assert "[en] learnt floors " in written.output and learnt in written.output.splitlines()
    text = path.read_text("utf-8")
    assert text.startswith("# Abstention floors for en written by `kb floors --write` on ")
    assert "52 labelled queries" in text.split("\n\n")[0].replace("\n# ", " ")
    tuning = SearchTuning.load(path)
    assert tuning.abstain_floors is not None
    floors = tuning.abstain_floors["en"]
    assert learnt == f"[en] learnt floors {floors}, register offsets none"
    assert floors != ABSTAIN_FLOORS["en"] and floors["e5_top"] > 0.8  # catches the not-answered ones at 0.80-0.81
    assert tuning.abstain_floors["ar"] == ABSTAIN_FLOORS["ar"]  # kept: it did not pass
    assert tuning.rrf_k == 12 and tuning.fusion["ar"] == {"e5": 1.0, "use": 0.5, "lexical": 1.0}
    assert tuning.abstain_offsets["ar"] == {"dialect": {"e5_top": -0.02}} and tuning.abstain_offsets["en"] == {}
    assert set(yaml.safe_load(text)["abstain_floors"]) == {"en"}
    with Desk(settings) as desk:
        assert database_rows(desk) == before  # both runs only read


def test_kb_floors_keeps_everything_with_too_few_labels_and_refuses_bad_options(settings: Settings) -> None:
    with Desk(settings) as desk:
        fill(desk)
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    kept = runner.invoke(main, ["floors", "--write", *where])  # the default --min-labels 30: 12 not answered
    assert kept.exit_code == 0, kept.output
    assert "[en] keep the floors in use: too few labels: 40 answerable (needs 30), 12 not answered (needs 30)" in (
        kept.output.splitlines())
    assert not (settings.content_dir / TUNING_FILE).exists()
    for option, value in (("--max-false", "2"), ("--days", "0"), ("--min-labels", "-1")):
        refused = runner.invoke(main, ["floors", option, value, *where])
        assert refused.exit_code == 2 and option in refused.output
