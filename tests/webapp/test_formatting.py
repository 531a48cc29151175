"""The template filters and plurals through the real Flask-Babel and the real Arabic catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from kb.settings import Settings, digits_policy
from webapp.formatting import init_formatting
from webapp.i18n import init_babel

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out

WHEN = datetime(2026, 12, 1, 13, 21)


def app_with(digits: str = "latn") -> Flask:
    app = Flask(__name__)
    app.extensions["settings"] = Settings(digits=digits)
    init_babel(app, ("en", "ar"))
    init_formatting(app)
    return app


def render(app: Flask, path: str, source: str, **context: object) -> str:
    with app.test_request_context(path):
        return render_template_string(source, **context)


def test_arabic_plurals_follow_cldr() -> None:
    app = app_with()
    source = '{{ ngettext("%(num)s article", "%(num)s articles", n, num=n|number) }}'
    got = {n: render(app, "/ar/", source, n=n) for n in (0, 1, 2, 3, 11, 31, 100)}
    assert got == {0: "لا توجد مقالات", 1: "مقالة واحدة", 2: "مقالتان", 3: "3 مقالات", 11: "11 مقالة", 31: "31 مقالة",
                   100: "100 مقالة"}
    assert render(app, "/en/", source, n=1) == "1 article" and render(app, "/en/", source, n=31) == "31 articles"


def test_dates_use_arabic_month_names_and_the_digits_policy() -> None:
    latin = render(app_with("latn"), "/ar/", "{{ when|datetime }}", when=WHEN)
    assert latin == '<time datetime="2026-12-01T13:21:00"><bdi>1 ديسمبر 2026، 1:21 م</bdi></time>'
    arabic = render(app_with("arab"), "/ar/", "{{ when|date }} {{ n|number }}", when=date(2026, 12, 1), n=12345)
    assert "١ ديسمبر ٢٠٢٦" in arabic and "١٢٬٣٤٥" in arabic
    assert "Dec 1, 2026, 1:21" in render(app_with("arab"), "/en/", "{{ when|datetime }}", when=WHEN)


def test_relative_times_read_in_the_page_language() -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2, minutes=1)
    assert "قبل ساعتين" in render(app_with(), "/ar/", "{{ when|ago }}", when=two_hours_ago)
    assert "2 hours ago" in render(app_with(), "/en/", "{{ when|ago }}", when=two_hours_ago)


def test_file_sizes_read_whole_and_in_the_pages_language() -> None:
    sizes = "{{ 10485760|size }} | {{ 1500000|size }} | {{ 20000|size }} | {{ 80|size }}"
    assert render(app_with(), "/en/", sizes) == "10 MB | 1.4 MB | 19.5 KB | 80 bytes"  # not "10.0 MB"
    assert render(app_with(), "/ar/", sizes) == "10 ميغابايت | 1.4 ميغابايت | 19.5 كيلوبايت | 80 بايت"
    assert render(app_with("arab"), "/ar/", sizes) == "١٠ ميغابايت | ١٫٤ ميغابايت | ١٩٫٥ كيلوبايت | ٨٠ بايت"
    assert render(app_with("arab"), "/en/", sizes) == "10 MB | 1.4 MB | 19.5 KB | 80 bytes"


def test_bdi_isolates_and_escapes_outside_text() -> None:
    html = render(app_with(), "/ar/", "{{ name|bdi }} {{ url|bdi('ltr') }}", name="<ليلى>", url="https://x.example/طلب")
    assert html == '<bdi>&lt;ليلى&gt;</bdi> <bdi dir="ltr">https://x.example/طلب</bdi>'


def test_the_digits_setting_is_checked() -> None:
    assert Settings.from_env({"KB_DIGITS": "arab"}).digits == "arab"
    with pytest.raises(ValueError, match="KB_DIGITS"):
        digits_policy("hindi")


def test_theme_colours_and_names_come_from_the_theme_file(tmp_path: Path) -> None:
    from webapp.theme import ThemeError, load_theme

    (tmp_path / "_theme.yml").write_text("name: {en: Acme Help, ar: مساعدة أكمي}\ncolors: {accent: '#123456'}\n")
    theme = load_theme(tmp_path)
    assert theme.name("ar") == "مساعدة أكمي" and "--theme-accent: #123456" in theme.css_variables()
    (tmp_path / "_theme.yml").write_text("colors: {accent: 'red; background: url(x)'}\n")
    with pytest.raises(ThemeError, match=r"colors\.accent"):
        load_theme(tmp_path)


def test_a_file_refusal_names_its_sizes_in_the_pages_language() -> None:
    """The desk's refusal of a file said "12 MB" and "10,485,761 bytes" in English inside the Arabic sentence: the
    sizes are the error's values, said as the `size` filter says them (to the byte where rounding would show them
    equal); the desk's own text (the CLI's, the API's) stays English."""
    from desk.mail.attachments import FileLimits, Upload
    from desk.tickets import InputError, clean_files
    from webapp.desk_errors import desk_error

    limits = FileLimits(max_bytes=10 * 1024 * 1024, max_count=5, max_total=15 * 1024 * 1024)
    errors = {}
    for name, files in (("big", [Upload("فاتورة.pdf", b"x" * (12 * 1024 * 1024))]),
                        ("exact", [Upload("a.pdf", b"x" * (10 * 1024 * 1024 + 1))]),
                        ("total", [Upload(f"{n}.pdf", b"x" * (6 * 1024 * 1024)) for n in range(3)])):
        with pytest.raises(InputError) as raised:
            clean_files(files, limits)
        errors[name] = raised.value
    assert "is 12 MB; the limit is 10 MB per file" in str(errors["big"])
    assert "is 10,485,761 bytes; the limit is 10,485,760 bytes" in str(errors["exact"])
    assert "come to 18 MB; the limit is 15 MB in all" in str(errors["total"])
    for digits, twelve, exact in (("latn", "12 ميغابايت", "10,485,761 بايت"),
                                  ("arab", "١٢ ميغابايت", "١٠٬٤٨٥٬٧٦١ بايت")):
        with app_with(digits).test_request_context("/ar/"):
            said = {name: desk_error(error) for name, error in errors.items()}
        assert twelve in said["big"] and exact in said["exact"] and "ميغابايت" in said["total"], said
        assert not any(word in text for text in said.values() for word in ("MB", "bytes")), said
    with app_with("arab").test_request_context("/en/"):
        assert desk_error(errors["big"]) == str(errors["big"])
