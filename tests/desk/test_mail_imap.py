"""`kb mail fetch` against a real IMAP server: Debian's dovecot, started here with a throwaway
configuration on a loopback port (plain IMAP, a static password, a Maildir in a temporary folder)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr
from pathlib import Path

import pytest
from click.testing import CliRunner
from imap_tools import AND, MailBoxUnencrypted

from desk.desk import Desk
from desk.models import InboundMail
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.smtp_sink import free_port
from webapp.cli import main

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/run/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {user}
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/mail/%u
}}
"""


@pytest.fixture
def dovecot() -> Iterator[int]:
    """A dovecot on a free loopback port; its mail owned by the `dovecot` user (it refuses uid 0)."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    root = Path(tempfile.mkdtemp(prefix="kb-dovecot-"))
    root.chmod(0o755)
    account = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    login = "dovenull" if os.geteuid() == 0 else account.pw_name
    (root / "run").mkdir()
    (root / "mail").mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", account.pw_uid, account.pw_gid)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, user=account.pw_name, group=account.pw_gid,
                                    login_user=login))
    subprocess.run([binary, "-c", str(config)], check=True, timeout=30)
    deadline = time.monotonic() + 15
    while not (root / "run" / "master.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int((root / "run" / "master.pid").read_text().strip())
    try:
        yield port
    finally:
        os.kill(pid, 15)
        deadline = time.monotonic() + 15
        while (root / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)


def mailbox(port: int) -> MailBoxUnencrypted:
    deadline = time.monotonic() + 15
    while True:
        try:
            return MailBoxUnencrypted("127.0.0.1", port, timeout=10).login("support", "secret")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_fetch_takes_unseen_mail_and_marks_only_what_it_stored(dovecot: int, tmp_path: Path) -> None:
    mail = MIMEText("طلبي لم يصل بعد أسبوع من الطلب، رقم الطلب 774", "plain", "windows-1256")
    mail["From"] = formataddr(("عمر", "omar@example.com"), "windows-1256")
    mail["Subject"] = Header("طلبي لم يصل", "windows-1256")
    arabic = mail.as_bytes()
    with mailbox(dovecot) as box:
        box.append(arabic, "INBOX")
        box.append(b"Subject: no sender at all\r\n\r\nnothing\r\n", "INBOX")
        box.append(b"From: lina@example.com\r\nSubject: Already read\r\n\r\nold\r\n", "INBOX", flag_set=["\\Seen"])
    data, url = tmp_path / "data", database_url_for_tests()
    env = {"KB_IMAP_HOST": "127.0.0.1", "KB_IMAP_PORT": str(dovecot), "KB_IMAP_USER": "support",
           "KB_IMAP_PASSWORD": "secret", "KB_IMAP_SECURITY": "plain", "DATABASE_URL": url or ""}
    fetched = CliRunner().invoke(main, ["mail", "fetch", "--data", str(data)], env=env)
    assert fetched.exit_code == 0, fetched.output
    assert fetched.output.strip() == "1 stored, 1 refused, 0 left for the next pass"
    desk = Desk(Settings(data_dir=data, database_url=url))
    try:
        [ticket], total = desk.tickets.inbox()
        assert total == 1 and ticket.lang == "ar" and ticket.subject == "طلبي لم يصل" and ticket.channel == "email"
    finally:
        desk.close()
    with mailbox(dovecot) as box:
        assert len(list(box.fetch(AND(seen=False), mark_seen=False))) == 0
    again = CliRunner().invoke(main, ["mail", "fetch", "--data", str(data)], env=env)
    assert again.output.strip() == "0 stored, 0 refused, 0 left for the next pass"


def test_fetch_leaves_mail_unseen_when_storing_fails(dovecot: int, tmp_path: Path) -> None:
    with mailbox(dovecot) as box:
        box.append(b"From: lina@example.com\r\nSubject: Hello\r\n\r\nPlease help\r\n", "INBOX")
    data, url = tmp_path / "data", database_url_for_tests()
    data.mkdir()
    (data / "mail").write_text("a file where the mail folder should be")
    env = {"KB_IMAP_HOST": "127.0.0.1", "KB_IMAP_PORT": str(dovecot), "KB_IMAP_USER": "support",
           "KB_IMAP_PASSWORD": "secret", "KB_IMAP_SECURITY": "plain", "DATABASE_URL": url or ""}
    failed = CliRunner().invoke(main, ["mail", "fetch", "--data", str(data)], env=env)
    assert failed.exit_code == 75 and "1 left for the next pass" in failed.output
    with mailbox(dovecot) as box:
        assert [m.subject for m in box.fetch(AND(seen=False), mark_seen=False)] == ["Hello"]


def test_one_bad_message_is_reported_left_unseen_and_the_others_imported(
    dovecot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault with one message (here the desk raising on it; before header_text, a From name in raw 8-bit
    UTF-8) ended the whole pass with a traceback, and the mail after it waited. Each message is now its own
    try: the bad one is named by UID and stays unseen, the others are stored. The stored original is the
    server's bytes (fetched by UID), not a re-serialized copy, which refolded and re-encoded headers."""
    from desk.mail.receive import MailReceiver

    receive = MailReceiver.receive

    def poisoned(self: MailReceiver, raw: bytes, transport: str = "stdin", *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if b"poison" in raw:
            raise RuntimeError("a fault with this one message")
        return receive(self, raw, transport, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(MailReceiver, "receive", poisoned)
    first = "From: عمر <omar@example.com>\r\nSubject: طلبي لم يصل\r\n\r\nرقم الطلب 774\r\n".encode()
    with mailbox(dovecot) as box:
        box.append(first, "INBOX")
        box.append(b"From: x@example.com\r\nSubject: poison\r\n\r\nx\r\n", "INBOX")
        box.append(b"From: lina@example.com\r\nSubject: After the bad one\r\n\r\nPlease help\r\n", "INBOX")
    data, url = tmp_path / "data", database_url_for_tests()
    env = {"KB_IMAP_HOST": "127.0.0.1", "KB_IMAP_PORT": str(dovecot), "KB_IMAP_USER": "support",
           "KB_IMAP_PASSWORD": "secret", "KB_IMAP_SECURITY": "plain", "DATABASE_URL": url or ""}
    fetched = CliRunner().invoke(main, ["mail", "fetch", "--data", str(data)], env=env)
    assert fetched.exit_code == 75, fetched.output
    assert fetched.output.startswith("2 stored, 0 refused, 1 left for the next pass\nUID 2: RuntimeError: a fault")
    desk = Desk(Settings(data_dir=data, database_url=url))
    try:
        tickets, _ = desk.tickets.inbox()
        assert sorted(t.subject for t in tickets) == ["After the bad one", "طلبي لم يصل"]
        with desk.db.session() as session:
            paths = [row.raw_path for row in session.query(InboundMail).order_by(InboundMail.id)]
        assert (data / paths[0]).read_bytes() == first
    finally:
        desk.close()
    with mailbox(dovecot) as box:
        assert [m.subject for m in box.fetch(AND(seen=False), mark_seen=False)] == ["poison"]
