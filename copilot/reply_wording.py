"""How a quoted help-center section and the customer's situation read inside a support reply.

An article is written for someone browsing the help center, a reply for someone who already wrote
to support. So a section quoted in a reply loses its "contact us via chat or the form" sentences
(the customer is talking to us: telling them to contact support is a brush-off), and its rhetorical
opening ("No. Manzil never charges you twice...") that answers the heading's question, not the
customer's: to a customer who sees two charges it reads as a contradiction. Steps stay whole and
are renumbered when one is dropped.

A customer who writes again, or is plainly upset, gets one sentence acknowledging it before the
answer; the count comes from the thread and history the caller passes and from what the customer
says ("this is my third message").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?؟])\s+")
_STEP = re.compile(r"^(\d+)\.\s+")
# Sentences telling the reader to get in touch with support, in both languages.
_CONTACT_SUPPORT = re.compile(
    r"\b(?:contact(?:ing)? (?:us|our|customer|manzil|support|the support)|chat with us|call us|message us|"
    r"email us|write to us|get in touch|reach (?:out to )?us|our (?:support|customer care|customer service) team)\b"
    r"|تواصل معنا|تواصل مع (?:خدمة|فريق|منزل)|تواصلوا معنا|اتصل بنا|راسلنا|كلمنا|تحدث معنا|"
    r"عبر (?:المحادثة|الدردشة|نموذج التواصل)",
    re.IGNORECASE,
)
# A section opening with a bare yes/no answers the heading's question; the claim after it goes too.
_BARE_ANSWER = re.compile(r"^(?:no|yes|لا|نعم)\s*[.!،,]", re.IGNORECASE)

# "third time I write", "4th message", "ثالث مرة أكلمكم", "للمرة الرابعة أراسلكم": ordinals next to
# a contact word in the same sentence (a "third time the courier didn't come" is not a third message).
_ORDINALS = {
    "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
    "ثاني": 2, "الثانية": 2, "ثالث": 3, "الثالثة": 3, "رابع": 4, "الرابعة": 4, "خامس": 5, "الخامسة": 5,
}
_ORDINAL = re.compile(r"(?<!\w)(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)
_CONTACT_WORD = re.compile(
    r"\b(?:writ\w*|wrote|email\w*|messag\w*|contact\w*|ask\w*|call\w*|chat\w*|time i)\b"
    r"|أكلم|اكلم|أراسل|اراسل|أتواصل|اتواصل|أكتب|اكتب|أتصل|اتصل|كلمت|راسلت|تواصلت|رسالة|رسالتي|أشتكي|اشتكي",
    re.IGNORECASE,
)
_UPSET = re.compile(
    r"!{2,}|\b(?:ridiculous|unacceptable|fed up|furious|angry|frustrat\w*|disappointed|terrible|worst|"
    r"nobody (?:answer\w*|repl\w*|call\w*|came)|no one (?:answer\w*|repl\w*)|still no|again)\b"
    r"|يقهر|ما يصير|مايصير|زهقت|طفشت|مستاء|غير مقبول|مهزلة|حرام عليكم|ما أحد رد|ما احد رد|محد رد|"
    r"ما حد رد|كل مرة|للأسف الشديد|مش معقول|ايه المهزلة",
    re.IGNORECASE,
)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")

_ACKNOWLEDGE: dict[str, dict[str, str]] = {
    "en": {
        "count": "I'm sorry this is your {ordinal} message about this, and thank you for your patience.",
        "again": "I'm sorry you have had to write to us again about this.",
        "upset": "I'm sorry for the trouble this has caused you.",
    },
    "ar": {
        "count": "نعتذر لأن هذه رسالتك {ordinal} بخصوص هذا الموضوع، ونشكرك على صبرك.",
        "again": "نعتذر لأنك اضطررت إلى مراسلتنا مرة أخرى بخصوص هذا الموضوع.",
        "upset": "نعتذر عن الإزعاج الذي سببه لك هذا الأمر.",
    },
}
_ORDINAL_WORDS = {
    "en": {2: "second", 3: "third", 4: "fourth", 5: "fifth"},
    "ar": {2: "الثانية", 3: "الثالثة", 4: "الرابعة", 5: "الخامسة"},
}


def reply_section(text: str) -> str:
    """A section's reply text (see `copilot.drafts.section_text`) without its contact-support
    sentences and its rhetorical yes/no opening, steps renumbered."""
    lines: list[str] = []
    for index, line in enumerate(text.split("\n")):
        sentences = _SENTENCE_SPLIT.split(line)
        if index <= 1 and _BARE_ANSWER.match(sentences[0]) and len(sentences) > 2:
            sentences = sentences[2:]  # "No." and the claim it introduces; the explanation stays
        elif index <= 1 and _BARE_ANSWER.match(sentences[0]) and len(sentences) == 2:
            sentences = sentences[1:]
        line = _without_contact_sentences(sentences)
        if not line or _STEP.fullmatch(line + " "):
            continue
        lines.append(line)
    return "\n".join(_renumber(lines))


def without_contact_advice(text: str) -> str:
    """The text without its sentences telling the reader to contact support, line by line (a
    model-written reply says it too: "You can get a refund by contacting Manzil directly [1]");
    lines left empty are dropped."""
    lines = (_without_contact_sentences(_SENTENCE_SPLIT.split(line)) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _without_contact_sentences(sentences: Sequence[str]) -> str:
    return " ".join(s for s in sentences if not _CONTACT_SUPPORT.search(s)).strip()


def _renumber(lines: list[str]) -> list[str]:
    """Consecutive numbered steps numbered 1, 2, 3 again after one was dropped."""
    out: list[str] = []
    expected = 0
    for line in lines:
        match = _STEP.match(line)
        if match is None:
            expected = 0
            out.append(line)
            continue
        expected = expected + 1 if expected else int(match.group(1))
        out.append(f"{expected}. {line[match.end():]}")
    return out


def contact_count(customer_messages: Sequence[str], earlier_contacts: int = 0) -> int:
    """How many times the customer has written about this: what they say ("my third email"), or the
    thread and history the caller counted, whichever is more."""
    said = 0
    for message in customer_messages:
        for sentence in _SENTENCE_SPLIT.split(message):
            if _CONTACT_WORD.search(sentence):
                said = max([said, *(_ORDINALS[m.lower()] for m in _ORDINAL.findall(sentence))])
    return max(said, 1 + max(earlier_contacts, 0))


def is_upset(customer_messages: Sequence[str]) -> bool:
    text = "\n".join(customer_messages)
    return bool(_UPSET.search(text)) or len(_SHOUTING.findall(text)) >= 2


def acknowledgement(lang: str, customer_messages: Sequence[str], earlier_contacts: int = 0) -> str:
    """One sentence for a customer writing again or upset; empty otherwise."""
    texts = _ACKNOWLEDGE.get(lang, _ACKNOWLEDGE["en"])
    count = contact_count(customer_messages, earlier_contacts)
    if count >= 2:
        ordinal = _ORDINAL_WORDS.get(lang, _ORDINAL_WORDS["en"]).get(count)
        return texts["count"].format(ordinal=ordinal) if ordinal else texts["again"]
    return texts["upset"] if is_upset(customer_messages) else ""
