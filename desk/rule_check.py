"""The desk's rule files as they are now, read and checked by one function, `read_rules`: content/_business_hours.yml
(teams, routing, assignment, due hours), content/_ticket_fields.yml, _customer_fields.yml, content/_triggers.yml and
the macros its rules send, checked against each other and against the agents, outbound webhooks and skills the
triggers name.

It is what a running desk's reload swaps in (desk.desk's `reload_rules`), what `kb doctor` reports and what the admin
page shows whichever process serves it: each process keeps its own reload refusal, the files are the same for all.
Each wrong file is one problem naming the file and the line (`path:line: what`; the business hours' own form
`path: what (line N)`); the triggers file is checked once the two files it names read well. It only reads: the
files, and the agents' emails and webhooks' names it is given (`desk_names`, `stored_names`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from desk.business_hours import CONFIG_FILE, BusinessHours, BusinessHoursError
from desk.database import Database, database_url
from desk.models import Agent, Skill, WebhookEndpoint
from desk.triggers import load_triggers
from kb.customer_fields import CUSTOMER_FIELDS_FILE, CustomerFields
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE, TicketFields
from kb.triggers import TRIGGERS_FILE, Trigger
from kb.yaml_lines import FileLineError

# The agents' emails, the outbound webhooks' names and the skills' folded names (desk.skills) a trigger may name
Names = tuple[set[str], set[str], set[str]]
T = TypeVar("T")


@dataclass(frozen=True)
class RulesRead:
    """The rule files as `read_rules` found them: the rules they give (None where a file is wrong, and the triggers
    also when a file they name is), and each wrong file's refusal, in the order business hours, ticket fields, customer
    fields, triggers."""

    hours: BusinessHours | None
    fields: TicketFields | None
    customer_fields: CustomerFields | None
    triggers: tuple[Trigger, ...] | None
    problems: tuple[Exception, ...]


def read_rules(settings: Settings, names: Names | None) -> RulesRead:
    """Read and check every rule file now. `names` (None: not checked) are the agents and webhooks a trigger may
    name; the desk at start, its reload and the admin page pass their database's (`desk_names`)."""
    content, languages = settings.content_dir, settings.languages
    problems: list[Exception] = []
    hours = _read(lambda: BusinessHours.load(content), content / CONFIG_FILE, problems)
    fields = _read(lambda: TicketFields.load(content, languages), content / FIELDS_FILE, problems)
    customer_fields = _read(lambda: CustomerFields.load(content, languages), content / CUSTOMER_FIELDS_FILE, problems)
    triggers = None
    if hours is not None and fields is not None and customer_fields is not None:
        emails, hooks, skills = names if names is not None else (None, None, None)
        triggers = _read(lambda: load_triggers(content, hours, languages, emails, hooks, fields, customer_fields,
                                               skills), content / TRIGGERS_FILE, problems)
    return RulesRead(hours, fields, customer_fields, triggers, tuple(problems))


def _read(load: Callable[[], T], path: Path, problems: list[Exception]) -> T | None:
    """`load()`, or None with its refusal added to `problems`; an unreadable file's OSError or UnicodeDecodeError
    (whose words name no file) becomes a refusal at the file's line 1."""
    try:
        return load()
    except (BusinessHoursError, FileLineError) as error:
        problems.append(error)
    except UnicodeDecodeError:
        problems.append(FileLineError(str(path), 1, "not UTF-8 text"))
    except OSError as error:
        problems.append(FileLineError(str(path), 1, f"cannot be read: {error.strerror or error}"))
    return None


def desk_names(db: Database) -> Names:
    """The agents' emails, the outbound webhooks' names and the skills' folded names of the desk's database (three
    reads)."""
    with db.session() as session:
        return (set(session.scalars(select(Agent.email))), set(session.scalars(select(WebhookEndpoint.name))),
                set(session.scalars(select(Skill.name_key))))


def stored_names(settings: Settings) -> tuple[Names | None, str]:
    """`desk_names` for a command that must not create or migrate the database (`kb doctor`): the names, or None and
    why they could not be read (no database yet, its tables not made, the server not answering)."""
    url = database_url(settings)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None, f"no desk database yet ({url.removeprefix('sqlite:///')})"
    db = Database.from_settings(settings)
    try:
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        if not {Agent.__tablename__, WebhookEndpoint.__tablename__, Skill.__tablename__} <= tables:
            return None, ("the desk database has no agents, webhooks or skills tables yet (the desk creates or "
                          "upgrades them at start)")
        return desk_names(db), ""
    except SQLAlchemyError as error:
        return None, f"the desk database cannot be read: {str(error).splitlines()[0][:200]}"
    finally:
        db.close()
