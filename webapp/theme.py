"""The help center's brand from `content/_theme.yml`: name per language, logo, colours.

A company re-brands by editing that file (the writers' repository), not the templates: the
colours become CSS custom properties on every page, the name heads every page and title. A
missing file or key falls back to the defaults below; a malformed file is an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

THEME_FILE = "_theme.yml"
DEFAULT_NAMES = {"en": "Help Center", "ar": "مركز المساعدة"}
DEFAULT_COLORS = {"accent": "#0b6e4f", "accent_dark": "#5ed3a6", "hero": "#0b6e4f"}
_COLOR = re.compile(r"^#[0-9a-fA-F]{3,8}$|^[a-z]+$")


class ThemeError(ValueError):
    """The theme file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Theme:
    names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMES))
    short_names: dict[str, str] = field(default_factory=dict)
    logo: str | None = None
    colors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLORS))

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()), "")

    def short_name(self, lang: str) -> str:
        return self.short_names.get(lang) or self.name(lang)

    def css_variables(self) -> str:
        """`--accent: #0b6e4f; ...` for the page's <style> (values were checked as colours)."""
        return "; ".join(f"--theme-{key.replace('_', '-')}: {value}" for key, value in sorted(self.colors.items()))


_LOADED: dict[Path, tuple[int, Theme]] = {}


def current_theme(content_dir: Path) -> Theme:
    """`load_theme`, re-read only when the file changes: the theme heads every page, and parsing
    YAML on each request is work for nothing."""
    path = content_dir / THEME_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return Theme()
    cached = _LOADED.get(path)
    if cached is None or cached[0] != stamp:
        cached = _LOADED[path] = (stamp, load_theme(content_dir))
    return cached[1]


def load_theme(content_dir: Path) -> Theme:
    path = content_dir / THEME_FILE
    if not path.is_file():
        return Theme()
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ThemeError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ThemeError(f"{path}: expected keys name, short_name, logo, colors")
    colors = dict(DEFAULT_COLORS)
    for key, value in (data.get("colors") or {}).items():
        if not isinstance(value, str) or not _COLOR.match(value.strip()):
            raise ThemeError(f"{path}: colors.{key} must be a CSS colour like #0b6e4f, not {value!r}")
        colors[str(key)] = value.strip()
    return Theme(
        names={**DEFAULT_NAMES, **_per_language(path, data, "name")},
        short_names=_per_language(path, data, "short_name"),
        logo=str(data["logo"]) if data.get("logo") else None,
        colors=colors,
    )


def _per_language(path: Path, data: dict, key: str) -> dict[str, str]:
    value = data.get(key) or {}
    if isinstance(value, str):
        return {"en": value, "ar": value}
    if not isinstance(value, dict):
        raise ThemeError(f"{path}: {key} must be a text or a mapping of language to text")
    return {str(k): str(v) for k, v in value.items()}
