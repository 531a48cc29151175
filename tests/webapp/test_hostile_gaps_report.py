"""The content gaps report (in SQL since session 27: desk/reports.py, desk/query_keys.py) under hostile input
(session 28): the page's and the CSV's ?lang=, ?page=, ?days= and ?tz= (raw: bad percent-escapes, NUL, huge and
negative numbers, bad dates and zones, repeated keys), and `kb report gaps`' --lang, --days and --tz.

Over a seeded log (GAPS questions nothing answered, in both languages): never a 500 or a traceback; a refusal is a
400 (or the CLI's usage error, exit 2) naming the parameter; a GET writes nothing; and what is shown is what the
report says: without ?days, the page's rows are one page (a contiguous run, from a multiple of the page size) of
`reports.content_gaps` for the language asked, in its order. SQLite; PostgreSQL with --postgresql; KB_FUZZ_EXAMPLES
(default 40) examples per property.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, quote

from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from desk import reports
from kb.settings import Settings
from tests.webapp.conftest import login
from tests.webapp.test_hostile_routes import RAW_VALUES, READ_LOGS, _fingerprint
from tests.webapp.test_report_gaps_pages import seed, shown
from tests.webapp.test_reports_page import app, settings  # noqa: F401 - the reports page's fixtures
from webapp.cli import main

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = fuzz_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
PAGE_ROWS = 50
RAW = st.sampled_from([*RAW_VALUES, "ar", "en", "AR", "ar%00", "2", "3", "4", "1000000", "-2"]) | st.text(
    max_size=12).map(lambda s: quote(s, safe=""))
QUERY = st.lists(st.tuples(st.sampled_from(["lang", "page", "days", "tz", "from", "to", "lang", "page"]), RAW),
                 max_size=4)


def named(body: str, sent: set[str]) -> bool:
    """A 400's page names what to fix: one of the parameters sent (a bad ?page= by the one paging rule's page,
    webapp.paging, which names the page parameter)."""
    return any(f"{name}:" in body for name in sent) or ("page" in sent and 'data-reason="page"' in body)


@FUZZ
@given(pairs=QUERY, csv=st.booleans())
def test_no_query_is_a_500_and_the_rows_are_the_reports(app: Flask, pairs: list[tuple[str, str]],  # noqa: F811
                                                         csv: bool) -> None:
    if not hasattr(app, "_hostile_seeded"):
        seed(app)
        app._hostile_seeded = True  # type: ignore[attr-defined]
        app._hostile_client = app.test_client()  # type: ignore[attr-defined]
        assert login(app._hostile_client, "admin@example.com").status_code == 302  # type: ignore[attr-defined]
    client = app._hostile_client  # type: ignore[attr-defined]
    query = "&".join(f"{k}={v}" for k, v in pairs)
    before = _fingerprint(app, READ_LOGS)
    response = client.get(f"/agent/reports/gaps{'.csv' if csv else ''}", query_string=query)
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 414), (query, response.status_code, body[:300])
    assert "Traceback" not in body
    assert _fingerprint(app, READ_LOGS) == before, query
    sent = {k for k, _ in pairs}
    if response.status_code in (400, 414):  # 414: a request line past the server's limit, naming the parameter
        assert named(body, sent) or "parameter &#39;" in body, (query, body[:300])
        return
    args: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):  # the first of each, as Flask's `args.get` reads
        args.setdefault(key, value)
    if csv or "days" in sent:
        return
    lang = args.get("lang") or None
    every = [r.query for r in reports.content_gaps(app.extensions["desk"].db, lang=lang)]
    rows = shown(body)
    if not rows:  # a page past the last shows the last (webapp.paging): no rows only when the report has none
        assert not every, query
        return
    if "page" in sent and args.get("page", "").isdigit() and int(args["page"]) > -(-len(every) // PAGE_ROWS):
        assert 'id="page-clamped"' in body, query  # the clamped page says which was asked for
    start = every.index(rows[0])
    assert start % PAGE_ROWS == 0 and rows == every[start:start + PAGE_ROWS], query
    assert lang is None or all(r in every for r in rows)


@FUZZ
@given(lang=st.sampled_from(["ar", "en", "fr", "", " ", "AR", "ar\x00", "x" * 5000, "--csv", "\u202e"]),
       days=st.sampled_from(["0", "7", "-1", "9" * 30, "", "abc", "2147483648", "1e3"]),
       zone=st.sampled_from(["UTC", "Asia/Riyadh", "Mars/Olympus", "", "../../etc/passwd", "\x00", "x" * 300]))
def test_kb_report_gaps_takes_hostile_arguments_as_usage_errors(app: Flask, lang: str, days: str,  # noqa: F811
                                                                zone: str) -> None:
    report_settings: Settings = app.extensions["settings"]
    where = ["--content", str(report_settings.content_dir), "--data", str(report_settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": report_settings.database_url or ""})
    result = runner.invoke(main, ["report", "gaps", "--lang", lang, "--days", days, "--tz", zone, "--csv", *where])
    assert result.exit_code in (0, 2), (lang, days, zone, result.output[-500:], result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert any(f"'--{name}'" in result.output for name in ("lang", "days", "tz")), result.output[-300:]
    else:
        assert lang in ("ar", "en") and days.isdecimal()
