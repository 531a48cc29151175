"""Options every `kb` command shares, in a module of their own so command modules registered on the
`kb` group (sync, report, preview) can use them without importing the group.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kb.settings import Settings


def location_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--content",
        "content_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Content directory (default: $KB_CONTENT_DIR or ./content).",
    )
    @click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data directory for the index and caches (default: $KB_DATA_DIR or ./var).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, content_dir: Path | None, data_dir: Path | None, **kwargs: Any) -> Any:
        settings = Settings.from_env(content_dir=content_dir, data_dir=data_dir)
        return command(*args, settings=settings, **kwargs)

    return wrapper
