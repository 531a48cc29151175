"""`kb floors` end to end through click on a real desk database (SQLite; PostgreSQL with --postgresql) filled through
the desk's own APIs: it prints the guard's decision per language, writes only with --write and only the languages
that pass, keeps the rest of _search.yml, and only reads the database. The reports page's `floors` report (the real
Flask app, a lead, English and Arabic), its CSV and `kb report floors` show the same decision (desk.floor_decision)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from copilot import query_register, retrieval
from copilot.engine import Engine
from copilot.tuning import ABSTAIN_FLOORS, CROSS_DECIDES, TUNING_FILE, SearchTuning, TuningError
from desk import floor_decision, reports
from desk.desk import Desk
from kb.catalog import Catalog
from kb.settings import Settings
from tests.conftest import copy_slice, database_url_for_tests
from tests.desk.test_reports import ticket
from tests.webapp.conftest import PASSWORD, login
from tests.webapp.test_shadow_log import database_rows
from webapp import create_app, floor_commands
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


SHIPPED = SearchTuning().floors_fingerprint()  # the floors in use when the content has no _search.yml


def fill(desk: Desk, not_answered: int = 12, floors: str = SHIPPED) -> None:
    """English: 40 answerable questions (shown, clicked, no ticket) high on every signal, 12 (`not_answered`) not
    answered (shown, no click, a ticket) low on all, none abstained: floors learnt from them catch what the floors in
    use let through. Arabic: three labels, too few to learn from. Every search decided by `floors` (a fingerprint)."""
    events = desk.events
    for i in range(40):
        signals = {"e5_top": 0.9 + i / 1000, "use_top": 0.5, "lexical_share": 1.0, "field_top": 1.0}
        token = events.search(f"answerable question {i}", "en", 3, False, visit_id=f"a{i}", signals=signals,
                              first_article="en/refund-timing", floors=floors)
        events.click(token, "en/refund-timing", 1, f"a{i}")
    for i in range(not_answered):
        signals = {"e5_top": 0.8 + i / 1000, "use_top": 0.1, "lexical_share": 0.2, "field_top": 0.0}
        events.search(f"out of scope {i}", "en", 2, False, visit_id=f"n{i}", signals=signals,
                      first_article="en/delivery-fees", floors=floors)
        ticket(desk, visit_id=f"n{i}")
    for i, query in enumerate(("استرداد المبلغ", "نسيت كلمة المرور")):
        token = events.search(query, "ar", 2, False, visit_id=f"ar{i}", signals={"e5_top": 0.9},
                              first_article="ar/refund-timing", floors=floors)
        events.click(token, "ar/refund-timing", 1, f"ar{i}")
    events.search("الطقس اليوم", "ar", 2, False, visit_id="ar-out", signals={"e5_top": 0.7},
                  first_article="ar/delivery-fees", floors=floors)
    ticket(desk, visit_id="ar-out")


def in_use(settings: Settings) -> str:
    """The fingerprint of the floors the content's _search.yml gives, as the engine logs it with its searches."""
    return floor_decision.floors_in_use(settings.content_dir).fingerprint


def test_kb_floors_prints_the_decision_and_writes_only_with_write(settings: Settings) -> None:
    path = settings.content_dir / TUNING_FILE
    path.write_text(EXISTING, "utf-8")
    with Desk(settings) as desk:
        fill(desk, floors=in_use(settings))
        before = database_rows(desk)
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
    assert ("[ar] keep the floors in use: too few labels under the floors in use in the last 90 days: 2 answerable "
            "(needs 10), 1 not answered (needs 10)" in lines)
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
    assert ("[en] keep the floors in use: too few labels under the floors in use in the last 90 days: 40 answerable "
            "(needs 30), 12 not answered (needs 30)" in kept.output.splitlines())
    assert not (settings.content_dir / TUNING_FILE).exists()
    for option, value in (("--max-false", "2"), ("--days", "0"), ("--min-labels", "-1")):
        refused = runner.invoke(main, ["floors", option, value, *where])
        assert refused.exit_code == 2 and option in refused.output


def test_the_floors_report_shows_what_kb_floors_decides_on_the_page_in_the_csv_and_kb_report(
    settings: Settings,
) -> None:
    """30 not-answered questions: with the command's defaults (min-labels 30) English passes the guard and Arabic has
    too few labels; the reports page (English and Arabic, for a lead), its CSV and `kb report floors` show the same
    decision `kb floors` prints, the page says who writes floors, and reading writes nothing."""
    with Desk(settings) as filled:  # the app's desk writes searches in the background, after the tickets
        fill(filled, not_answered=30)
        filled.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    app = create_app(settings)
    desk: Desk = app.extensions["desk"]
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    decided = runner.invoke(main, ["floors", *where]).output.splitlines()
    assert "[en] replace" in decided, decided
    assert ("[ar] keep the floors in use: too few labels under the floors in use in the last 90 days: 2 answerable "
            "(needs 30), 1 not answered (needs 30)" in decided)

    rows = reports.REPORTS["floors"].build(desk, Catalog(settings), None, "UTC")
    assert rows == [
        reports.FloorsRow("ar", 2, 1, 0, 0, 0.0, 0.0, 0.0, 0.0, "keep", "too few labels"),
        reports.FloorsRow("en", 40, 30, 0, 0, 0.0, 0.0, 1.0, 0.0, "replace", "passes the guard"),
    ]
    assert reports.REPORTS["floors"].build(desk, Catalog(settings), 0, "UTC") == []  # the window: no day at all

    before = database_rows(desk)
    lead = app.test_client()
    assert login(lead, "lead@example.com").status_code == 302
    html = lead.get("/agent/reports/floors").get_data(as_text=True)
    section = html.split('id="report-floors"', 1)[1].split("</section>", 1)[0]
    assert "Abstention floors learnt from the search log" in section and 'href="/agent/reports/floors.csv' in section
    assert "written only by the content team, with kb floors --write, and committed with the content" in section
    cells = '<td dir="auto">en</td><td dir="auto">40</td><td dir="auto">30</td><td dir="auto">0</td>'
    assert cells in section and '<td dir="auto">Replace the floors in use</td>' in section
    assert ("Too few labelled questions to learn floors from: 30 answerable and 30 not answered are needed."
            in section and '<td dir="auto">Keep the floors in use</td>' in section)
    assert ">Not answered: caught by the learnt floors<" in section and "passes the guard" not in section
    assert ">Searches under other floors (left out)<" in section
    assert "on this window's searches made under the floors in use (searches under other floors are counted" in section
    arabic = lead.get("/agent/reports/floors", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    section = arabic.split('id="report-floors"', 1)[1].split("</section>", 1)[0]
    assert "حدود الامتناع المتعلَّمة من سجل البحث" in section and "لا يكتب الحدودَ إلا فريقُ المحتوى" in section
    assert "استبدال الحدود المستخدمة" in section and "الإبقاء على الحدود المستخدمة" in section
    assert ">عمليات بحث تحت حدود أخرى (مستبعدة)<" in section and "التي جرت تحت الحدود المستخدمة" in section
    assert "تلتقط الحدود المتعلَّمة من الأسئلة غير المُجاب عنها 5% على الأقل أكثر" in section
    for english in ("Replace the floors in use", "Decision", "too few labels", "written only by the content team"):
        assert english not in section
    download = lead.get("/agent/reports/floors.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(download))) == [
        ["lang", "answerable", "not_answered", "judge_only", "other_floors", "in_use_caught", "in_use_flagged",
         "learnt_caught", "learnt_flagged", "decision", "reason"],
        ["ar", "2", "1", "0", "0", "0.0", "0.0", "0.0", "0.0", "keep", "too few labels"],
        ["en", "40", "30", "0", "0", "0.0", "0.0", "1.0", "0.0", "replace", "passes the guard"],
    ]
    shown = runner.invoke(main, ["report", "floors", "--days", "1", *where])
    assert shown.exit_code == 0, shown.output
    assert [line.split() for line in shown.output.splitlines()[1:]] == [
        ["lang", "answerable", "not_answered", "judge_only", "other_floors", "in_use_caught", "in_use_flagged",
         "learnt_caught", "learnt_flagged", "decision", "reason"],
        ["ar", "2", "1", "0", "0", "0.0", "0.0", "0.0", "0.0", "keep", "too", "few", "labels"],
        ["en", "40", "30", "0", "0", "0.0", "0.0", "1.0", "0.0", "replace", "passes", "the", "guard"]]
    assert database_rows(desk) == before  # the page in both languages, the CSV and the command only read


def report_and_command(settings: Settings, tuning: str) -> tuple[list[tuple[str, str, str]], Result]:
    """The floors report's (language, decision, reason) rows and `kb floors`' run, on `fill`'s log (30 not-answered
    English questions: enough to pass the guard) with `tuning` as the content's _search.yml."""
    with Desk(settings) as desk:
        (settings.content_dir / TUNING_FILE).write_text(tuning, "utf-8")
        try:
            floors = in_use(settings)
        except TuningError:  # broken: the searches were made under the floors search started with, the shipped ones
            floors = SHIPPED
        fill(desk, not_answered=30, floors=floors)
        rows = reports.REPORTS["floors"].build(desk, Catalog(settings), None, "UTC")
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    shown = CliRunner(env={"DATABASE_URL": settings.database_url or ""}).invoke(main, ["floors", *where])
    return [(r.lang, r.decision, r.reason) for r in rows], shown


def test_the_floors_report_keeps_the_floors_when_the_settings_turn_abstention_off(settings: Settings) -> None:
    rows, shown = report_and_command(settings, "abstain_floors: null\n")
    assert rows == [("ar", "keep", "too few labels"), ("en", "keep", "abstention off")]
    assert ("[en] keep the floors in use: _search.yml turns abstention off (abstain_floors: null) for every language"
            in shown.output.splitlines())


def test_the_desk_decides_without_search_and_the_command_keeps_its_defaults() -> None:
    """desk.floor_decision (the reports page builds it on every load) reads the query register without importing
    search, the index or a model; `kb floors` spells out the same defaults so `kb --help` imports no numpy."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, desk.floor_decision, desk.reports; print('copilot.retrieval' in "
         "sys.modules, 'qdrant_edge' in sys.modules)"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    assert loaded.stdout.split() == ["False", "False"]
    assert (floor_commands.DEFAULT_MAX_FALSE, floor_commands.DEFAULT_MIN_LABELS) == (
        floor_decision.DEFAULT_MAX_FALSE, floor_decision.DEFAULT_MIN_LABELS)
    assert retrieval.query_register is query_register.query_register


def test_the_floors_report_reads_the_log_when_a_sync_brought_a_broken_tuning_file(settings: Settings) -> None:
    """Search reads _search.yml when it starts; a file broken later (a sync) must not make the lead's reports page
    fail: the report decides as with the floors in use, and `kb floors` names the file's error."""
    rows, shown = report_and_command(settings, "abstain_floors: [broken\n")
    assert rows == [("ar", "keep", "too few labels"), ("en", "replace", "passes the guard")]
    assert shown.exit_code == 1 and TUNING_FILE in shown.output and "not valid YAML" in shown.output


def fill_cross(desk: Desk, floors: str) -> list[dict[str, float]]:
    """Arabic questions only English articles answered, each marked as the ar>en floors decided it (CROSS_DECIDES):
    40 answerable (shown, clicked) high on the chunk share (all at one value, so no held-out one sits under the
    others and the fit's floor, the lowest answerable value, flags none), 30 not answered (shown, no click, a
    ticket) between the shipped chunk floor and the answerable ones, which the shipped floors let through. Returns
    the not-answered questions' signals."""
    events, shipped = desk.events, retrieval.CROSS_DIRECTION_FLOORS[("ar", "en")]
    for i in range(40):
        signals = {"cross_share": -1.0, "cross_title_share": 0.6, CROSS_DECIDES: 1.0}
        token = events.search(f"سؤال له جواب {i}", "ar", 3, False, visit_id=f"xa{i}", signals=signals,
                              first_article="en/refund-timing", floors=floors)
        events.click(token, "en/refund-timing", 1, f"xa{i}")
    far = []
    for i in range(30):
        signals = {"cross_share": shipped["cross_share"] + 0.2 + i / 1000, "cross_title_share": 0.2,
                   CROSS_DECIDES: 1.0}
        events.search(f"سؤال بلا جواب {i}", "ar", 2, False, visit_id=f"xn{i}", signals=signals,
                      first_article="en/delivery-fees", floors=floors)
        ticket(desk, visit_id=f"xn{i}")
        far.append(signals)
    return far


def test_kb_floors_writes_a_directions_cross_lingual_floors_that_search_then_reads(settings: Settings) -> None:
    """The closed loop for the cross-lingual floors: the log's ar>en evidence passes the guard, `kb floors --write`
    writes `cross_floors: {ar>en: ...}` beside the file's other keys, the engine started on the content reads them,
    and they abstain on the not-answered questions the shipped constants let through, not on the answerable ones.
    The reports page's `floors` report shows the direction's row (and says what a direction is, in both languages);
    once written, the log's searches were decided by other floors than those in use and are left out of it."""
    path = settings.content_dir / TUNING_FILE
    path.write_text(EXISTING, "utf-8")
    with Desk(settings) as filled:
        far = fill_cross(filled, in_use(settings))
        filled.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    app = create_app(settings)
    rows = reports.REPORTS["floors"].build(app.extensions["desk"], Catalog(settings), None, "UTC")
    assert rows == [reports.FloorsRow("ar>en", 40, 30, 0, 0, 0.0, 0.0, 1.0, 0.0, "replace", "passes the guard")]
    lead = app.test_client()
    assert login(lead, "lead@example.com").status_code == 302
    html = lead.get("/agent/reports/floors").get_data(as_text=True)
    section = html.split('id="report-floors"', 1)[1].split("</section>", 1)[0]
    assert '<td dir="auto">ar&gt;en</td><td dir="auto">40</td><td dir="auto">30</td>' in section
    assert "for each direction such as ar>en (Arabic questions only English articles answered" in section
    arabic = lead.get("/agent/reports/floors", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "ولكل اتجاه مثل ar>en" in arabic.split('id="report-floors"', 1)[1].split("</section>", 1)[0]

    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    written = runner.invoke(main, ["floors", "--write", *where])
    assert written.exit_code == 0, written.output
    lines = written.output.splitlines()
    assert "[ar>en] labelled queries: 40 answerable, 30 not answered, 0 judge-only" in lines
    assert "[ar>en] replace" in lines and not any(line.startswith("[ar] ") for line in lines)
    [learnt] = [line for line in lines if line.startswith("[ar>en] learnt cross-lingual floors ")]
    tuning = SearchTuning.load(path)
    assert learnt == f"[ar>en] learnt cross-lingual floors {tuning.cross_floors['ar>en']}"
    assert set(yaml.safe_load(path.read_text("utf-8"))) == {"rrf_k", "fusion", "abstain_offsets", "cross_floors"}
    assert tuning.abstain_floors == ABSTAIN_FLOORS and tuning.rrf_k == 12  # the rest of the file as it was

    engine = Engine(Settings(content_dir=settings.content_dir, data_dir=settings.data_dir / "index"), embedders=[])
    try:
        retriever = engine.retriever
        assert retriever.cross_floors == tuning.cross_floors
        answerable = {"cross_share": -1.0, "cross_title_share": 0.6}
        assert all(retriever._abstains("ar", dict(s), only_elsewhere=True, target="en") for s in far)
        assert not retriever._abstains("ar", answerable, only_elsewhere=True, target="en")
        retriever.cross_floors = {}  # the shipped constants: they let every not-answered question through
        assert not any(retriever._abstains("ar", dict(s), only_elsewhere=True, target="en") for s in far)
    finally:
        engine.close()

    # Written: the floors in use are now the learnt ones, and the log was made under the earlier ones.
    rows = reports.REPORTS["floors"].build(app.extensions["desk"], Catalog(settings), None, "UTC")
    assert rows == [reports.FloorsRow("ar>en", 0, 0, 0, 70, None, None, None, None, "keep", "too few labels")]


def test_kb_floors_and_the_report_judge_only_the_searches_the_floors_in_use_decided(settings: Settings) -> None:
    """A log made partly under floors written earlier (another fingerprint) and partly before searches said which
    floors decided them (none): only the searches under the floors in use now are evidence; the others are counted
    as left out, and a window too thin under the floors in use says so. Reading writes nothing."""
    with Desk(settings) as desk:
        fill(desk, not_answered=30, floors="0123456789ab")  # under floors a team wrote and later replaced
        desk.events.search("older question", "en", 2, False, visit_id="old", signals={"e5_top": 0.7},
                           first_article="en/delivery-fees")  # logged before the searches carried their floors
        ticket(desk, visit_id="old")
        fill(desk)  # the same questions again under the floors in use: only 12 not answered
        rows = reports.REPORTS["floors"].build(desk, Catalog(settings), None, "UTC")
        before = database_rows(desk)
    assert [(r.lang, r.answerable, r.not_answered, r.other_floors, r.decision, r.reason) for r in rows] == [
        ("ar", 2, 1, 3, "keep", "too few labels"), ("en", 40, 12, 40 + 30 + 1, "keep", "too few labels")]
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    shown = CliRunner(env={"DATABASE_URL": settings.database_url or ""}).invoke(main, ["floors", "--days", "7", *where])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == (f"Search log of the last 7 days: {73 + 1 + 55} settled searches, 55 of them under the "
                        f"floors in use ({SHIPPED}, {TUNING_FILE}); only those are evidence.")
    assert ("[en] labelled queries: 40 answerable, 12 not answered, 0 judge-only; searches left out: 70 under other "
            "floors, 1 under unknown floors") in lines
    assert ("[en] keep the floors in use: too few labels under the floors in use in the last 7 days: 40 answerable "
            "(needs 30), 12 not answered (needs 30)") in lines
    with Desk(settings) as desk:
        assert database_rows(desk) == before


def test_searches_after_a_write_and_a_restart_carry_the_written_floors(settings: Settings) -> None:
    """The closed loop: the engine logs its floors with each settled search, `kb floors --write` changes them, the
    engine started again on the written file logs the new ones, and `kb floors` then reads only the new searches.
    The real app over a lexical-only engine (the floors' fingerprint needs no model)."""
    def search_twice(engine: Engine) -> list[str | None]:
        app = create_app(settings, engine=engine)
        client = app.test_client()
        for query in ("refund", "gift card"):
            assert client.get("/en/search", query_string={"q": query}).status_code == 200
        desk: Desk = app.extensions["desk"]
        assert desk.events.writer is None or desk.events.writer.flush()
        return [s.floors for s in desk.events.shadow_log()]

    with Engine(settings, embedders=[]) as engine:
        assert engine.index(show_progress=False).exit_code == 0
        assert search_twice(engine) == [SHIPPED, SHIPPED]
    with Desk(settings) as desk:
        fill(desk, not_answered=30)
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    written = runner.invoke(main, ["floors", "--write", *where])
    assert "[en] replace" in written.output.splitlines(), written.output
    learnt = in_use(settings)
    assert learnt != SHIPPED
    with Engine(settings, embedders=[]) as engine:  # the next start reads the written file
        assert engine.retriever.floors_fingerprint == learnt
        assert search_twice(engine)[-2:] == [learnt, learnt]
    again = runner.invoke(main, ["floors", *where]).output.splitlines()
    assert again[0].endswith(f"settled searches, 2 of them under the floors in use ({learnt}, {TUNING_FILE}); only "
                             "those are evidence."), again
