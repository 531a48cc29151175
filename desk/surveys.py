"""Satisfaction surveys: one opened on every solve, answered 1-5 with an optional comment.

The customer answers through an unguessable token (in the solved mail and on their ticket page).
One answer per solve, changeable for `CHANGE_WINDOW` after the first answer, so a mis-click can be
mended without a week-old mood rewriting the figures later. The dashboard reads the table as is.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from desk.database import Database, lock_row
from desk.models import CsatSurvey, Ticket, utcnow
from desk.translatable import N_, TranslatableError

CHANGE_WINDOW = timedelta(days=7)
MAX_COMMENT = 5000


class SurveyError(TranslatableError):
    """A survey answer that cannot be recorded; `field` names what to fix (English in `str()`,
    translated by the survey page)."""


def open_survey(session: Session, ticket: Ticket, agent_id: int | None, now: datetime) -> CsatSurvey:
    """A new survey for this solve, counted toward the assignee (else the agent who solved it)."""
    survey = CsatSurvey(
        ticket_id=ticket.id, token=secrets.token_urlsafe(24), agent_id=ticket.assignee_id or agent_id, created_at=now
    )
    session.add(survey)
    session.flush()
    return survey


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def answerable(survey: CsatSurvey, now: datetime | None = None) -> bool:
    if survey.answered_at is None:
        return True
    return (now or utcnow()) - _aware(survey.answered_at) <= CHANGE_WINDOW


def _live(query: Select[CsatSurvey]) -> Select[CsatSurvey]:
    """The survey with its ticket read through the desk's rule (desk.models' `_live_tickets_only`): a deleted ticket's
    survey is gone as its page is (desk.trash): it takes no answer (a spam ticket's "rating" reaches no webhook), and
    a restore brings it back."""
    return query.join(Ticket, Ticket.id == CsatSurvey.ticket_id)


class Surveys:
    def __init__(self, db: Database) -> None:
        self.db = db

    def by_token(self, token: str) -> CsatSurvey | None:
        if not token or len(token) > 64:
            return None
        with self.db.session() as session:
            return session.scalar(_live(select(CsatSurvey).where(CsatSurvey.token == token)))

    def latest_for_ticket(self, ticket_id: int) -> CsatSurvey | None:
        with self.db.session() as session:
            return session.scalar(
                select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id).order_by(CsatSurvey.id.desc()).limit(1)
            )

    def answer(self, token: str, rating: object, comment: str = "", now: datetime | None = None) -> CsatSurvey:
        """Record (or change, within the window) the customer's rating; the first answer's time is kept."""
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise SurveyError("rating", N_("must be a whole number from 1 to 5"))
        comment = (comment or "").replace("\x00", "").strip()
        if len(comment) > MAX_COMMENT:
            raise SurveyError("comment", N_("is %(length)s characters long; the limit is %(limit)s"),
                              length=f"{len(comment):,}", limit=f"{MAX_COMMENT:,}")
        now = now or utcnow()

        def rate(session: Session) -> CsatSurvey:
            found = session.scalar(select(CsatSurvey.id).where(CsatSurvey.token == token))
            if found is not None:
                # Held first and read again: an erase of the customer at this moment (desk.erasure) dropped the
                # comment and replaced the token, and this answer then wrote the comment back (hostile31b); now it
                # waits, and then finds no such survey.
                lock_row(session, CsatSurvey, found)
            survey = session.scalar(_live(select(CsatSurvey).where(CsatSurvey.token == token))
                                    .execution_options(populate_existing=True))
            if survey is None:
                raise SurveyError("token", N_("no such survey"))
            if not answerable(survey, now):
                raise SurveyError("survey", N_("the answer can no longer be changed (one week after it was given)"))
            survey.rating = rating
            survey.comment = comment or None
            survey.answered_at = survey.answered_at or now
            return survey

        # Again while the database is busy (SQLite's one writer): the customer's rating waited one busy timeout and
        # was a "try again later" page.
        return self.db.write(rate)
