"""Does a mail's Subject read back as it was meant, whatever its length? (session 21, mailfold21)

Subjects of every length up to MAX_SUBJECT, four prefixes (the Arabic and English confirmation and reply) and a
dozen repeated words (Arabic, four-byte letters, emoji, ASCII, Latin with an accent, commas and semicolons), plus
the ticket's tag, each built, written out and read back as the outbox does, flattened as smtplib sends it, and read
by the standard parser and by the older `decode_header`. Counted per way of writing the Subject:

    PYTHONPATH=. .venv/bin/python bench/mail_subject_fold.py [--step N]

A Subject is broken when either reader gets other text (a blank lost, doubled or added in front), when an encoded
word is longer than RFC 2047's 75 characters or a line holding one longer than 76 (a reader need not decode it),
when another line is longer than RFC 5322's 78, or when a raw UTF-8 line is longer than 998 octets.
"""

from __future__ import annotations

import argparse
import re
from email import message_from_bytes, message_from_string
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8, EmailPolicy, default

from desk.mail.compose import MAIL_POLICY
from desk.tickets import MAX_SUBJECT

PREFIXES = ("تلقّينا رسالتك: ", "رد: ", "We received your message: ", "Re: ")
WORDS = ("يصل", "𝒜𝒜 𝒜", "طلبي", "لم", "😀", "ok", "تلقّينا", "é", "word", "a", "support,", "x;y")
TAG = "[#mz-abcdefghijklmnop]"  # a thread tag: 16 characters of token, as desk.mail.addresses makes them
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bq]\?[^?\s]*\?=", re.IGNORECASE)


def subject_lines(raw: bytes) -> list[str]:
    """The Subject field as it went over the wire, one folded line each."""
    lines = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.lower().startswith("subject:"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (" ", "\t"):
        end += 1
    return lines[start:end]


def subject_problems(raw: bytes, subject: str) -> list[str]:
    """What is wrong with how a sent mail's Subject reads back; empty when any mail client shows `subject`."""
    lines = subject_lines(raw)
    problems = [f"encoded word of {len(w)}" for w in ENCODED_WORD.findall("\n".join(lines)) if len(w) > 75]
    for line in lines:
        if not line.isascii():
            if len(line.encode()) > 998:
                problems.append(f"line of {len(line.encode())} octets")
        elif len(line) > (76 if "=?" in line else 78):
            problems.append(f"line of {len(line)}")
    parsed = str(message_from_bytes(raw, policy=default)["Subject"])
    if parsed != subject:
        problems.append(f"read as {parsed!r}")
    unfolded = "".join(lines).split(":", 1)[1].lstrip(" \t")  # RFC 5322 unfolding: the line breaks go
    legacy = str(make_header(decode_header(unfolded)))
    if legacy != subject:
        problems.append(f"decode_header read {legacy!r}")
    return problems


def as_sent(subject: str, policy: EmailPolicy) -> bytes:
    """Built with `policy`, stored as a string and read back (the outbox), flattened as smtplib sends it."""
    built = EmailMessage(policy=policy)
    built["Subject"] = subject
    built.set_content("x")
    stored = message_from_string(built.as_string(policy=policy), policy=policy)
    return stored.as_bytes(policy=policy)


def subjects(step: int = 1, prefixes: tuple[str, ...] = PREFIXES, words: tuple[str, ...] = WORDS) -> list[str]:
    return [(prefix + " ".join([word] * MAX_SUBJECT))[:length].strip() + " " + TAG
            for prefix in prefixes for word in words for length in range(1, MAX_SUBJECT + 1, step)]


def broken(policy: EmailPolicy, cases: list[str]) -> list[tuple[str, list[str]]]:
    found = []
    for subject in cases:
        problems = subject_problems(as_sent(subject, policy), subject)
        if problems:
            found.append((subject, problems))
    return found


KINDS = {"encoded": "with an encoded word past 75", "line": "with a line too long",
         "read": "read otherwise by the standard parser", "decode_header": "read otherwise by decode_header"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=int, default=1, help="every Nth subject length")
    args = parser.parse_args()
    cases = subjects(args.step)
    policies = {
        "SMTP (78, the stdlib's folder; main before session 17)": SMTP,
        "SMTP at 998 (main after session 17)": SMTP.clone(max_line_length=998),
        "SMTPUTF8 (raw UTF-8, the stdlib's folder at 78)": SMTPUTF8,
        "MAIL_POLICY (email.header.Header folds the Subject)": MAIL_POLICY,
    }
    print(f"{len(cases)} subjects")
    for name, policy in policies.items():
        found = broken(policy, cases)
        kinds: dict[str, list[tuple[str, list[str]]]] = {}
        for subject, problems in found:
            for kind in {KINDS[problem.split(" ")[0]] for problem in problems}:
                kinds.setdefault(kind, []).append((subject, problems))
        print(f"{name}: {len(found)} of {len(cases)} broken")
        for kind, cases_of_kind in sorted(kinds.items()):
            subject, problems = cases_of_kind[0]
            print(f"    {len(cases_of_kind)} {kind}, e.g. {subject!r}: {'; '.join(problems)[:200]}")

if __name__ == "__main__":
    main()
