"""The email round trip with real parts only: a customer's Arabic mail (windows-1256) reaches the
aiosmtpd listener, becomes an Arabic ticket; an agent answers in the workspace in Chromium; the
outbox delivers a threaded multipart mail with absolute links to an SMTP sink on loopback; the
customer's answer to that mail reopens the same ticket."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from dataclasses import replace
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from copilot.engine import Engine
from desk.desk import Desk
from desk.mail.listener import start_listener
from tests.smtp_sink import SmtpSink, free_port
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail

PASSWORD = "a long enough password"
BASE_URL = "https://help.manzil.example"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink().start()
    yield started
    started.stop()


@pytest.fixture
def app(indexed: Engine, sink: SmtpSink) -> Flask:
    settings = replace(indexed.settings, smtp_url=sink.url, base_url=BASE_URL, mail_from="support@manzil.example")
    return create_app(settings, engine=indexed)


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("omar@example.com", ["support@manzil.example"], raw)


def test_arabic_mail_round_trip_through_the_workspace(page: Page, base_url: str, app: Flask, sink: SmtpSink) -> None:
    desk: Desk = app.extensions["desk"]
    settings = app.extensions["settings"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة من منزل")
    port = free_port()
    listener = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        first = MIMEText("السلام عليكم\nطلبت جوالاً قبل أسبوع ولم يصل حتى الآن. رقم الطلب 55821.", "plain",
                         "windows-1256")
        first["From"] = formataddr(("عمر الحربي", "omar@example.com"), "windows-1256")
        first["To"] = "support@manzil.example"
        first["Subject"] = Header("طلبي لم يصل", "windows-1256")
        first["Message-ID"] = "<omar-1@mail.example.com>"
        send(port, first.as_bytes())
        [ticket], _ = desk.tickets.inbox()
        assert ticket.lang == "ar" and ticket.subject == "طلبي لم يصل"

        page.goto(f"{base_url}/agent/tickets/{ticket.id}")
        page.locator("#email").fill("agent@example.com")
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("^(Log in|تسجيل الدخول)$")).click()  # the browser is Arabic
        expect(page).to_have_url(re.compile(rf"/agent/tickets/{ticket.id}$"))
        page.locator("#reply-body").fill("مرحبًا عمر،\n\nشحنتك في الطريق، تتبّعها من [صفحة الطلبات](/ar/orders).")
        page.locator("#reply-status").select_option("solved")
        page.locator("#send-reply").click()
        expect(page.locator(".thread li.agent")).to_contain_text("شحنتك في الطريق")
        expect(page.locator(".thread li.agent .mail-delivery")).to_have_attribute("data-status", "queued")

        assert deliver_pending_mail(desk, settings) == 2
        confirmation, reply = sink.wait_for(2)
        assert reply["To"] == "omar@example.com" and reply["Subject"].startswith("رد: طلبي لم يصل [#mz-")
        assert reply["In-Reply-To"] == confirmation["Message-ID"]
        assert reply["References"].split()[0] == "<omar-1@mail.example.com>"
        assert reply.get_content_type() == "multipart/alternative"
        html = reply.get_body(("html",)).get_content()
        assert '<html lang="ar" dir="rtl">' in html and "سارة من منزل" in html
        links = re.findall(r'href="([^"]+)"', html)
        assert links and all(link.startswith(("https://", "http://")) for link in links)
        assert f"{BASE_URL}/ar/tickets/{ticket.reference}" in links
        page.reload()
        expect(page.locator(".thread li.agent .mail-delivery")).to_have_attribute("data-status", "sent")

        answer = MIMEText("شكرًا، لكن رقم التتبع لا يعمل.\n\nفي الثلاثاء، كتب فريق الدعم:\n> شحنتك في الطريق",
                          "plain", "windows-1256")
        answer["From"] = "omar@example.com"
        answer["To"] = reply["Reply-To"]
        answer["Subject"] = Header("رد: " + str(reply["Subject"]), "utf-8")
        answer["In-Reply-To"] = reply["Message-ID"]
        answer["References"] = f"{reply['References']} {reply['Message-ID']}"
        send(port, answer.as_bytes())
    finally:
        listener.stop()
    reopened = desk.tickets.get(ticket.id)
    assert reopened is not None and reopened.status == "open" and desk.tickets.inbox()[1] == 1
    assert reopened.messages[-1].body == "شكرًا، لكن رقم التتبع لا يعمل." and reopened.messages[-1].channel == "email"
    page.reload()
    expect(page.locator(".thread li.customer").last).to_contain_text("رقم التتبع لا يعمل")
