"""tests/app_compiles.py: the apps of one test process share compiled URL builders and templates, and get the same
URLs and pages as from their own compiling; an environment set up differently, or an edited template, compiles anew."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from jinja2 import DictLoader, Environment, TemplateAssertionError
from werkzeug.routing import Map, Rule

from tests.app_compiles import SharedTemplateCode, real_compile_builder

pytestmark = pytest.mark.no_database


def test_two_maps_share_a_rules_builder_and_build_what_its_own_would() -> None:
    def rules() -> list[Rule]:
        return [Rule("/t/<int:ticket>/", endpoint="ticket"),
                Rule("/h/<lang>/", endpoint="home", defaults={"lang": "en"}),
                Rule("/h/<lang>/", endpoint="home"), Rule("/a/<path:rest>", endpoint="file")]

    first, second = Map(rules()), Map(rules())
    one, other = next(first.iter_rules()), next(second.iter_rules())
    assert one is not other and one._build_unknown.__func__ is other._build_unknown.__func__  # type: ignore[attr-defined]
    adapter = second.bind("example.com")
    for rule in second.iter_rules():  # the builder werkzeug compiles for this rule alone, bound to it
        rule._build_unknown = real_compile_builder(rule, True).__get__(rule, None)  # type: ignore[attr-defined]
    own = [adapter.build("ticket", {"ticket": 7, "q": "x y"}), adapter.build("home", {}),
           adapter.build("home", {"lang": "ar"}), adapter.build("file", {"rest": "a b/c"})]
    shared = first.bind("example.com")
    assert [shared.build("ticket", {"ticket": 7, "q": "x y"}), shared.build("home", {}),
            shared.build("home", {"lang": "ar"}), shared.build("file", {"rest": "a b/c"})] == own
    assert own == ["/t/7/?q=x+y", "/h/en/", "/h/ar/", "/a/a%20b/c"]


def test_an_environment_without_a_filter_is_refused_the_code_one_with_it_compiled() -> None:
    shared = SharedTemplateCode()
    templates = {"page.html": "{{ name | shout }}"}
    with_filter = Environment(loader=DictLoader(templates), bytecode_cache=shared)
    with_filter.filters["shout"] = str.upper
    assert with_filter.get_template("page.html").render(name="hi") == "HI"
    without = Environment(loader=DictLoader(templates), bytecode_cache=shared)
    with pytest.raises(TemplateAssertionError, match="shout"):
        without.get_template("page.html")


def test_an_edited_template_compiles_again(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("one {{ n }}", "utf-8")
    first, second = Flask("first", root_path=str(tmp_path)), Flask("second", root_path=str(tmp_path))
    assert isinstance(first.jinja_env.bytecode_cache, SharedTemplateCode)  # the conftest gives every app the cache
    with first.app_context():
        assert first.jinja_env.get_template("page.html").render(n=1) == "one 1"
    page.write_text("two {{ n }}", "utf-8")
    with second.app_context():
        assert second.jinja_env.get_template("page.html").render(n=2) == "two 2"
