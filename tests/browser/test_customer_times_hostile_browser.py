"""static/customer-times.js with hostile input (hostile39): `<time data-customer-time>` elements whose `datetime`
is not a time, or is one at the ends of what a browser can hold, on pages whose `lang` is odd or no language tag,
in browsers set to zones with odd offsets (+05:45, +12:45, -03:30, +14, -12) and odd locales. The script is run on a
page of its own (no server: the elements are what the test writes), as the site serves it."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from playwright.sync_api import Browser

SCRIPT = Path(__file__).parents[2] / "webapp" / "static" / "customer-times.js"
SERVER = "Dec 6, 2026, 2:22 PM (GMT+03:00)"  # the server's text, zone named
GOOD = "2026-12-06T11:22:00Z"
HOSTILE = ["", " ", "garbage", "2026-13-45T99:99:00Z", "1e309", "NaN", "<img src=x onerror=alert(1)>",
           "+275760-09-13T00:00:00.001Z", "2026-12-06T11:22:00\u202eZ", "٢٠٢٦-١٢-٠٦T11:22:00Z"]
EDGES = ["+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z", "0000-01-01T00:00:00Z"]


def page_of(lang: str, times: list[str], digits: str = "latn") -> str:
    items = "".join(f'<li><time datetime="{html.escape(moment)}" data-customer-time data-digits="{digits}">'
                    f"<bdi>{SERVER}</bdi></time></li>" for moment in times)
    return f'<!doctype html><html lang="{html.escape(lang)}"><body><ol>{items}</ol></body></html>'


LANGS = ["en", "ar", "", "en_US", "zz", "ar-u-nu-latn", "x-\u202e"]


@pytest.mark.parametrize(("zone", "locale"), [("Asia/Kathmandu", "ne-NP"), ("Pacific/Chatham", "en-NZ"),
                                              ("America/St_Johns", "fr-CA"), ("Pacific/Kiritimati", "ar-EG"),
                                              ("Etc/GMT+12", "zh-Hant-TW")])
def test_hostile_times_and_zones_leave_each_time_shown_and_the_good_ones_rewritten(
        browser: Browser, zone: str, locale: str) -> None:
    """Every time a browser can read is rewritten in its zone and named (data-zone="browser"), whatever stands
    before it on the page; one it cannot (not a time, past a Date's range) keeps the server's text; a page `lang`
    that is no language tag keeps the server's text everywhere; nothing is thrown. A probe: the script held (no
    fault found)."""
    context = browser.new_context(timezone_id=zone, locale=locale)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for lang in LANGS:
            page.set_content(page_of(lang, [*HOSTILE, *EDGES, GOOD], "arab" if lang == "ar" else "latn"))
            page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
            shown = page.eval_on_selector_all("time", "ts => ts.map(t => [t.getAttribute('datetime'), "
                                              "t.getAttribute('data-zone'), t.textContent])")
            tag_ok = page.evaluate("lang => { try { new Intl.DateTimeFormat(lang || 'en'); return true } "
                                   "catch (e) { return false } }", lang)
            assert errors == [], (lang, errors)
            by_time = {moment: (zone_mark, text) for moment, zone_mark, text in shown}
            for moment in HOSTILE:
                assert by_time[moment] == (None, SERVER), (lang, moment)
            rewritten = by_time[GOOD]
            if not tag_ok:
                assert rewritten == (None, SERVER), lang
                continue
            assert rewritten[0] == "browser" and rewritten[1] != SERVER and "2026" in rewritten[1].translate(
                str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")), (lang, rewritten)
            for moment in EDGES:
                assert by_time[moment][0] == "browser" or by_time[moment][1] == SERVER, (lang, moment)
    finally:
        context.close()
