"""Options every `kb` command shares, and the one way a command opens the desk (`open_desk`), in a module of their
own so command modules registered on the `kb` group (sync, report, preview) can use them without importing the group.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kb.settings import Settings

if TYPE_CHECKING:
    from desk.desk import Desk


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


@contextmanager
def refusals(*also: type[Exception]) -> Iterator[None]:
    """Bad input refused by the desk (desk.tickets.InputError and its kinds, and any of `also`) ends the command as a
    `click.ClickException` with the refusal's English message, which names the field ("Error: email: ...", exit
    status 1). The desk refuses before it writes, so nothing is written."""
    from desk.tickets import InputError  # here: `kb --help` imports no SQLAlchemy

    refused: tuple[type[Exception], ...] = (InputError, *also)
    try:
        yield
    except refused as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def open_desk(settings: Settings, *also: type[Exception]) -> Iterator[Desk]:
    """The desk for one command: opened from `settings`, its refusals (`refusals`, with `also`) turned into the
    command's error, closed on the way out whatever happens."""
    from desk.desk import Desk  # here: `kb --help` and the search-side commands do not pay for the desk's imports

    with Desk(settings) as desk, refusals(*also):
        yield desk
