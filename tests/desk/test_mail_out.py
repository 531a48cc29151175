"""Mail out: the outbox queued in the same transaction, composed in the ticket's language, delivered
to a real SMTP server on loopback (aiosmtpd), retried with backoff while it is down, or written as
.eml files when no server is configured."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.mail_subject_fold import broken, subject_problems, subjects
from desk.desk import Desk
from desk.mail.compose import MAIL_POLICY
from desk.mail.outbox import deliver_pending, retry_delay
from desk.mail_suggestions import FoundArticle
from desk.models import CsatSurvey, MailSuggestion, OutboxMail, utcnow
from desk.tickets import MAX_SUBJECT, InputError, NewTicket
from kb.settings import Settings, SettingsError
from tests.conftest import database_url_for_tests
from tests.smtp_sink import SmtpSink, free_port
from webapp.mail_templates import EmailTemplates

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example")


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def deliver(desk: Desk, settings: Settings, **kwargs: object) -> int:
    return deliver_pending(desk.db, settings, EmailTemplates(settings), **kwargs)  # type: ignore[arg-type]


def arabic_ticket(desk: Desk):  # type: ignore[no-untyped-def]
    return desk.tickets.create(NewTicket(email="Omar@Example.com", name="عمر", subject="طلبي لم يصل",
                                         body="طلبي رقم 12345 لم يصل بعد، أرجو المساعدة"))


def bodies(mail) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def test_confirmation_reply_and_solve_reach_the_smtp_server_threaded(desk: Desk, settings: Settings,
                                                                       sink: SmtpSink) -> None:
    settings = replace(settings, smtp_url=sink.url)
    ticket = arabic_ticket(desk)
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "مرحبا، راجع [الدليل](https://help.manzil.example/ar/a) رقم 12345.")
    desk.tickets.update(ticket.id, status="solved")
    assert deliver(desk, settings) == 3
    confirmation, reply, solved = sink.messages
    assert [m["To"] for m in sink.messages] == ["omar@example.com"] * 3
    # One stable tag in every subject; the reply address carries the same unguessable token.
    tag = confirmation["Subject"].rsplit(" ", 1)[1]
    assert tag.startswith("[#mz-") and all(m["Subject"].endswith(tag) for m in sink.messages)
    assert "طلبي لم يصل" in reply["Subject"] and reply["Reply-To"] == f"support+{tag[5:-1]}@manzil.example"
    assert reply["In-Reply-To"] == confirmation["Message-ID"]
    assert solved["References"].split() == [confirmation["Message-ID"], reply["Message-ID"]]
    text, html = bodies(confirmation)
    assert ticket.reference in text and f"https://help.manzil.example/ar/tickets/{ticket.reference}" in html
    assert "12345" in text  # a short copy of their message
    assert "الرقم المرجعي:" in text and reply["Subject"].startswith("رد: طلبي لم يصل")  # the ticket's language
    text, html = bodies(reply)
    assert '<html lang="ar" dir="rtl">' in html and '<p dir="auto">' in html
    assert '<a href="https://help.manzil.example/ar/a">الدليل</a>' in html and "سارة" in text and "سارة" in html
    assert reply["Auto-Submitted"] is None and confirmation["Auto-Submitted"] == "auto-generated"
    text, html = bodies(solved)
    survey = desk.surveys.latest_for_ticket(ticket.id)
    assert survey is not None and survey.sent_at is not None
    assert f"https://help.manzil.example/ar/survey/{survey.token}?rating=5" in html
    assert deliver(desk, settings) == 0  # nothing sent twice


def test_internal_notes_are_never_mailed_and_imports_get_no_confirmation(desk: Desk, settings: Settings) -> None:
    desk.tickets.create(NewTicket(email="a@example.com", subject="Old", body="From the old desk",
                                  created=utcnow() - timedelta(days=30), notify=False))
    with desk.db.session() as session:
        assert session.scalar(select(OutboxMail)) is None
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="New", body="Help", channel="phone"))
    with desk.db.session() as session:
        assert session.scalar(select(OutboxMail).where(OutboxMail.ticket_id == ticket.id)) is None


def test_a_reply_that_solves_carries_the_survey_in_one_mail(desk: Desk, settings: Settings) -> None:
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is my refund?"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket.id, agent.id, "It went out today.", status="solved")
    kinds = [m.kind for m in desk.outbox.for_ticket(ticket.id)]
    assert kinds == ["confirmation", "reply"]
    assert desk.outbox.for_ticket(ticket.id)[1].survey_id is not None
    with desk.db.session() as session:
        assert session.scalar(select(CsatSurvey.agent_id).where(CsatSurvey.ticket_id == ticket.id)) == agent.id


def test_a_failed_reply_queues_nothing(desk: Desk, settings: Settings) -> None:
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is my refund?"))
    with pytest.raises(InputError):
        desk.tickets.reply(ticket.id, 1, "   ")
    assert [m.kind for m in desk.outbox.for_ticket(ticket.id)] == ["confirmation"]


def test_smtp_down_queues_then_delivers_when_the_server_starts(desk: Desk, settings: Settings) -> None:
    port = free_port()
    settings = replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is my refund?"))
    assert deliver(desk, settings) == 0
    [row] = desk.outbox.for_ticket(ticket.id)
    assert row.status == "queued" and row.attempts == 1 and "Connection" in (row.last_error or "")
    state = desk.outbox.states_for_ticket(ticket.id)[row.message_id or 0]
    assert state.status == "queued" and state.last_error
    # Backoff: not retried before its time, then delivered once the server is up.
    assert deliver(desk, settings) == 0 and desk.outbox.for_ticket(ticket.id)[0].attempts == 1
    sink = SmtpSink(port).start()
    try:
        assert deliver(desk, settings, now=utcnow() + retry_delay(1) + timedelta(seconds=1)) == 1
        assert len(sink.messages) == 1 and "Refund" in sink.messages[0]["Subject"]
    finally:
        sink.stop()
    [row] = desk.outbox.for_ticket(ticket.id)
    assert row.status == "sent" and row.last_error is None and row.attempts == 2


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(30) == timedelta(hours=6)


def test_without_smtp_each_mail_is_an_eml_file(desk: Desk, settings: Settings) -> None:
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is my refund?",
                                           lang="en"))
    assert deliver(desk, settings) == 1
    [eml] = (settings.data_dir / "outbox-eml").glob("*.eml")
    text = eml.read_text("utf-8")
    assert "Subject: We received your message: Refund [#mz-" in text and ticket.reference in text
    assert "multipart/alternative" in text


def test_permanent_refusal_fails_with_the_reason(desk: Desk, settings: Settings) -> None:
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 no such user"

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ticket = desk.tickets.create(NewTicket(email="nobody@example.com", subject="Refund", body="Where?"))
        assert deliver(desk, replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")) == 0
    finally:
        controller.stop()
    [row] = desk.outbox.for_ticket(ticket.id)
    assert row.status == "failed" and "no such user" in (row.last_error or "")


def test_a_mail_that_cannot_be_composed_waits_and_the_others_go(desk: Desk, settings: Settings) -> None:
    first = desk.tickets.create(NewTicket(email="a@example.com", subject="One", body="First", lang="en"))
    second = desk.tickets.create(NewTicket(email="b@example.com", subject="Two", body="Second", lang="en"))
    templates = EmailTemplates(settings)

    class Fussy:
        def render(self, content):  # type: ignore[no-untyped-def]
            if content.subject == "One":
                raise KeyError("missing-template-variable")
            return templates.render(content)

    assert deliver_pending(desk.db, settings, Fussy()) == 1
    [waiting] = desk.outbox.for_ticket(first.id)
    assert waiting.status == "queued" and "could not compose" in (waiting.last_error or "")
    assert desk.outbox.for_ticket(second.id)[0].status == "sent"


def test_a_reply_the_agent_signed_is_not_signed_twice(settings: Settings) -> None:
    """A sent draft ends with its own closing ("مع أطيب التحيات،", the agent, the team); the mail added
    the agent's name and the help center's again under it (the audit's customer mail had two)."""
    from desk.mail.compose import MailContent

    templates = EmailTemplates(settings)
    signed = "مرحبًا عمر،\n\nراجع الدليل.\n\nمع أطيب التحيات،\nسارة\nفريق خدمة عملاء منزل"
    mail = templates.render(MailContent(kind="reply", lang="ar", body=signed,
                                        agent_name="سارة", reference="R1"))
    assert mail.text.count("سارة") == 1 and "Manzil Help Center\n\n" not in mail.text.split("فريق خدمة عملاء منزل")[1]
    assert mail.html.count("سارة") == 1
    unsigned = templates.render(MailContent(kind="reply", lang="ar",
                                            body="راجع الدليل.", agent_name="سارة", reference="R1"))
    assert unsigned.text.count("سارة") == 1 and unsigned.html.count("سارة") == 1  # an unsigned reply gets the name


def test_an_arabic_mail_names_the_help_center_in_arabic(desk: Desk, settings: Settings, tmp_path: Path) -> None:
    """The Arabic reply signed and footed with "Manzil Help Center" (the From name) where the Arabic
    pages say "مركز مساعدة منزل"; the From header's name too since mailtext41 (RFC 2047)."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "_theme.yml").write_text("name: {en: Manzil Help Center, ar: مركز مساعدة منزل}\n", "utf-8")
    settings = replace(settings, content_dir=content)
    ticket = arabic_ticket(desk)
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "راجع الدليل.")
    assert deliver(desk, settings) == 2
    for path in sorted((settings.data_dir / "outbox-eml").glob("*.eml")):
        text = path.read_text("utf-8")
        assert "Manzil Help Center" not in text.split("\n\n", 1)[0]  # the From header
        assert text.startswith("From: =?utf-8?b?2YXYsdmD2LIg2YXYs9in2LnYr9ipINmF2YbYstmE?=\n <support@")
    from desk.mail.compose import MailContent

    mail = EmailTemplates(settings).render(MailContent(kind="reply", lang="ar",
                                                       body="راجع الدليل.", agent_name="سارة", reference="R1"))
    assert "Manzil Help Center" not in mail.text and "Manzil Help Center" not in mail.html
    assert mail.text.count("مركز مساعدة منزل") == 2  # under the agent's name and in the footer
    english = EmailTemplates(settings).render(MailContent(kind="reply", lang="en",
                                                          body="See the guide.", agent_name="Sara", reference="R1"))
    assert "Manzil Help Center" in english.text


def test_every_field_the_mail_content_carries_is_read_by_the_renderer_or_a_template() -> None:
    """A field nobody reads misleads the next reader: `help_center` was still filled from the From name
    after the templates took the help center's name in the mail's language (`help_center_name`)."""
    from dataclasses import fields

    from desk.mail.compose import MailContent

    templates = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "webapp" / "templates" / "email").iterdir()))
    renderer = (ROOT / "webapp" / "mail_templates.py").read_text("utf-8")
    unread = [f.name for f in fields(MailContent)
              if not re.search(rf"\bm\.{f.name}\b", templates) and not re.search(rf"\bcontent\.{f.name}\b", renderer)]
    assert unread == []


def test_the_html_mail_keeps_the_replys_line_breaks(settings: Settings) -> None:
    """An agent types in a textarea: "Regards,\\nSara\\nManzil team" and a tracking line under the sentence
    were one run-on line in the HTML part (CommonMark reads a single newline as a space); the text part had them."""
    from desk.mail.compose import MailContent

    body = "Hi Sam,\n\nYour order ships today.\nTracking: 123\n\nمع أطيب التحيات،\nسارة\nفريق منزل"
    mail = EmailTemplates(settings).render(MailContent(kind="reply", lang="ar", body=body, agent_name="سارة",
                                                       reference="R1"))
    assert "Your order ships today.<br />\nTracking: 123" in mail.html
    assert "مع أطيب التحيات،<br />\nسارة<br />\nفريق منزل" in mail.html
    assert "<script>" not in EmailTemplates(settings).markdown("a\n<script>x</script>")


@pytest.mark.parametrize(("digits", "shown"), [("latin", "7 ديسمبر 2026، 2:22 ص (غرينتش+03:00)"),
                                               ("arab", "٧ ديسمبر ٢٠٢٦، ٢:٢٢ ص (غرينتش+٠٣:٠٠)")])
def test_a_replys_time_reads_as_the_customers_page_shows_it(settings: Settings, digits: str, shown: str) -> None:
    """Babel's medium Arabic format was numeric with seconds and direction marks ("06‏/12‏/2026، 11:22:12 م")
    under the reply in the mail, while the customer's ticket page says "6 ديسمبر 2026، 11:22 م"; both now show the help
    center's zone, named (the demo's default team is in Asia/Riyadh: 23:22 UTC is 2:22 the next morning there;
    tests/webapp/test_customer_times.py has zones of its own)."""
    from desk.mail.compose import MailContent

    sent = datetime(2026, 12, 6, 23, 22, 12, tzinfo=UTC)
    mail = EmailTemplates(replace(settings, digits=digits)).render(MailContent(
        kind="reply", lang="ar", body="وصل طلبك", agent_name="سارة", reference="R1", sent_at=sent))
    assert f"<bdi>{shown}</bdi>" in mail.html
    english = EmailTemplates(settings).render(MailContent(kind="reply", lang="en", body="It came", agent_name="Sara",
                                                          reference="R1", sent_at=sent))
    assert "<bdi>Dec 7, 2026, 2:22 AM (GMT+03:00)</bdi>" in english.html


def test_a_customers_bidi_controls_never_reach_a_mails_subject_or_greeting(desk: Desk, settings: Settings) -> None:
    """A subject "\\u202eRefund" made the confirmation's subject line "We received your message: <RLO>Refund
    [#mz-...]": every mail client showed the thread tag reversed, and "Hello <RLO>Sam," reversed the rest of
    the greeting. A mail has no <bdi>; the controls are dropped there (the ticket keeps what was sent)."""
    from email import message_from_bytes
    from email.policy import default

    from kb.bidi_text import BIDI_CONTROLS

    ticket = desk.tickets.create(NewTicket(email="sam@example.com", name="\u202eSam\u200f", lang="en",
                                           subject="\u202eRefund\u2066", body="Where is my refund?"))
    assert deliver(desk, settings) == 1
    [eml] = (settings.data_dir / "outbox-eml").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=default)
    text, html = bodies(mail)
    assert mail["Subject"].startswith("We received your message: Refund [#mz-")
    assert not BIDI_CONTROLS & set(mail["Subject"] + text + html)
    assert "Sam" in text and desk.tickets.get(ticket.id).subject == "\u202eRefund\u2066"


def test_an_agents_own_bidi_controls_are_dropped_when_saved_and_when_mailed(desk: Desk, settings: Settings) -> None:
    """Session 14: an agent named "\\u202eSara" signed the reply mail "<RLO>Sara" under the agent's text (plain text,
    no <bdi>), reversing the help center's line after it. The desk drops the controls when the name is saved; a name
    saved before that is cleaned when the mail is composed."""
    from email import message_from_bytes
    from email.policy import default

    from desk.models import Agent
    from kb.bidi_text import BIDI_CONTROLS

    sara = desk.accounts.create_agent("sara@manzil.example", "a long password", name="\u202eSara\u200f Haddad")
    assert sara.name == "Sara Haddad"
    assert desk.accounts.create_agent("omar@manzil.example", "a long password", name="\u2067\u200e").name == "omar"
    with desk.db.session() as session:  # as stored by an older version
        session.get(Agent, sara.id).name = "\u202eSara\u2066"  # type: ignore[union-attr]
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", lang="en", subject="Refund",
                                           body="Where is my refund?", notify=False))
    desk.tickets.reply(ticket.id, sara.id, "It went out today.")
    assert deliver(desk, settings) == 1
    [eml] = (settings.data_dir / "outbox-eml").glob("*.eml")
    text, html = bodies(message_from_bytes(eml.read_bytes(), policy=default))
    assert "Sara" in text and "Sara" in html
    assert not BIDI_CONTROLS & set(text + html)


LONG_ARABIC = "طلبي لم يصل بعد وأنا أنتظر منذ أسبوعين كاملين ولم يتواصل معي أحد من فريق الدعم"
LONG_ENGLISH = "My order has not arrived yet and I have been waiting for two full weeks now without any word"
# "Re: " + this + the 22-character tag is 74 characters: too long for the line after "Subject: ", short enough
# for a line of its own, where CPython 3.11's folder moved it, and the reader kept the blank it began with.
ENGLISH_REPLY = "Where is the refund for the jacket I sent back?"
MIXED = "Refund for order 12345 لم يصل المبلغ إلى حسابي بعد مرور عشرة أيام on my Visa card please help"
PREFIXES = {"ar": ("تلقّينا رسالتك: ", "رد: "), "en": ("We received your message: ", "Re: ")}


@pytest.fixture(params=[False, True], ids=["plain-server", "smtputf8-server"])
def any_sink(request: pytest.FixtureRequest) -> Iterator[SmtpSink]:
    started = SmtpSink(smtputf8=request.param).start()
    yield started
    started.stop()


@pytest.mark.parametrize(("subject", "lang"), [
    (LONG_ARABIC, "ar"),
    (LONG_ENGLISH, "en"),
    (ENGLISH_REPLY, "en"),
    (MIXED, "ar"),
    # The longest subject a ticket takes, every character two bytes in UTF-8.
    (((LONG_ARABIC + " ") * 4)[:MAX_SUBJECT], "ar"),
], ids=["long-arabic", "long-english", "english-reply", "mixed", "max-subject-arabic"])
def test_a_long_subject_reaches_the_smtp_server_as_it_was_sent(desk: Desk, settings: Settings, any_sink: SmtpSink,
                                                               subject: str, lang: str) -> None:
    """The confirmation's and the reply's Subject, through a real SMTP server that does or does not announce
    SMTPUTF8, read back exactly. Folded at 78 by CPython 3.11.7's email package (gh-144156), "معي أحد" arrived as
    "معيأحد" and an English "Re: ..." began with a blank; folded at 998 (session 17) the encoded words grew to 240+
    characters, past RFC 2047's 75. SMTPUTF8 is never asked for: the header stays ASCII, as every next hop takes."""
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject=subject, body="أين طلبي؟",
                                           lang=lang))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "وصل طلبك.")
    assert deliver(desk, replace(settings, smtp_url=any_sink.url)) == 2
    tag = any_sink.messages[0]["Subject"].rsplit(" ", 1)[1]
    assert tag.startswith("[#mz-") and len(tag) == 22
    for raw, prefix in zip(any_sink.raw, PREFIXES[lang], strict=True):
        assert raw.split(b"\r\n\r\n")[0].isascii()  # RFC 2047 encoded words, never raw UTF-8
        assert subject_problems(raw, f"{prefix}{subject} {tag}") == []
    assert any_sink.smtputf8 == [False, False]


def test_no_subject_up_to_max_subject_loses_or_gains_a_blank_on_the_way() -> None:
    """The sink test above for every third length, without a server: built with compose's policy, written out and
    read back as the outbox does, flattened as smtplib sends it, read by both readers. Main before this: 753 of
    these 800 broken (folded at 998, encoded words past 75 characters); bench/mail_subject_fold.py counts more."""
    cases = subjects(step=3, prefixes=("تلقّينا رسالتك: ", "Re: "), words=("يصل", "𝒜𝒜 𝒜", "ok", "é"))
    assert len(cases) == 800 and broken(MAIL_POLICY, cases) == []


def test_a_mail_stored_by_the_previous_version_is_refolded_when_sent() -> None:
    """A queued mail composed before this change (headers folded at 998, one encoded word of 240+ characters) is
    stored as text; read back with MAIL_POLICY, its over-long Subject line is refolded by `EncodedSubject`."""
    from email import message_from_string
    from email.message import EmailMessage
    from email.policy import SMTP

    subject = "تلقّينا رسالتك: " + LONG_ARABIC + " [#mz-abcdefghijklmnop]"
    old = EmailMessage(policy=SMTP)
    old["Subject"] = subject
    old.set_content("x")
    stored = old.as_string(policy=SMTP.clone(max_line_length=998))
    assert subject_problems(stored.encode(), subject) != []
    assert subject_problems(bytes(message_from_string(stored, policy=MAIL_POLICY)), subject) == []


def test_a_slow_article_search_sends_the_acknowledgement_without_suggestions(
        desk: Desk, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """The acknowledgement's article search had no time bound: a slow index held the acknowledgement as long as it
    took. Past KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS it goes without them (logged), and while that search is still
    running no other starts (the next acknowledgement goes without too, nothing piles up)."""
    release, started = threading.Event(), threading.Event()
    article = FoundArticle("en/refund-timing", "When will my refund arrive?", "", "Refunds take 5-10 days.")

    def slow(subject: str, messages: Sequence[str], lang: str, limit: int) -> list[FoundArticle]:
        started.set()
        release.wait(60)  # an index that does not answer (released below, when the test is done)
        return [article]

    class Quick:  # as desk.mail_suggestions.PublicFinder: `prepare` builds the engine, on the composing thread
        def __init__(self) -> None:
            self.threads: list[str] = []

        def prepare(self) -> None:
            self.threads.append(f"prepare on {threading.current_thread().name}")

        def __call__(self, subject: str, messages: Sequence[str], lang: str, limit: int) -> list[FoundArticle]:
            self.threads.append(f"search on {threading.current_thread().name}")
            return [article]

    quick = Quick()

    bounded = replace(settings, mail_suggestions_timeout_seconds=0.05)
    first = desk.tickets.create(NewTicket(email="maya@example.com", subject="Refund", body="Where is my refund?"))
    try:
        with caplog.at_level(logging.WARNING, logger="desk.mail_suggestions"):
            assert deliver(desk, bounded, finder=slow) == 1
            assert started.is_set() and not release.is_set()  # it went while the search was still running
            second = desk.tickets.create(NewTicket(email="omar@example.com", subject="Refund", body="And mine?"))
            assert deliver(desk, bounded, finder=quick) == 1  # the slow one has not ended: no second search
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name.startswith("mail-suggestions"):
                thread.join()
    with desk.db.session() as s:
        sent = {row.ticket_id: (row.status, row.raw or "") for row in s.scalars(select(OutboxMail))}
        assert s.scalars(select(MailSuggestion)).all() == []
    for ticket in (first, second):
        status, raw = sent[ticket.id]
        assert status == "sent" and ticket.reference in raw and "/suggested/" not in raw
    assert f"no suggested articles for ticket {first.id}: the search took longer than 0.05 s" in caplog.text
    assert f"no suggested articles for ticket {second.id}: an earlier search is still running" in caplog.text
    third = desk.tickets.create(NewTicket(email="sam@example.com", subject="Refund", body="Mine too?"))
    assert deliver(desk, bounded, finder=quick) == 1  # the slow one ended: searched again
    assert [s.article_key for s in desk.mail_suggestions.for_ticket(third.id)] == ["en/refund-timing"]
    main = threading.current_thread().name
    assert quick.threads == [f"prepare on {main}", f"prepare on {main}", "search on mail-suggestions"]
    with pytest.raises(SettingsError, match="KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS"):
        Settings.from_env({"KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS": "0"})
