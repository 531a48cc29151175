"""What every test's new Flask app compiled again, compiled once per test process instead.

Most web tests build their own app (`create_app`), and each app compiled the same code anew: werkzeug generates and
compiles two URL-builder functions per route (about 160 routes: 0.1-0.2 s an app), and Jinja compiles each template
the app renders (0.02-0.05 s a template, a few per test). Both are pure functions of their input, so the tests share
the results, installed by tests/conftest.py:

- `shared_builder` over werkzeug's `Rule._compile_builder`: the generated function depends only on the rule's text,
  its parsed parts, its defaults (those in the URL as their converter writes them) and `append_unknown`, and takes
  the rule it serves as its first argument (werkzeug binds it to each rule), so one compiled function serves every
  app's copy of that rule.
- `SharedTemplateCode`, Jinja's own hook for this (a bytecode cache, given to every Flask app's environment through
  `Flask.jinja_options`): a template's compiled code is kept under its name, its file, its source's checksum (an
  edited template compiles again) and what of the environment compilation reads (extensions, filter and test names,
  syntax options), so an environment set up differently never gets another's code.

Routing, URL building and rendering run as before in every app; only the compiling of identical input is not repeated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import CodeType
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing import Rule

real_compile_builder = Rule._compile_builder
_BUILDERS: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    defaults = self.defaults or {}
    key = (self.rule, append_unknown, tuple(self._trace), tuple(defaults),
           tuple((name, self._converters[name].to_url(value)) for name, value in defaults.items()
                 if name in self._converters))
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = real_compile_builder(self, append_unknown)
    return builder


def compile_settings(environment: Environment) -> str:
    """What of `environment` a template's compiled code depends on, as a short digest."""
    autoescape = environment.autoescape
    described = (
        sorted(environment.extensions), sorted(environment.filters), sorted(environment.tests),
        environment.block_start_string, environment.block_end_string, environment.variable_start_string,
        environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
        environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
        environment.optimized, environment.is_async, environment.finalize is not None,
        getattr(autoescape, "__qualname__", autoescape), getattr(environment, "newstyle_gettext", None),
    )
    return hashlib.sha1(repr(described).encode()).hexdigest()


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for every Jinja environment of the process."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, CodeType]] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = f"{self.get_cache_key(name, filename)}:{compile_settings(environment)}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        kept = self._codes.get(key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._codes[bucket.key] = (bucket.checksum, bucket.code)

    def load_bytecode(self, bucket: Bucket) -> None:  # get_bucket reads the kept code itself
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:  # set_bucket keeps it
        pass
