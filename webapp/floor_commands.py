"""`kb floors`: abstention floors learnt from the help center's own search log, behind the guard (issue #18).

The shipped floors (copilot.tuning) were fitted on the demo help center; on one nobody tuned on they miss most
out-of-scope questions. Per language this command reads the stored search log's evidence (desk.floor_evidence),
fits floors on it (copilot.learnt_floors) and prints whether they pass the guard (desk.floor_decision, the decision
the reports page's `floors` report shows): on the log's own evidence,
cross-validated, they catch at least GUARD_MARGIN more of the not-answered questions and flag no more answerable
ones than the floors in use. The same per cross-lingual direction ("ar>en": Arabic questions only the English articles
answered), whose floors are the cross-lingual ones (`cross_floors`). Only with `--write`, and only for the languages
and directions that pass, are they written into the content directory's `_search.yml`, which the team reviews and
commits like any content change; the search engine reads it at its next start. The command only reads the database.

Kept out of `webapp.cli` so `cli` registers it with one line at its end, like `kb report`.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk

if TYPE_CHECKING:
    from collections import Counter

    from desk.floor_decision import FloorDecision

DEFAULT_DAYS = 90
# desk.floor_decision's (which the reports page's `floors` report uses), spelled out so `kb --help` does not import
# numpy (a test pins them).
DEFAULT_MAX_FALSE = 0.02
DEFAULT_MIN_LABELS = 30


@click.command("floors")
@location_options
@click.option("--days", type=click.IntRange(1), default=DEFAULT_DAYS, show_default=True,
              help="Read the search log of the last N days (calendar days, UTC).")
@click.option("--max-false", type=click.FloatRange(0.0, 1.0), default=DEFAULT_MAX_FALSE, show_default=True,
              help="Share of the answerable labels the learnt floors may flag when they are fitted.")
@click.option("--min-labels", type=click.IntRange(0), default=DEFAULT_MIN_LABELS, show_default=True,
              help="Fewer answerable or not-answered labels than this in a language: keep its floors.")
@click.option("--write", is_flag=True,
              help="Write the floors of the languages and directions that pass the guard into the content's "
                   "_search.yml.")
def floors_command(settings: Settings, days: int, max_false: float, min_labels: int, write: bool) -> None:
    """Abstention floors learnt from the help center's own search log, per language and per cross-lingual direction
    (ar>en: Arabic questions only English articles answered), and whether they may replace the floors in use.

    Prints per language the labelled queries (answerable, not answered, and judge-only: searches that showed
    nothing and whose ticket no agent answered from the help center), the floors in use and the learnt ones
    (cross-validated) on that evidence: the share of not-answered questions they catch and of answerable ones they
    flag; then the decision and the floors and register offsets it would write. Nothing is written without
    --write; with it, only the languages and directions that pass, into the content directory's _search.yml
    (review and commit it; search reads it at its next start).
    """
    from copilot.learnt_floors import GUARD_FOLDS
    from copilot.tuning import TUNING_FILE, TuningError
    from desk.floor_decision import floor_decisions, floors_in_use
    from desk.floor_evidence import floor_evidence
    from desk.reports import answered_log, since_days
    from kb.catalog import Catalog

    path = settings.content_dir / TUNING_FILE
    try:
        off, floors = floors_in_use(settings.content_dir)
    except TuningError as error:
        raise click.ClickException(str(error)) from error
    with open_desk(settings) as desk:
        log = answered_log(desk, Catalog(settings), since_days(days))
        decisions = floor_decisions(floor_evidence(log, desk.events.search_signals, floors), off, max_false, min_labels)
    passed: dict[str, FloorDecision] = {}
    under = sum(s.floors == floors for s in log)
    click.echo(f"Search log of the last {days} days: {len(log)} settled searches, {under} of them under the floors in "
               f"use ({floors}, {path.name}); only those are evidence.")
    for decision in decisions:
        lang, compared = decision.lang, decision.compared
        click.echo(f"[{lang}] labelled queries: {decision.answerable} answerable, {decision.not_answered} not "
                   f"answered, {decision.judge_only} judge-only{_left_out(decision.left_out)}")
        click.echo(f"[{lang}] on the log's evidence ({compared.not_answered} not answered, {compared.answerable} "
                   f"answerable): floors in use catch {_share(compared.shipped_caught, compared.not_answered)}, "
                   f"flag {_share(compared.shipped_false, compared.answerable)}; learnt ({GUARD_FOLDS}-fold "
                   f"cross-validated) catch {_share(compared.learnt_caught, compared.not_answered)}, flag "
                   f"{_share(compared.learnt_false, compared.answerable)}")
        reason = _keep_reason(decision, days)
        click.echo(f"[{lang}] {'keep the floors in use: ' + reason if reason else 'replace'}")
        if decision.fit is not None and decision.cross:
            click.echo(f"[{lang}] learnt cross-lingual floors {decision.floors()}")
        elif decision.fit is not None:
            click.echo(f"[{lang}] learnt floors {decision.floors()}, register offsets {decision.fit[1] or 'none'}")
        if decision.replace:
            passed[lang] = decision
    if not write:
        if passed:
            click.echo(f"Not written (no --write): {', '.join(sorted(passed))}.")
        return
    if not passed:
        click.echo(f"Nothing written: no language or direction passed; {path} is unchanged.")
        return
    _write(path, passed, days)
    click.echo(f"Wrote {', '.join(sorted(passed))} into {path}: review it and commit it with the content; search "
               "reads it at its next start.")


def _keep_reason(decision: FloorDecision, days: int) -> str | None:
    """Why the floors in use stay, in the command's words (None: the learnt ones replace them)."""
    from copilot.learnt_floors import GUARD_MARGIN
    from copilot.tuning import TUNING_FILE

    compared = decision.compared
    return {
        "passes the guard": None,
        "too few labels": f"too few labels under the floors in use in the last {days} days: "
                          f"{decision.answerable} answerable (needs {decision.needs[0]}), "
                          f"{decision.not_answered} not answered (needs {decision.needs[1]})",
        "abstention off": f"{TUNING_FILE} turns abstention off (abstain_floors: null) for every language",
        "nothing to compare": "no not-answered or no answerable evidence to compare on",
        "catches too little more": f"the learnt floors catch {compared.caught_gain:+.1%} of the not-answered "
                                   f"questions (the guard needs +{GUARD_MARGIN:.0%})",
        "flags more answerable": f"the learnt floors flag {compared.flagged_more} more of the answerable questions "
                                 f"(+{compared.flagged_more / max(compared.answerable, 1):.1%})",
    }[decision.reason]


def _left_out(left_out: Counter[str]) -> str:
    if not left_out:
        return ""
    parts = ", ".join(f"{count} {why}" for why, count in sorted(left_out.items()))
    return f"; searches left out: {parts}"


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%} ({count}/{total})" if total else "- (0/0)"


def _write(path: Path, passed: dict[str, FloorDecision], days: int) -> None:
    """The passing languages' floors and offsets and directions' cross-lingual floors over the file's other keys,
    languages and directions (a language's offsets are replaced whole: the floors were fitted with exactly these),
    read back before the file is replaced."""
    import yaml

    from copilot.tuning import SearchTuning, TuningError

    raw: dict[str, Any] = (yaml.safe_load(path.read_text("utf-8")) or {}) if path.is_file() else {}
    floors = raw.get("abstain_floors") or {}
    offsets = raw.get("abstain_offsets") or {}
    cross = raw.get("cross_floors") or {}
    for lang, decision in sorted(passed.items()):
        if decision.cross:
            cross[lang] = decision.floors()
            continue
        floors[lang] = decision.floors()
        offsets[lang] = decision.fit[1] if decision.fit else {}
    if any(not d.cross for d in passed.values()):
        raw["abstain_floors"], raw["abstain_offsets"] = floors, offsets
    if cross:
        raw["cross_floors"] = cross
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    labelled = sum(d.labelled for d in passed.values())
    header = (
        f"# Abstention floors for {', '.join(sorted(passed))} written by `kb floors --write` on {now}, learnt from\n"
        f"# {labelled} labelled queries of the last {days} days' search log (copilot.learnt_floors; see\n"
        "# copilot/tuning.py for this file's keys). Review and commit it like any content change: search reads it\n"
        "# at its next start. The file was rewritten, so any comments it had are gone.\n"
    )
    text = header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    handle, temporary = tempfile.mkstemp(prefix=".search-", suffix=".yml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        SearchTuning.load(Path(temporary))  # what search will read; an error leaves the file as it was
        os.replace(temporary, path)
    except (OSError, TuningError):
        Path(temporary).unlink(missing_ok=True)
        raise
