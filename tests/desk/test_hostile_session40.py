"""Session 40's hostile input against the desk (hostile40): `kb tickets import` (a byte order mark, a declared
language that is not text, .NET's missing date 0001-01-01, a number past what Python reads) and skills changed by two
requests at once (a skill deleted while a ticket or an agent is being given it, the same name added twice). Each test
failed before its fix (its docstring says how), on both engines: `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, select

from desk import skills as skills_module
from desk.audit import SYSTEM
from desk.customer_fields import set_values, values_of
from desk.desk import Desk
from desk.field_values import FieldsRefused
from desk.models import AgentSkill, Customer, Skill, Ticket, TicketFieldValue, TicketSkill, as_utc
from desk.ticket_import import import_file
from desk.ticket_patch import TicketPatch, patch_ticket
from desk.tickets import InputError, NewTicket
from tests.desk.test_due_recount import desk  # noqa: F401


def line(email: str, **extra: object) -> bytes:
    row = {"customer": {"email": email}, "subject": "Lost parcel", "messages": [{"body": "Where is it?"}]}
    return json.dumps({**row, **extra}).encode()


def test_an_import_reads_past_a_byte_order_mark_and_names_each_bad_line_and_field(
        desk: Desk, tmp_path: Path) -> None:  # noqa: F811
    """Before: a file saved with a UTF-8 byte order mark (Excel, Notepad, PowerShell's Out-File) lost its first ticket
    as "not JSON (Unexpected UTF-8 BOM ...)"; a `lang` of 5, ["en"] or {"a": 1} was imported and kept in the ticket's
    context without a word (as was one of 10,000 characters); .NET's missing date, 0001-01-01T00:00:00, was refused
    as "too late to count a due time from", SQL Server's, 1900-01-01, imported (each business-hours automation then
    walked every day since, 13 s a rule for a ticket from year 2), as was one from the year 9000 (it topped the
    inbox); and an external id of 5,000 digits was refused with Python's own message
    (telling the file's writer to call sys.set_int_max_str_digits()) naming no field. Mixed line endings count lines
    as an editor does, and every other line imports."""
    lines = [
        b"\xef\xbb\xbf" + line("first@example.com"),
        line("a@example.com", lang=5),
        line("b@example.com", lang=["en"]),
        line("c@example.com", lang={"a": 1}),
        line("d@example.com", lang="x" * 10_000),
        line("e@example.com", created="0001-01-01T00:00:00"),
        line("e@example.com", created="1900-01-01T00:00:00"),
        line("e@example.com", created="1969-12-31T23:00:00-02:00"),
        line("e@example.com", created="9000-01-01T00:00:00Z"),
        line("f@example.com")[:-1] + b', "external_id": ' + b"9" * 5000 + b"}",
        line("g@example.com", lang=" fr ", external_id="kept"),
        line("h@example.com", lang="ar"),
    ]
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\r\n".join(lines[:4]) + b"\r" + b"\n".join(lines[4:]) + b"\n")
    report = import_file(desk.tickets, path)
    assert report.errors == [
        f"{path}:2: lang: must be text",
        f"{path}:3: lang: must be text",
        f"{path}:4: lang: must be text",
        f"{path}:5: lang: is 10,000 characters long; the limit is 35",
        f"{path}:6: created: '0001-01-01T00:00:00' is before 1970",
        f"{path}:7: created: '1900-01-01T00:00:00' is before 1970",
        f"{path}:9: created: '9000-01-01T00:00:00Z' is in the future",
        f"{path}:10: external_id: a whole number of 5,000 digits is longer than can be read (4,300 at most)",
    ]
    assert report.created == 4
    with desk.db.session() as session:
        kept = {email: (lang, context) for email, lang, context in session.execute(
            select(Customer.email, Ticket.lang, Ticket.context).join(Customer, Customer.id == Ticket.customer_id))}
    assert kept == {"first@example.com": ("en", {}), "g@example.com": ("en", {"declared_lang": "fr"}),
                    "h@example.com": ("ar", {}), "e@example.com": ("en", {})}  # 1969-12-31T23:00-02:00 is 1970 in UTC


def test_an_mbox_mail_dated_before_1970_or_in_the_future_is_imported_dated_now(desk: Desk, tmp_path: Path) -> None:  # noqa: F811
    """A mail's Date of 9999-12-31 23:00 +0000 (a spammer's or a broken clock's) was refused as "too late to count a
    due time from", so the mail was not imported at all, and one of 1900 was imported as a ticket from 1900. Each is
    now no date, as a Date that does not parse: the mail imported, dated now. A Message-ID longer than an external id
    holds (250 characters: RFC 5322 sets no limit) lost its mail too ("external_id: ... the limit is 200"); it is now
    kept by its SHA-256, and importing the file again skips every mail."""
    box = tmp_path / "old.mbox"
    box.write_text("".join(
        f"From sam@example.com Sat Dec  5 10:00:00 2026\nFrom: Sam <sam@example.com>\nSubject: {subject}\n"
        f"Date: {date}\nMessage-ID: <{subject}@example.com>\n\nWhere is it?\n\n"
        for subject, date in (("end", "Fri, 31 Dec 9999 23:00:00 +0000"), ("old", "Mon, 01 Jan 1900 00:00:00 +0000"),
                              ("kept", "Sun, 06 Dec 2026 14:22:00 +0300"), ("x" * 250, "Sun, 06 Dec 2026 14:22 +0300"))
    ), encoding="utf-8")
    before = datetime.now(UTC) - timedelta(seconds=1)
    report = import_file(desk.tickets, box)
    assert (report.created, report.errors) == (4, [])
    assert (import_file(desk.tickets, box).skipped, desk.tickets.exists(f"<{'x' * 250}@example.com>")) == (4, False)
    with desk.db.session() as session:
        created = {subject: as_utc(at) for subject, at in session.execute(select(Ticket.subject, Ticket.created_at))}
    assert before <= created["end"] <= datetime.now(UTC) and before <= created["old"] <= datetime.now(UTC)
    assert created["kept"] == datetime(2026, 12, 6, 11, 22, tzinfo=UTC)


def ticket(desk: Desk) -> int:  # noqa: F811
    return desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject="Invoice", body="Twice billed",
                                         lang="en", notify=False)).id


def deleted_while_read(monkeypatch: pytest.MonkeyPatch, desk: Desk, skill: int) -> None:  # noqa: F811
    """The skill is deleted by another request just after this one read the desk's skills by name, before it writes:
    the window two requests at once open."""
    done: list[int] = []
    original = skills_module.name_key

    def at_read(text: str) -> str:
        if not done:
            done.append(1)
            desk.skills.delete(skill)
        return original(text)

    monkeypatch.setattr(skills_module, "name_key", at_read)


class DeletedWhenRead:
    """A tick (a skill's id) whose skill another request deletes as the form's ticks are read, after the desk's skills
    were: the same window, for the ticket page's and the admin page's ticks."""

    def __init__(self, desk: Desk, skill: int) -> None:  # noqa: F811
        self.desk, self.skill, self.done = desk, skill, False

    def __str__(self) -> str:
        if not self.done:
            self.done = True
            self.desk.skills.delete(self.skill)
        return str(self.skill)


def test_a_skill_deleted_while_a_ticket_is_given_it_is_refused_by_name_not_a_crash(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """The API's PATCH /tickets/<id> {"skills": ["Billing"]} read the skill, another request deleted it, and the
    ticket's row for it was then written: PostgreSQL refused it (ForeignKeyViolation, a 500 with nothing said) and
    SQLite's stale read answered "the database is busy". The skills a request names are now held until it ends and
    read again: a skill gone meanwhile is refused naming `skills[0]`, nothing written, on both engines."""
    billing = desk.skills.create("Billing")
    vip = desk.skills.create("VIP")
    ticket_id = ticket(desk)
    deleted_while_read(monkeypatch, desk, billing)
    with pytest.raises(InputError) as refused:
        patch_ticket(desk.tickets, ticket_id, TicketPatch(skills=("vip", "Billing"), priority="high"), SYSTEM)
    assert refused.value.field == "skills[1]" and "'Billing'" in str(refused.value)
    with desk.db.session() as session:
        assert session.scalars(select(TicketSkill.skill_id)).all() == []
        assert session.scalars(select(Skill.id)).all() == [vip]
    assert desk.tickets.get(ticket_id).priority == "normal"  # type: ignore[union-attr]


def test_a_skill_deleted_while_the_ticket_page_or_an_agent_is_given_it_is_refused_naming_skills(
        desk: Desk) -> None:  # noqa: F811
    """The ticket page's ticks and the admin page's agent ticks (ids): the same race as the API's (ForeignKeyViolation
    on PostgreSQL, "busy" on SQLite before). Now refused naming `skills`, nothing written."""
    billing = desk.skills.create("Billing")
    ticket_id = ticket(desk)
    agent = desk.accounts.create_agent("amal@example.com", "a long enough password", name="Amal").id
    with pytest.raises(InputError) as refused:
        desk.skills.set_ticket(ticket_id, [DeletedWhenRead(desk, billing)], None)
    assert refused.value.field == "skills"
    other = desk.skills.create("Other")
    with pytest.raises(InputError) as refused:
        desk.skills.set_agent(agent, [DeletedWhenRead(desk, other)])
    assert refused.value.field == "skills"
    with desk.db.session() as session:
        assert session.scalars(select(TicketSkill.id)).all() == session.scalars(select(AgentSkill.id)).all() == []


def test_the_same_skill_added_twice_at_once_is_the_names_error(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Two admins (or a double click) adding "VIP" and "vip" at once: both found the name free, and the second's
    insert met the unique index (IntegrityError, a 500 on PostgreSQL). A rename to a name taken meanwhile, the same.
    Now each is refused naming `name`, as a name found taken is."""
    done: list[str] = []
    original = skills_module.Skills._free

    def free(session: object, name: str, own: int | None) -> None:
        original(session, name, own)  # type: ignore[arg-type]
        if not done:
            done.append(name)
            desk.skills.create(name.upper())

    monkeypatch.setattr(skills_module.Skills, "_free", staticmethod(free))
    with pytest.raises(InputError) as refused:
        desk.skills.create("vip")
    assert refused.value.field == "name" and "exists already" in str(refused.value)
    billing = desk.skills.create("Billing")
    done.clear()
    with pytest.raises(InputError) as refused:
        desk.skills.rename(billing, "Refunds")
    assert refused.value.field == "name"
    with desk.db.session() as session:
        assert sorted(session.scalars(select(Skill.name))) == ["Billing", "REFUNDS", "VIP"]


def deleted_after(read: str, skill: int) -> Callable[..., None]:
    """An engine listener deleting `skill` in the running transaction just after the first statement starting with
    `read` (its `done` says whether it did): the state another request's deletion leaves on PostgreSQL between a
    request's read of skills and its write of rows naming them (SQLite's one writer waits instead)."""
    done: list[int] = []

    def delete_after_read(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if not done and statement.startswith(read):
            done.append(1)
            conn.exec_driver_sql(f"DELETE FROM ticket_skills WHERE skill_id = {skill}")
            conn.exec_driver_sql(f"DELETE FROM skills WHERE id = {skill}")

    delete_after_read.done = done  # type: ignore[attr-defined]
    return delete_after_read


def test_a_skill_deleted_while_a_trigger_requires_it_is_skipped_and_the_ticket_kept(
        desk: Desk) -> None:  # noqa: F811
    """A trigger's `require_skills` read the desk's skills, the skill was deleted by another request, and the
    ticket's row for it was then written: the database refused it (a foreign key) and the new ticket with it (a mail
    lost to a 500). The deletion is made here in the trigger's own transaction, just after its read, which is the
    state another request's deletion leaves on PostgreSQL (SQLite's one writer waits instead). Now the skill is
    skipped, logged and said in the ticket's history, as one deleted before, and the ticket is stored."""
    billing, vip = desk.skills.create("Billing"), desk.skills.create("VIP")
    (desk.settings.content_dir / "_triggers.yml").write_text(
        "- name: Billing\n  on: [created]\n  if: {text: [invoice]}\n  then: {require_skills: [Billing, VIP]}\n",
        encoding="utf-8")
    assert desk.reload_rules()
    delete_after_read = deleted_after("SELECT skills.id, skills.name_key", billing)
    event.listen(desk.db.engine, "after_cursor_execute", delete_after_read)
    try:
        ticket_id = ticket(desk)
    finally:
        event.remove(desk.db.engine, "after_cursor_execute", delete_after_read)
    assert delete_after_read.done  # type: ignore[attr-defined]
    assert [s.id for s in desk.skills.of_ticket(ticket_id)] == [vip]
    assert any(getattr(c, "action", None) == "skill_skipped" and c.new_value == "Billing"  # type: ignore[attr-defined]
               for c in desk.tickets.changes(ticket_id))


FIELDS = "- key: note\n  type: text\n  label: {en: Note, ar: ملاحظة}\n"


def test_a_text_field_value_of_a_thousand_chinese_characters_is_refused_naming_it_not_a_500(
        desk: Desk) -> None:  # noqa: F811
    """A customer's or a ticket's text field took 1,000 characters whatever their script, but PostgreSQL's index on
    the values holds a row of 2,704 bytes at most: 1,000 Chinese characters (3,000 bytes) raised "index row size 3024
    exceeds btree version 4 maximum 2704" (a 500 on the profile, the ticket page and the API; SQLite took it). A text
    value is now also at most 2,400 UTF-8 bytes, refused naming the field as a long one is, on both engines; 1,000
    Arabic characters still fit."""
    for name in ("_customer_fields.yml", "_ticket_fields.yml"):
        (desk.settings.content_dir / name).write_text(FIELDS, encoding="utf-8")
    assert desk.reload_rules()
    rng = random.Random(40)
    chinese = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(1000))
    arabic = "".join(chr(rng.randrange(0x0621, 0x064A)) for _ in range(1000))
    ticket_id = ticket(desk)
    customer = desk.tickets.get(ticket_id).customer_id  # type: ignore[union-attr]
    with pytest.raises(FieldsRefused) as refused:
        set_values(desk.db, desk.customer_fields, customer, {"note": chinese}, "en", SYSTEM)
    assert {key: (e.field, str(e)) for key, e in refused.value.errors.items()} == {
        "note": ("fields.note", "fields.note: Note: too long or holds control characters")}
    with pytest.raises(InputError) as refused_ticket:
        desk.tickets.create(NewTicket(email="b@example.com", subject="s", body="b", notify=False,
                                      fields={"note": chinese[:801]}))
    assert refused_ticket.value.field == "fields.note"
    assert set_values(desk.db, desk.customer_fields, customer, {"note": arabic + " "}, "en", SYSTEM) == {
        "note": (None, arabic)}
    made = desk.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False,
                                         fields={"note": chinese[:800]}))
    assert values_of(desk.db, customer) == {"note": arabic}
    with desk.db.session() as session:
        assert session.scalar(select(TicketFieldValue.value).where(TicketFieldValue.ticket_id == made.id)) == chinese[
            :800]


def test_an_import_saved_as_utf16_reads_as_its_byte_order_mark_says(desk: Desk, tmp_path: Path) -> None:  # noqa: F811
    """PowerShell's `>` and Out-File (5.1) save UTF-16 with a byte order mark: every line of such an export was
    refused as "not UTF-8" (and the lines were split inside their characters), so nothing was imported. It is now
    read as UTF-16, line numbers as the file's (an Arabic address and subject kept); one that is not UTF-16 past its
    mark is one error naming the file."""
    text = "\r\n".join(line(email).decode() for email in ("sam@example.com", "lina@example.com"))
    text += "\r\n{not json\r\n" + line("نور@example.com", subject="طلبي").decode("unicode_escape")
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.jsonl"
        path.write_bytes(("\ufeff" + text.replace("example.com", f"{encoding}.example.com")).encode(encoding))
        report = import_file(desk.tickets, path)
        with desk.db.session() as session:
            assert session.scalars(select(Customer.email).join(Ticket, Ticket.customer_id == Customer.id).where(
                Ticket.subject == "طلبي").order_by(Ticket.id)).all()[-1] == f"نور@{encoding}.example.com"
        assert (report.created, report.errors) == (3, [
            f"{path}:3: not JSON (Expecting property name enclosed in double quotes at column 2)"])
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"\xff\xfe" + "{}".encode("utf-16-le") + b"\x00")
    assert import_file(desk.tickets, broken).errors == [
        f"{broken}: not UTF-16 at byte 6, as its byte order mark says; save it as UTF-8"]
