"""Notices: a lead's announcement of a known issue ("card payments failing since 10:00; we are on
it"), in one or both languages, shown on the help-center home and above the results of searches
that mention one of its terms, until its end time. Every notice stays in the table after it ends,
so the reports show what customers were told and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.database import Database
from desk.models import Notice, utcnow
from desk.query_text import normalise_query
from desk.tickets import InputError, plain_text
from desk.translatable import N_

MAX_TEXT = 500
MAX_TERMS = 500
MAX_DAYS = 90


@dataclass(frozen=True)
class NoticeRow:
    id: int
    text_en: str
    text_ar: str
    terms: str
    starts_at: datetime
    ends_at: datetime
    active: bool


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def terms_of(notice: Notice) -> list[str]:
    return [t for t in (normalise_query(part) for part in notice.terms.split(",")) if t]


class Notices:
    def __init__(self, db: Database) -> None:
        self.db = db

    def publish(self, text_en: str, text_ar: str, ends_at: datetime, terms: str = "",
                agent_id: int | None = None, now: datetime | None = None) -> Notice:
        """Check every field before writing: a notice customers see must be whole."""
        now = _utc(now or utcnow())
        texts = {"text_en": plain_text(text_en or ""), "text_ar": plain_text(text_ar or "")}  # NUL dropped, as tickets
        if not any(texts.values()):
            raise InputError("text", N_("write the notice in English, Arabic or both"))
        for field, text in texts.items():
            if len(text) > MAX_TEXT:
                raise InputError(field, N_("is %(length)s characters long; the limit is %(limit)s"),
                                 length=f"{len(text):,}", limit=MAX_TEXT)
        terms = ", ".join(t.strip() for t in plain_text(terms or "").split(",") if t.strip())
        if len(terms) > MAX_TERMS:
            raise InputError("terms", N_("is %(length)s characters long; the limit is %(limit)s"),
                             length=f"{len(terms):,}", limit=MAX_TERMS)
        ends_at = _utc(ends_at)
        if ends_at <= now:
            raise InputError("ends_at", N_("must be in the future"))
        if ends_at > now + timedelta(days=MAX_DAYS):
            raise InputError("ends_at", N_("must be within %(days)s days"), days=MAX_DAYS)

        def write(session: Session) -> Notice:
            notice = Notice(text_en=texts["text_en"] or None, text_ar=texts["text_ar"] or None, terms=terms,
                            starts_at=now, ends_at=ends_at, agent_id=agent_id, created_at=now)
            session.add(notice)
            return notice

        return self.db.write(write)  # again while the database is busy

    def end(self, notice_id: int, now: datetime | None = None) -> bool:
        """Take a notice down now (the record stays)."""
        now = _utc(now or utcnow())

        def write(session: Session) -> bool:
            notice = session.get(Notice, notice_id)
            if notice is None or _utc(notice.ends_at) <= now:
                return False
            notice.ends_at = now
            return True

        return self.db.write(write)  # again while the database is busy

    def active(self, lang: str, now: datetime | None = None) -> list[Notice]:
        """Notices live now that have a text in `lang`, newest first."""
        now = _utc(now or utcnow())
        with self.db.session() as session:
            found = session.scalars(select(Notice).where(Notice.starts_at <= now, Notice.ends_at > now)
                                    .order_by(Notice.id.desc())).all()
        return [n for n in found if n.text(lang)]

    def matching(self, query: str, lang: str, now: datetime | None = None) -> list[Notice]:
        """Live notices one of whose terms the search contains (case and spacing ignored)."""
        text = normalise_query(query)
        return [n for n in self.active(lang, now) if any(term in text for term in terms_of(n))]

    def rows(self, since: datetime | None = None, now: datetime | None = None) -> list[NoticeRow]:
        now = _utc(now or utcnow())
        query = select(Notice).order_by(Notice.id.desc())
        if since is not None:
            query = query.where(Notice.ends_at >= since)
        with self.db.session() as session:
            found = session.scalars(query).all()
        return [NoticeRow(n.id, n.text_en or "", n.text_ar or "", n.terms, _utc(n.starts_at), _utc(n.ends_at),
                          _utc(n.starts_at) <= now < _utc(n.ends_at)) for n in found]
