"""Mail throughput on this machine, all on loopback with SQLite in a temporary data directory.

    python bench/mail_bench.py                  # defaults: 20 pipe runs, 300 listener and outbox mails
    python bench/mail_bench.py --json

- `kb mail receive`: one process per message, as an MTA pipe runs it (process start-up included);
  the median seconds per message, and messages/s for one pipe at a time.
- The SMTP listener (`kb mail serve`'s aiosmtpd handler): messages sent one after another over one
  SMTP connection; messages/s for the whole batch, plus the median per message.
- The outbox: confirmation mails queued (one per new ticket), then `deliver_pending` to an aiosmtpd
  sink on loopback in passes of 100; messages/s of delivery (composition from the templates included).

Each mail is a short Arabic message in windows-1256 with an RFC 2047 subject, a new ticket each.

    python bench/mail_bench.py --hostile-headers [--runs 5] [--uncut-runs 1]

- Hostile headers instead: `parse_mail` on the crafted mails of bench/RESULTS.md "Session 14, audit4" row 7 (one
  huge header each: 20,000 Content-Type parameters, From and List-Id and Message-ID of 20,000 encoded words, To of
  20,000 addresses, a Subject of 50,000 encoded words, and the old test's mail with all of them), the median
  seconds with the header cut (desk.mail.parse.MAX_HEADER_CHARS, MAX_HEADER_VALUES) and without it (both raised
  past any mail's size: the email package's own reading, which is quadratic in a header's length) side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk.desk import Desk  # noqa: E402
from desk.mail import parse  # noqa: E402
from desk.mail.listener import start_listener  # noqa: E402
from desk.tickets import NewTicket  # noqa: E402
from kb.settings import Settings  # noqa: E402
from tests.smtp_sink import SmtpSink, free_port  # noqa: E402
from webapp.mail_commands import deliver_pending_mail  # noqa: E402


def arabic_mail(number: int) -> bytes:
    mail = MIMEText(f"السلام عليكم\nطلبي رقم {number} لم يصل بعد أسبوع. أرجو المساعدة.", "plain", "windows-1256")
    mail["From"] = formataddr(("عمر الحربي", f"customer{number}@example.com"), "windows-1256")
    mail["To"] = "support@manzil.example"
    mail["Subject"] = Header(f"طلبي رقم {number} لم يصل", "windows-1256")
    mail["Message-ID"] = f"<bench-{number}-{time.time_ns()}@example.com>"
    return mail.as_bytes()


def bench_pipe(data: Path, runs: int) -> dict[str, float]:
    command = [sys.executable, "-c", "from webapp.cli import main; main()", "mail", "receive", "--data", str(data)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    times = []
    for number in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, input=arabic_mail(number), env=env, capture_output=True, timeout=120)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"kb mail receive failed ({done.returncode}): {done.stderr.decode()}")
    median = statistics.median(times)
    return {"runs": runs, "median_s": round(median, 3), "messages_per_s": round(1 / median, 2)}


def bench_listener(data: Path, count: int) -> dict[str, float]:
    desk = Desk(Settings(data_dir=data))
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    mails = [arabic_mail(10_000 + n) for n in range(count)]
    times = []
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            started = time.perf_counter()
            for raw in mails:
                one = time.perf_counter()
                client.sendmail("customer@example.com", ["support@manzil.example"], raw)
                times.append(time.perf_counter() - one)
            total = time.perf_counter() - started
    finally:
        controller.stop()
        desk.close()
    return {"messages": count, "median_ms": round(statistics.median(times) * 1000, 1),
            "messages_per_s": round(count / total, 1)}


def bench_outbox(data: Path, count: int) -> dict[str, float]:
    sink = SmtpSink().start()
    settings = Settings(data_dir=data, smtp_url=sink.url)
    desk = Desk(settings)
    try:
        for number in range(count):
            desk.tickets.create(NewTicket(email=f"out{number}@example.com", subject=f"طلب {number}",
                                          body="طلبي لم يصل بعد", lang="ar"))
        started = time.perf_counter()
        sent = 0
        while sent < count:
            done = deliver_pending_mail(desk, settings, limit=100)
            if not done:
                break
            sent += done
        total = time.perf_counter() - started
        sink.wait_for(sent)
    finally:
        desk.close()
        sink.stop()
    return {"messages": sent, "received_by_sink": len(sink.messages), "messages_per_s": round(sent / total, 1)}


def hostile_header_mails(items: int) -> dict[str, bytes]:
    """One mail per hostile header, `items` parameters, encoded words or addresses long (the Subject 2.5 times)."""
    words = "=?utf-8?q?a?= " * items
    body = "\n\nWhere is it?\n"
    lina = "From: Lina <lina@example.com>\n"
    return {name: raw.encode() for name, raw in {
        f"Content-Type, {items:,} parameters": lina + "Content-Type: text/plain; " + "a=b; " * items + body,
        f"From, {items:,} encoded words": f"From: {words}<lina@example.com>\nSubject: x" + body,
        f"To, {items:,} addresses": lina + "To: " + ", ".join(f"a{n}@example.com" for n in range(items)) + body,
        f"List-Id, {items:,} encoded words": f"From: news@example.com\nList-Id: {words}\nSubject: n" + body,
        f"Message-ID, {items:,} encoded words": lina + f"Message-ID: {words}<m@example.com>" + body,
        f"Subject, {items * 5 // 2:,} encoded words": lina + "Subject: " + "=?utf-8?q?a?= " * (items * 5 // 2) + body,
        "session 14's test mail (all of them)": (
            f"{lina}To: {words}<support@manzil.example>\nSubject: {words}\nCc: {words}\n"
            f"References: {'<a@b> ' * (items * 5 // 2)}\n" + "Subject: more\n" * items
            + "Content-Type: text/plain; " + "a=b; " * items + body),
    }.items()}


@contextmanager
def header_cut_off() -> Iterator[None]:
    """The email package's own reading: every value whole, every value of a name read."""
    saved = parse.MAX_HEADER_CHARS, parse.MAX_HEADER_VALUES
    parse.MAX_HEADER_CHARS = parse.MAX_HEADER_VALUES = sys.maxsize
    try:
        yield
    finally:
        parse.MAX_HEADER_CHARS, parse.MAX_HEADER_VALUES = saved


def parse_seconds(raw: bytes, runs: int) -> float:
    """Median seconds of `parse_mail` (a refusal, as for the long From, is an answer too)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with suppress(parse.UnparseableMail):
            parse.parse_mail(raw)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def bench_hostile_headers(items: int, runs: int, uncut_runs: int) -> dict[str, dict[str, float]]:
    results = {}
    for name, raw in hostile_header_mails(items).items():
        figures: dict[str, float] = {"bytes": len(raw), "cut_s": parse_seconds(raw, runs)}
        if uncut_runs:
            with header_cut_off():
                figures["uncut_s"] = parse_seconds(raw, uncut_runs)
        results[name] = figures
        print(f"{name}: {shown(figures)}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipe-runs", type=int, default=20)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--hostile-headers", action="store_true", help="parse times of hostile headers instead")
    parser.add_argument("--items", type=int, default=20_000, help="hostile header size (default 20,000)")
    parser.add_argument("--runs", type=int, default=5, help="hostile-header runs with the cut (median)")
    parser.add_argument("--uncut-runs", type=int, default=1, help="runs without the cut (0: skip; each is slow)")
    args = parser.parse_args()
    if args.hostile_headers:
        report(bench_hostile_headers(args.items, args.runs, args.uncut_runs), args.json)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        Desk(Settings(data_dir=root / "pipe")).close()  # migrations once, not inside the first timed run
        results = {
            "kb mail receive (one process per mail)": bench_pipe(root / "pipe", args.pipe_runs),
            "SMTP listener": bench_listener(root / "listener", args.count),
            "outbox to loopback SMTP": bench_outbox(root / "outbox", args.count),
        }
    report(results, args.json)


def report(results: dict[str, dict[str, float]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for name, figures in results.items():
        print(f"{name}: {shown(figures)}")


def shown(figures: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:g}" for k, v in figures.items())


if __name__ == "__main__":
    main()
