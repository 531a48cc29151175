"""The support desk assembled from `Settings`: database, tickets, accounts and events, wired once.

The counterpart of `copilot.engine.Engine` for everything stored in SQL; the CLI and the web app
both open it here, and opening it brings the schema up to date.
"""

from __future__ import annotations

from functools import cached_property

from desk.accounts import Accounts
from desk.database import Database
from desk.events import Events
from desk.notices import Notices
from desk.tickets import TicketStore
from kb.settings import Settings


class Desk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.db.upgrade()

    @cached_property
    def tickets(self) -> TicketStore:
        return TicketStore(self.db, self.settings.languages)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.db)

    @cached_property
    def events(self) -> Events:
        return Events(self.db)

    @cached_property
    def notices(self) -> Notices:
        return Notices(self.db)

    def close(self) -> None:
        self.db.close()
