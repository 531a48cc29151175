"""The line-aware YAML reader of the desk's rule files (content/_triggers.yml, _ticket_fields.yml,
_business_hours.yml): plain Python values whose mappings and lists remember their lines, so a refusal names the
file, the line and the field.

One reader for the three: each file's own module checks the values and words its errors (kb.triggers,
kb.ticket_fields, desk.business_hours); this one only reads. Booleans are YAML 1.2's, `true` and `false` alone:
YAML 1.1 reads the key `on:` as True and `no` as False, which a rule file means as words.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

# A rule file larger than this is refused unread: the YAML reader is pure Python (about a second a 100 KB on a busy
# core), and the admin page and `kb doctor` read the files at every call. The demo's largest is under 10 KB.
MAX_RULE_FILE_BYTES = 1024 * 1024


def rule_file_bytes(path: Path) -> bytes:
    """A rule file's bytes, refused (an OSError whose words say why) unless it is a regular file of at most
    MAX_RULE_FILE_BYTES: a FIFO blocked the reader for good and a link to /dev/zero read until memory ran out (the
    admin page's GET, `kb doctor`, every request's rule check); a directory is IsADirectoryError, as reading it was."""
    mode = os.stat(path).st_mode  # follows a link: a link to a regular file is read
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file (a device, a pipe or a socket)", str(path))
    with open(path, "rb") as handle:
        data = handle.read(MAX_RULE_FILE_BYTES + 1)
    if len(data) > MAX_RULE_FILE_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_RULE_FILE_BYTES // 1024} KB", str(path))
    return data


def rule_file_text(path: Path) -> str:
    """`rule_file_bytes` as UTF-8 text (UnicodeDecodeError when it is not, as `Path.read_text` raised)."""
    return rule_file_bytes(path).decode("utf-8")


class FileLineError(ValueError):
    """A content file refused where it is wrong: `path`, `line` (1-based) and the words, read as "path:line: words"
    (the form `kb lint` and the desk's logs print)."""

    def __init__(self, path: str, line: int, words: str) -> None:
        super().__init__(f"{path}:{line}: {words}")
        self.path, self.line = path, line


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers its own line and each key's (1-based)."""

    line: int = 1
    lines: dict[Any, int]


class LineList(list[Any]):
    """A YAML list that remembers its own line and each item's (1-based)."""

    line: int = 1
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's booleans, building LineMap and LineList."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    # The mapping's own keys (a `<<: *alias` merge's may be overridden by them, as YAML means).
    own = {id(key_node) for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    found = LineMap()
    found.line, found.lines = node.start_mark.line + 1, {}
    written: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:  # `? [a, b]` or `{x: 1}: y`: a list or mapping as a key was a TypeError out of the desk's rule reload
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                    "found a list or mapping as a key", key_node.start_mark) from None
        if id(key_node) in own:
            # A key written twice (`key: plan` then `key: plans`): YAML's reader kept the last one silently, the rule
            # the writer read first was not the one the desk ran. Refused at the second, naming the first's line.
            if key in written:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"{key!r} is given twice (first on line {found.lines[key]})", key_node.start_mark)
            written.add(key)
        found[key] = loader.construct_object(value_node, deep=True)
        found.lines[key] = key_node.start_mark.line + 1
    return found


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    found = LineList(loader.construct_object(item, deep=True) for item in node.value)
    found.line, found.lines = node.start_mark.line + 1, [item.start_mark.line + 1 for item in node.value]
    return found


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)  # type: ignore[arg-type]
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)  # type: ignore[arg-type]


class YamlSyntaxError(ValueError):
    """The text is not YAML: `line` (1-based) is where the parser stopped, `problem` its first line of words."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"{line}: {problem}")
        self.line, self.problem = line, problem


def load_lines(text: str) -> Any:
    """The YAML text's value (None when empty), its mappings LineMap and its lists LineList; YamlSyntaxError names
    the line of a syntax error."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader that records lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # A constructor's first line is its context ("while constructing a mapping"): what is wrong is its problem.
        words = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
        raise YamlSyntaxError(mark.line + 1 if mark else 1, words) from None
    except RecursionError:  # "[[[[..." thousands deep: the parser's recursion, out of the desk's rule reload
        raise YamlSyntaxError(1, "nested too deeply") from None
    except ValueError as exc:  # a value YAML resolves but Python cannot build: 2020-02-30, an int of 5,000 digits
        raise YamlSyntaxError(1, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def line_of(value: object, default: int = 1) -> int:
    """A value's own line when it knows it (a LineMap, a LineList), else `default`."""
    return value.line if isinstance(value, LineMap | LineList) else default


def line_at(root: object, path: list[object]) -> int:
    """The line of the deepest part of `path` (keys of mappings, 0-based positions in lists) found under `root`:
    where a refusal that names that field points."""
    line, here = line_of(root), root
    for step in path:
        found = ((isinstance(here, LineMap) and step in here)
                 or (isinstance(here, LineList) and isinstance(step, int) and 0 <= step < len(here)))
        if not found:
            break
        line, here = here.lines[step], here[step]  # type: ignore[attr-defined,index]
    return line
