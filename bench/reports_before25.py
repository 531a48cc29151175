"""The abstention and floors reports as session 24 built them (a ShadowSearch per search, labelled one by one):
the reference `tests/desk/test_report_tallies.py` compares the counted path (desk.search_labels.SearchTally) with, and
what bench/shadow_log_bench.py times beside it ("before"). Kept verbatim but for names; never imported by product
code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from copilot.tuning import CROSS_DECIDES, TuningError
from desk.desk import Desk
from desk.events import ShadowSearch
from desk.floor_decision import floor_decisions, floors_in_use
from desk.floor_evidence import FloorEvidence, FloorRow
from desk.reports import AbstentionRow, FloorsRow, answered_log, learnt_floors
from desk.search_labels import LoggedSearch, false_abstention, question_key, search_labels
from kb.catalog import Catalog


def logged_searches(log: Iterable[ShadowSearch]) -> list[LoggedSearch]:
    """desk.reports.logged_searches as it was: each distinct query folded once per call (question_key is now kept
    for the process: `__wrapped__` is the fold itself)."""
    keys: dict[str, str] = {}
    fold = question_key.__wrapped__
    return [LoggedSearch((s.lang, keys.get(s.query) or keys.setdefault(s.query, fold(s.query))),
                         s.abstained, s.clicked, s.ticket_id is not None, s.used_articles) for s in log]


def abstention_before(desk: Desk, catalog: Catalog, since: datetime | None) -> list[AbstentionRow]:
    """The `abstention` report's build before session 25."""
    log = answered_log(desk, catalog, since)
    logged = logged_searches(log)
    labels = search_labels(logged)
    out = []
    for lang in sorted({s.lang for s in log}):
        mine = [(s, ls) for s, ls in zip(log, logged, strict=True) if s.lang == lang]
        said = [not_answered for (key_lang, _q), not_answered in labels.items() if key_lang == lang]
        hid = sum(s.abstained for s, _ in mine)
        out.append(AbstentionRow(
            lang, len(mine), hid, round(hid / len(mine), 3), len({ls.key for _, ls in mine}),
            said.count(False), said.count(True), sum(false_abstention(ls) for _, ls in mine),
            sum(s.logged for s, _ in mine),
        ))
    return out


def floors_before(desk: Desk, catalog: Catalog, since: datetime | None) -> list[FloorsRow]:
    """The `floors` report's build before session 25 (the guard's decisions are the same code; their evidence was
    read search by search)."""
    try:
        off, floors = floors_in_use(catalog.settings.content_dir)
    except TuningError:
        off, floors = False, None
    evidence = floor_evidence_before(answered_log(desk, catalog, since), desk.events.search_signals, floors)
    return learnt_floors(floor_decisions(evidence, off))


def _answered_elsewhere(search: ShadowSearch) -> bool:
    """A logged search whose first result is another language's article: its signals say which floors judged it."""
    return search.logged and search.first_article is not None and not search.first_article.startswith(
        f"{search.lang}/")


def where_it_counts(
    search: ShadowSearch, signals: dict[str, float] | None, floors: str | None = None
) -> tuple[str, str | None]:
    """Whose evidence a search is (its language, or its direction "ar>en") and why it is left out of it (LEFT_OUT),
    or None. `logged` is whether its signals are stored (Events.shadow_log), whether or not they were read;
    `signals` are read for the searches `answered_elsewhere` only (the mark); `floors`: the fingerprint of the floors
    in use, None to keep the searches of any floors (a search left out for another reason counts there only)."""
    group, why = _where(search, signals)
    if why is None and floors is not None and search.floors != floors:
        return group, "under unknown floors" if search.floors is None else "under other floors"
    return group, why


def _where(search: ShadowSearch, signals: dict[str, float] | None) -> tuple[str, str | None]:
    if not search.logged:
        return search.lang, "not logged"
    if search.first_article is None:
        return search.lang, "no result"
    if not _answered_elsewhere(search):
        return search.lang, None
    mark = (signals or {}).get(CROSS_DECIDES)
    if mark is None:
        return search.lang, "other language"
    direction = f"{search.lang}>{search.first_article.split('/', 1)[0]}"
    return direction, None if mark == 1.0 else "another rule"


def floor_evidence_before(
    log: Sequence[ShadowSearch],
    signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None = None,
    floors: str | None = None,
) -> dict[str, FloorEvidence]:
    """Per language and direction (sorted), the labelled queries of `log` (desk.reports.answered_log, oldest first).
    `signals_of` (the desk's Events.search_signals): the log was read without its signals, and only the searches
    answered elsewhere and each labelled question's newest search's are read, by id; without it the log must carry
    them (answered_log's `signals`). Each group is labelled on its own searches: a question answered in its own
    language and, another week, only elsewhere is a row of each. `floors`: only the searches the floors of this
    fingerprint decided (where_it_counts); None: every search, whatever floors decided it."""
    elsewhere = [s.id for s in log if _answered_elsewhere(s)]
    marks = signals_of(elsewhere) if signals_of is not None and elsewhere else {}
    groups: dict[str, list[ShadowSearch]] = {}
    left_out: dict[str, Counter[str]] = {}
    for search in log:
        group, why = where_it_counts(search, marks.get(search.id, search.signals), floors)
        if why is None:
            groups.setdefault(group, []).append(search)
        else:
            left_out.setdefault(group, Counter())[why] += 1
    out = {}
    for group in sorted(set(groups) | set(left_out)):  # a language all of whose searches were its direction's: none
        evidence = FloorEvidence(group, [], left_out.get(group, Counter()))
        evidence.rows.extend(_rows(groups.get(group, []), marks, signals_of))
        out[group] = evidence
    return out


def _rows(
    kept: Sequence[ShadowSearch],
    read_before: dict[int, dict[str, float]],
    signals_of: Callable[[Sequence[int]], dict[int, dict[str, float]]] | None,
) -> list[FloorRow]:
    """One group's labelled queries, in key order, each with its newest search's signals."""
    logged = logged_searches(kept)
    taught = search_labels(logged)
    judged = search_labels(
        replace(ls, abstained=False) if ls.abstained and ls.ticket and not ls.answered_by else ls for ls in logged
    )  # a hidden search's uncited ticket read as what it is: a visit that found nothing and wrote
    newest = {ls.key: s for s, ls in zip(kept, logged, strict=True)}  # oldest first: the last one wins
    keys = sorted(set(judged) | set(taught))
    unread = [newest[key].id for key in keys if newest[key].id not in read_before]
    read = {**(signals_of(unread) if signals_of is not None and unread else {}), **read_before}
    rows = []
    for key in keys:
        search = newest[key]
        signals = read.get(search.id, search.signals) or {}
        rows.append(FloorRow(key, search.query, dict(signals), search.abstained, judged.get(key), taught.get(key)))
    return rows
