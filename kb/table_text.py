"""A table in a section's text as a reader reads it in a reply, a snippet or a plain-text card: a list line per row.

kb.parsing writes a table's rows into a section's text as "a | b | c" lines, the header row first: search and
the embeddings read them so, and the answer card draws them as a table. Quoted as they are in a reply mail or a
draft, "KSA | 19 SAR | 200 SAR | 35 SAR" is no sentence, and in Arabic the pipes and the Latin amounts reorder.
So there each row becomes one list line: its first cell, then every other cell after its column's name
("- KSA — Standard delivery: 19 SAR; Express: 35 SAR."), a two-column table's second cell after the first
("- mada: 3-7 business days."), with the article language's separator between cells.
"""

from __future__ import annotations

from kb.bidi_text import in_reading_order

ROW = " | "  # how kb.parsing joins a row's cells
_CELL_SEPARATORS = {"ar": "؛ "}  # between the named cells of a row; "; " otherwise
_SENTENCE_END = (".", "!", "?", "؟", "…")
_NAME_END = (":", "?", "؟")  # a column name that ends so takes no colon of its own ("Possible? Yes")


def is_row(line: str) -> bool:
    """Whether a line of a section's text is a table row (kb.parsing's " | "-joined cells)."""
    return ROW in f" {line.strip()} "


def row_cells(line: str) -> list[str]:
    """A row's cells; an empty first or last cell (a header's blank corner) stays, as an empty string."""
    return [cell.strip() for cell in f" {line.strip()} ".split(ROW)]


def _named(name: str, value: str) -> str:
    if not name:
        return value
    return f"{name} {value}" if name.endswith(_NAME_END) else f"{name}: {value}"


def _closed(text: str) -> str:
    return text if not text or text.endswith(_SENTENCE_END) else text + "."


def row_line(header: list[str], cells: list[str], lang: str) -> str:
    """One data row as a sentence-like line, its cells named by `header` (see the module's docstring)."""
    head, values = cells[0], cells[1:]
    names = [*header[1:], *[""] * max(0, len(values) - len(header) + 1)]
    if len(values) == 1:  # two columns: the first cell says what the second is about
        return _closed(_named(head, values[0]) if values[0] else head)
    separator = _CELL_SEPARATORS.get(lang, "; ")
    said = ""
    for name, value in zip(names, values, strict=False):
        if not value:
            continue
        part = _named(name, value)
        said = part if not said else said + (" " if said.endswith(_SENTENCE_END) else separator) + part
    return _closed(f"{head} — {said}" if head and said else head or said)


def table_lines(header: list[str], rows: list[list[str]], lang: str) -> list[str]:
    """A table's data `rows` (lists of cells) as list lines, their cells named by `header`; a header with no rows
    (its rows cut off, a paragraph with " | " in it) as its cells, separated."""
    if not rows:
        return [_closed(_CELL_SEPARATORS.get(lang, "; ").join(cell for cell in header if cell))]
    return ["- " + row_line(header, row, lang) for row in rows]


def readable_tables(text: str, lang: str) -> str:
    """`text` (a section's plain text, one block a line) with each run of table rows as list lines, one per data
    row (`table_lines`); the header row names the cells and is not a line of its own. A blank line parts the rows
    from a paragraph after them: in a reply mail's Markdown (webapp.mail_templates) the paragraph would continue
    the last row's item."""
    out: list[str] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    for line in text.split("\n"):
        if not is_row(line):
            if header is not None:
                out.extend(table_lines(header, rows, lang))
            if rows and line.strip() and not line.lstrip().startswith("- "):
                out.append("")
            header, rows = None, []
            out.append(line)
        elif header is None:
            header = row_cells(line)
        else:
            rows.append(row_cells(line))
    if header is not None:
        out.extend(table_lines(header, rows, lang))
    return "\n".join(out)


def reply_form(text: str, lang: str) -> str:
    """A section's text as a customer reads it in a reply or a snippet: its tables' rows as list lines
    (`readable_tables`), and a right-to-left article's lines marked to read right in plain text and in a dir="auto"
    mail (kb.bidi_text.rtl_ordered). The drafts' bodies, the passages an agent inserts, the snippets."""
    text = readable_tables(text, lang)
    return in_reading_order(text, lang)
