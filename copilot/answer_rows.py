"""The part of a section that answers a question: the table rows, columns or list items the question names.

"How much is delivery to the UAE?" is answered by one row of delivery-fees' "Fees by country" table; quoted whole,
the section makes the customer read three countries' fees to find theirs, and the draft read as if it had not
understood the question. A question names a row by the row's first cell ("UAE", "mada", "Annual"), a column by its
header cell ("Express", "KSA"), a list item by its lead ("Cash on delivery fee: ..."). The names are compared as
copilot.section_choice compares a ticket with a section (`terms`: folded, dialect read as MSA, cut to a common
stem, so "للإمارات" meets "الإمارات" and "phones" meets "Phones"), plus two readings search already has:

- a country by any of its names or cities (copilot.places, CLDR's names in either language): "Saudi Arabia" or
  "Riyadh" names the "السعودية" row, "Egypt" the "مصر" column; an acronym cell ("UAE") is its name's initials;
- a Latin name spelt in Arabic script (copilot.section_choice.spelled_names): "ابل باي" names the "Apple Pay" row.

`answering_part` cuts only the tables and lists: it keeps the table's header row (it names the cells:
kb.table_text.reply_form reads a row as "- UAE — Standard delivery: 15 AED; ..."), the rows named and the items named,
and leaves the section's other lines as they are (the sentence leading into the table, the note under it: "Fees include
VAT..."). When nothing is named, or every row alike, the section is quoted whole (None). Named in passing is not asked:
a ticket telling where it lives ("only to Saudi Arabia, UAE and Egypt?") names several rows without asking an amount,
so several rows, or a column, single themselves out only for a question asking an amount (`asks_amount`: "how much",
"كم", "the delivery fee"), a column only for a question asking one thing (a second question may ask another column:
T-1024's usual hours, then Ramadan's); one row or one item named is always the answer's part. A column alone is kept
only when no row is named: a named row with one column would read "UAE: 25 AED", the column's name lost.
Measured on the labelled tickets and questions (bench/RESULTS.md "Session 42, drafts42").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from copilot.places import named_places, territory_names
from copilot.section_choice import printed_names, questions, spelled_names, terms
from copilot.word_folding import fold
from kb.table_text import ROW, is_row, row_cells

_LANGS = ("en", "ar")
# An item names what it is about before a colon ("Cash on delivery fee: 15 SAR ...", "رسوم الدفع عند الاستلام: ...").
_ITEM = re.compile(r"^-\s+(?P<lead>[^:.؟?!]{2,60}):\s")
_BRACKETS = re.compile(r"\([^)]*\)")
_ALTERNATIVES = re.compile(r",|،|/|\bor\b|\band\b|\bأو\b|\bاو\b")
_ACRONYM = re.compile(r"^[A-Z]{2,4}$")
_LOWER_NAME = re.compile(r"\b[a-z]{3,}\b")
_SMALL_WORDS = frozenset(("and", "of", "the"))
_KINGDOM = "K"  # "KSA": the Kingdom of Saudi Arabia, as the Gulf writes it; CLDR's name is "Saudi Arabia"
_PROCLITICS = ("و", "ف", "ب", "ل", "ك")
_AMOUNT_QUESTION = re.compile(
    r"\bhow (?:much|many|long)\b|\b(?:fees?|prices?|costs?|charges?|rates?)\b"
    r"|(?:^|[\s،,.؟?])(?:[وف]?(?:كم|بكم|كام|بكام|قديش|قداش|بقديش)(?=[\s؟?]|$)"
    r"|[وفبل]?(?:ال)?(?:رسوم|سعر|أسعار|اسعار|تكلفة|مدة|نسبة))",
    re.IGNORECASE,
)
_MIN_STEM = 3  # a stem shorter than this starts too many words to meet another by its start


def _names(cell: str) -> list[list[str]]:
    """The names a cell holds, each as its comparable terms: "Visa, Mastercard or Meeza" holds three, and a bracket's
    examples are names too ("Large appliances (washing machines, fridges)": "large appliances", "washing machines",
    "fridges"); a blank cell none."""
    plain = cell.replace("*", "")
    parts = [_BRACKETS.sub(" ", plain), *(inside[1:-1] for inside in _BRACKETS.findall(plain))]
    found = [terms(name) for part in parts for name in _ALTERNATIVES.split(part)]
    return [name for name in found if name]


@functools.lru_cache(maxsize=4096)
def cell_countries(cell: str) -> frozenset[str]:
    """The countries a cell names (CLDR codes): by a name or city in either language, by a part of the name
    that is one country's alone ("السعودية" of "المملكة العربية السعودية"), or by its initials ("UAE")."""
    plain = _BRACKETS.sub(" ", cell.replace("*", "")).strip()
    found: set[str] = set()
    for lang in _LANGS:
        by_city, by_name = named_places(plain, lang)
        found.update(by_city, by_name)
    if found or not plain:
        return frozenset(found)
    words = set(fold(plain))
    for lang in _LANGS:
        holding = [code for code, name in territory_names(lang).items() if words and words <= set(fold(name))]
        if len(holding) == 1:
            found.add(holding[0])
    if _ACRONYM.match(plain):
        for code, name in territory_names("en").items():
            initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in _SMALL_WORDS).upper()
            if plain in (initials, _KINGDOM + initials):
                found.add(code)
    return frozenset(found)


def _latin_names(cell: str) -> frozenset[str]:
    """The Latin words of a cell an Arabic question may spell by sound: names ("Apple Pay", copilot.section_choice's
    printed names) and a lower-case brand ("mada": "مدى"); not an acronym ("UAE", "SMS": spelt letter by letter)."""
    return printed_names(cell) | frozenset(w for w in _LOWER_NAME.findall(cell))


class _Question:
    """What a question says, read once: its terms, the countries it names, the Latin names it spells."""

    def __init__(self, question: str) -> None:
        self.text = question
        # "ومصر", "بالإمارات": a written-on conjunction or preposition, taken off as another reading of the word
        bare = " ".join(word[1:] for word in fold(question) if word.startswith(_PROCLITICS) and len(word) > 3)
        self.terms = frozenset(terms(question)) | frozenset(terms(bare))
        self.countries = frozenset(code for lang in _LANGS for found in named_places(question, lang) for code in found)
        self.amount = asks_amount(question)

    def says(self, term: str) -> bool:
        """Whether the question holds `term`, or a term one of the two starts ("شهر" of "الشهري", "شهره" of "شهرية")."""
        return term in self.terms or any(
            min(len(term), len(t)) >= _MIN_STEM and (t.startswith(term) or term.startswith(t)) for t in self.terms
        )

    def names(self, cell: str) -> bool:
        """Whether the question names the cell: all the terms of one of its names, or a country it names."""
        if not cell.strip():
            return False
        spelled = frozenset(spelled_names(self.text, _latin_names(cell)))
        if any(all(self.says(term) or term in spelled for term in name) for name in _names(cell)):
            return True
        return bool(self.countries and self.countries & cell_countries(cell))

    def distinguishes(self, cells: Sequence[str]) -> list[bool]:
        """Which of `cells` (a header's column names) the question names by a word or a country at most half of
        them hold: "express" names the express column; "delivery", in two of delivery-fees' three, names none."""
        held = [set().union(*_names(cell)) for cell in cells]
        places = [cell_countries(cell) & self.countries for cell in cells]
        most = len(cells) // 2
        rare = {t for t in self.terms if 0 < sum(t in words for words in held) <= most}
        rare_places = {c for c in self.countries if 0 < sum(c in found for found in places) <= most}
        return [bool(words & rare or found & rare_places) for words, found in zip(held, places, strict=True)]


def _table(lines: list[str], asked: _Question) -> list[str] | None:
    """A table's lines (its header row first) cut to the rows and columns the question names, or None."""
    header, rows = row_cells(lines[0]), [row_cells(line) for line in lines[1:]]
    if not rows:
        return None
    named_rows = [row for row in rows if asked.names(row[0])]
    if len(named_rows) == len(rows) or (len(named_rows) > 1 and not asked.amount):
        named_rows = []  # every row named, or several by a question asking no amount: named in passing
    columns = asked.distinguishes(header[1:])
    keep = [0, *[i + 1 for i, named in enumerate(columns) if named]]
    if not (asked.amount and len(questions(asked.text)) == 1):
        keep = [0]  # a column is named by a question asking one amount: a second question may ask another column
    if len(keep) == 1 or (named_rows and len(keep) == 2):
        # No column named; or one, for named rows: its cell alone would read "UAE: 25 AED", its name lost
        keep = list(range(len(header)))
    if not named_rows and len(keep) == len(header):
        return None
    kept = named_rows or rows
    return [ROW.join(cells[i] for i in keep if i < len(cells)) for cells in [header, *kept]]


@functools.lru_cache(maxsize=256)
def _read(question: str) -> _Question:
    """A question read once: the drafter asks it of every section of the suggested articles."""
    return _Question(question)


def asks_amount(question: str) -> bool:
    """Whether the question asks for an amount, a price or a time: "how much", "how long", "the delivery fee", "كم",
    "بكام", "قديش", "سعر", "رسوم". A table's row states one, where an article's opening sums the table up."""
    return bool(_AMOUNT_QUESTION.search(question))


def answering_part(question: str, text: str) -> str | None:
    """`text` (a section's plain text, one block a line) cut to what `question` names: each table to its header and
    its named rows and columns, a list to its named items, the other lines kept; None when the question names nothing
    in it (or every row and item alike): the section is then the answer, whole."""
    if not question.strip():
        return None
    asked = _read(question)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    blocks: list[tuple[str, list[str]]] = []  # ("rows" | "items" | "text", lines)
    for line in lines:
        kind = "rows" if is_row(line) else "items" if line.startswith("- ") else "text"
        if blocks and blocks[-1][0] == kind and kind != "text":
            blocks[-1][1].append(line)
        else:
            blocks.append((kind, [line]))
    cut: dict[int, list[str]] = {}
    for index, (kind, block) in enumerate(blocks):
        if kind == "rows" and len(block) > 1:
            rows = _table(block, asked)
        elif kind == "items":
            items = [line for line in block if (lead := _ITEM.match(line)) and asked.names(lead.group("lead"))]
            rows = items if items and len(items) < len(block) and (len(items) == 1 or asked.amount) else None
        else:
            rows = None
        if rows is not None:
            cut[index] = rows
    if not cut:
        return None
    return "\n".join(line for index, (_, block) in enumerate(blocks) for line in cut.get(index, block))
