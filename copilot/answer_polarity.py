"""Whether a written answer to a yes/no question says the same yes or no as the section it comes from.

The citation check of a model-written answer (copilot.answer_card) proves that every line cites a
given passage; it cannot see a flipped answer. A 1.5B model asked "هل يمكنني إلغاء الطلب بعد شحنه؟"
answered "نعم، يمكنك إلغاء الطلب بعد شحنه [1]" from a section that says "بعد الشحن لا يمكن إلغاء
الطلب" (bench/RESULTS.md, "Session 5, cards3"). A yes/no question is where that costs most: the
customer reads the first word and acts on it.

So, for a yes/no question only ("can I...", "is there...", "هل...", "ينفع/ممكن/أقدر..."), each text
gets a polarity: an answer opening with yes or no ("Yes,", "No.", "نعم،", "لا.") says so; otherwise
the sentence sharing most of the question's terms (copilot.section_choice's terms, so dialect reads
as MSA and a verb meets its noun) is negated when it holds a negation word of its language ("not",
"never", "can't", "لا", "لن", "ليس", "غير", "لم", a clause-opening "ما", dialect "مش/مو" read as
"لا"). Two texts disagree only when both polarities are clear: a tie between a negated and a plain
sentence, or no sentence sharing a term with the question, is "unknown" and never refuses anything.
This is a lexical check, not understanding: it catches the flipped yes/no the citation check lets
through, and it errs toward keeping the model's answer when it cannot tell.
"""

from __future__ import annotations

import re

from copilot.expansion import fold
from copilot.section_choice import terms
from kb.arabic import dialect_to_msa, normalize_arabic

# Openers of a yes/no question, folded; Arabic dialect read as MSA ("ينفع" -> "يمكن"). "هل" asks
# yes or no wherever it stands; the others only as the first word ("is" inside a sentence states).
_YES_NO_OPENERS = frozenset(
    fold(
        dialect_to_msa(
            """can could do does did is are was were will would should may might have has am
            ينفع يمكن يمكنني يمكنك ممكن اقدر أقدر نقدر تقدر هل"""
        )
    )
)
# A question word that asks for something other than yes or no ("can you tell me how...", "هل تعرف
# كيف..."): the answer is steps or a fact, not a yes or a no.
_WH_WORDS = frozenset(fold(dialect_to_msa("how what when where why which who كيف متى ماذا لماذا كم أين اين")))
_LEAD_INS = frozenset(("so", "and", "but", "please", "hi", "hello", "و"))
_YES = frozenset(fold("yes yeah yep sure نعم أجل اجل بلى ايوه ايوا"))
_NO = frozenset(fold("no nope لا كلا"))
_NEGATIONS = frozenset(
    ("not", "no", "never", "cannot", "none", "nothing", "nor", "neither", "nobody",
     "لا", "لن", "لم", "ليس", "ليست", "لست", "ليسوا", "ليسا", "غير", "مش", "مو", "مب", "ماهو", "ماهي")
)
# A negation after one of these, in the same clause, belongs to a condition, not to the claim:
# "يمكنك تعديل الموعد ما دام الطلب لم يُشحن" says yes (until it ships), "you can't delete it while a
# return is open" says no (its negation comes first). "قبل/بعد" (before/after) are not among them:
# "بعد الشحن لا يمكن إلغاء الطلب" opens with its time and then says no.
_CONDITIONS = frozenset(
    ("if", "unless", "until", "while", "when", "once", "whether", "مادام", "طالما", "اذا", "لو", "حتي", "ان",
     "عندما", "حين", "حينما")
)
# Arabic permission words are no topic for choosing a section (copilot.section_choice's stop words), but
# a yes/no question and the sentence that answers it share them: "هل يمكنني ..." / "لا يمكن ...". (English
# "can" was never a term; its questions share their topic words.)
_MODALS = frozenset(fold(dialect_to_msa("ممكن يمكن يمكنك يمكنني أقدر اقدر تقدر نقدر أستطيع استطيع تستطيع")))
_CONTRACTION = re.compile(r"\w+n['’]t$", re.IGNORECASE)  # can't, won't, isn't, doesn't
_CONJUNCTIONS = ("و", "ف")  # written onto the next word: "ولا", "فلن", "وليس"
_SENTENCE = re.compile(r"[^.!?؟\n]+")
_CLAUSE = re.compile(r"[,،؛;:]")
_TOKEN = re.compile(r"[\w'’]+")


def yes_no_question(query: str) -> bool:
    """Whether the query asks for a yes or a no: "هل" anywhere, or a yes/no opener first (after a
    lead-in such as "so" or "please"), with no question word asking for something else."""
    words = fold(dialect_to_msa(query))
    if set(words) & _WH_WORDS:
        return False
    if "هل" in words:
        return True
    while words and words[0] in _LEAD_INS:
        words = words[1:]
    return bool(words) and words[0] in _YES_NO_OPENERS


def negated(sentence: str) -> bool:
    """Whether the sentence holds a negation word of English or Arabic (dialect read as MSA); "ما"
    counts only opening a clause ("ما يمكنك..."), where it negates, not "كل ما" or "حسب ما"."""
    for clause in _CLAUSE.split(normalize_arabic(dialect_to_msa(sentence)).lower()):
        tokens = _TOKEN.findall(clause)
        for index, token in enumerate(tokens):
            bare = token[1:] if token.startswith(_CONJUNCTIONS) and len(token) > 2 else token
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if bare in _CONDITIONS or (bare == "ما" and following == "دام") or (bare == "as" and following == "long"):
                break  # the rest of the clause is a condition ("ما دام الطلب لم يُشحن", "as long as")
            if token in _NEGATIONS or bare in _NEGATIONS or _CONTRACTION.match(token):
                return True
            if index == 0 and bare == "ما":
                return True
    return False


def polarity(text: str, query: str, *, answer: bool = False) -> bool | None:
    """True (yes), False (no) or None (unclear) of `text` as an answer to `query`. `answer`: the text
    is a written answer, so an opening "yes"/"no" decides; a section's opening is often the answer to
    its own heading, not to this question, so for a section only the sentences count."""
    if answer:
        first = fold(text)[:1]
        if first and first[0] in _YES:
            return True
        if first and first[0] in _NO and re.match(r"\W*(?:no|لا)\s*[.!,،]", normalize_arabic(text), re.IGNORECASE):
            return False
    asked = set(terms(query, keep=_MODALS))
    best, polarities = 0, set()
    for sentence in _SENTENCE.findall(text):
        shared = len(asked & set(terms(sentence, keep=_MODALS)))
        if shared > best:
            best, polarities = shared, {not negated(sentence)}
        elif shared == best and shared:
            polarities.add(not negated(sentence))
    return polarities.pop() if len(polarities) == 1 else None


def contradicts(answer: str, section: str, query: str) -> bool:
    """Whether `answer`, written for the yes/no question `query`, says yes where `section` says no
    (or no where it says yes). False when the question is not a yes/no one or either side is unclear."""
    if not yes_no_question(query):
        return False
    said, stated = polarity(answer, query, answer=True), polarity(section, query)
    return said is not None and stated is not None and said != stated
