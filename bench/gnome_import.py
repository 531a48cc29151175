"""Import GNOME Help (Debian's gnome-user-docs, Mallard XML, CC-BY-SA) into this help center's format.

    python bench/gnome_import.py /usr/share/help/C/gnome-help /tmp/gnome-content
    python bench/gnome_import.py /tmp/gnome-content   # an installed copy, else `apt-get download` + `dpkg-deb -x`

A real English-only help center nobody tuned on: 249 topic pages (wifi, bluetooth, printers, passwords, files,
sound, displays, accounts...). Each page whose root is type="topic" (or "task") becomes
`target/en/<category>/<id>.md`: id = the page's id, the page's title, <desc> -> summary, category = the first
guide link's page, <section> -> headings, <steps>/<list> -> lists, <terms> -> a list of bold terms, <note> -> a
quoted note, <table> rows as list lines, inline <gui>/<key>/<link>... kept as their text; <media>, editorial
<comment>s and dynamic <links> dropped. Conditional content (Mallard's if: tests) is read as plain GNOME on a
desktop (not Classic, not Ubuntu, nothing being installed). Guide pages (type="guide") are navigation, not
articles: left out. A page that cannot be read is named (`file:line: message`) and left out; the rest are
imported; every written article is checked with `kb lint` (kb.lint.lint_paths) and its errors named too.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.lint import LintMessage, lint_paths

PACKAGE = "gnome-user-docs"
HELP_DIR = Path("usr/share/help/C/gnome-help")  # inside the package (and under / once installed)
INSTALLED = Path("/") / HELP_DIR
FETCHED = Path("var/bench/gnome-deb")  # where `apt-get download` + `dpkg-deb -x` unpack it

MAL = "{http://projectmallard.org/1.0/}"
IF = "{http://projectmallard.org/if/1.0/}"
XI = "{http://www.w3.org/2001/XInclude}"
ARTICLE_TYPES = ("topic", "task")
TRUE_TESTS = frozenset({"platform:gnome", "target:desktop"})  # every other Mallard test token reads false

# Inline elements (their text is kept in the sentence); every other element is a block.
INLINE = {
    f"{MAL}{name}"
    for name in (
        "gui", "key", "keyseq", "guiseq", "link", "em", "app", "file", "cmd", "sys", "input", "output", "span",
        "var", "date", "hi", "code", "em", "name", "email", "years", "cite",
    )
}  # fmt: skip
DROPPED = {f"{MAL}media", f"{MAL}comment", f"{MAL}links", f"{MAL}info", f"{MAL}title", f"{MAL}desc"}
CODE = {f"{MAL}code", f"{MAL}cmd", f"{MAL}file", f"{MAL}sys", f"{MAL}input"}
NOTE_LABELS = {"tip": "Tip", "warning": "Warning", "important": "Important", "bug": "Bug", "caution": "Caution"}
_ESCAPE = re.compile(r"([\\`*_\[\]<>])")


@dataclass
class Imported:
    """What `convert` did: how many articles it wrote, guide pages left out, and each page it could not use."""

    written: int = 0
    guides: int = 0
    failed: list[str] = field(default_factory=list)  # "file:line: message", the page left out
    lint: list[LintMessage] = field(default_factory=list)  # kb lint errors of the written articles


def find_package(checkout: Path, fetch: Callable[[Path], None] | None = None) -> Path:
    """GNOME Help's C (English) pages: installed, else unpacked under `checkout`/var/bench/gnome-deb, else
    fetched there with `apt-get download` (or `fetch`, for tests) and unpacked with `dpkg-deb -x`."""
    if INSTALLED.is_dir():
        return INSTALLED
    unpacked = checkout / FETCHED
    if not (unpacked / HELP_DIR).is_dir():
        (fetch or _apt_fetch)(unpacked)
    if not (unpacked / HELP_DIR).is_dir():
        raise FileNotFoundError(f"{unpacked / HELP_DIR}: the {PACKAGE} package holds no GNOME Help pages there")
    return unpacked / HELP_DIR


def _apt_fetch(unpacked: Path) -> None:
    """`apt-get download gnome-user-docs` into a temporary folder, unpacked into `unpacked`."""
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise FileNotFoundError(
                f"GNOME Help is not installed ({INSTALLED}) and {tool} is missing to fetch the {PACKAGE} package "
                f"into {unpacked}: install {PACKAGE} or unpack its .deb there"
            )
    with tempfile.TemporaryDirectory() as temp:
        done = subprocess.run(["apt-get", "download", PACKAGE], cwd=temp, capture_output=True, text=True)
        debs = sorted(Path(temp).glob(f"{PACKAGE}_*.deb"))
        if done.returncode != 0 or not debs:
            raise FileNotFoundError(
                f"GNOME Help is not installed ({INSTALLED}) and `apt-get download {PACKAGE}` failed: "
                f"{(done.stderr or done.stdout).strip()[:300]}"
            )
        staging = unpacked.with_name(unpacked.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)  # dpkg-deb makes the last folder only (a fresh clone)
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(staging)], check=True)
        shutil.rmtree(unpacked, ignore_errors=True)
        staging.rename(unpacked)


def _passes(element: ET.Element) -> bool:
    """Whether a Mallard conditional test (`if:test`, `test` on if:if/if:when) holds for plain GNOME: commas
    separate alternatives, spaces conditions that must all hold, `!` negates."""
    test = element.get(f"{IF}test") if element.tag not in (f"{IF}if", f"{IF}when") else element.get("test")
    if test is None:
        return True
    return any(
        all((token[1:] not in TRUE_TESTS) if token.startswith("!") else token in TRUE_TESTS for token in group.split())
        for group in test.split(",")
    )


def _chosen(choose: ET.Element) -> list[ET.Element]:
    """The branch of an if:choose that applies: the first passing if:when, else if:else."""
    for branch in choose:
        if branch.tag == f"{IF}when" and _passes(branch):
            return [branch]
        if branch.tag == f"{IF}else":
            return [branch]
    return []


def _words(text: str | None) -> str:
    """Source text as Markdown: whitespace collapsed, Markdown's own characters escaped."""
    return _ESCAPE.sub(r"\\\1", re.sub(r"\s+", " ", text)) if text else ""


class Page:
    """One Mallard page turned into Markdown; `titles` names link targets ("page" and "page#section")."""

    def __init__(self, path: Path, titles: dict[str, str]) -> None:
        self.path = path
        self.titles = titles

    def inline(self, element: ET.Element) -> str:
        """An inline element's (or a paragraph's) text as Markdown on one line."""
        parts = [_words(element.text)]
        for child in element:
            if _passes(child) and child.tag not in DROPPED and child.tag != f"{IF}choose":
                parts.append(self._inline_child(child))
            elif child.tag == f"{IF}choose":
                parts.extend(self.inline(branch) for branch in _chosen(child))
            parts.append(_words(child.tail))
        return re.sub(r" {2,}", " ", "".join(parts))

    def _inline_child(self, child: ET.Element) -> str:
        text = self.inline(child).strip()
        if child.tag == f"{MAL}keyseq":
            keys = [self.inline(k).strip() for k in child] + [_words(t).strip() for t in _texts(child)]
            return "+".join(k for k in keys if k)
        if child.tag == f"{MAL}guiseq":
            return " › ".join(filter(None, (self.inline(g).strip() for g in child if g.tag == f"{MAL}gui")))
        if child.tag == f"{MAL}link" and not text:
            target = child.get("xref") or ""
            return _words(self.titles.get(target) or self.titles.get(target.partition("#")[0]) or child.get("href"))
        if child.tag == f"{MAL}gui":
            return _bold(text)
        if child.tag in CODE and text and "`" not in text and "\\" not in text:
            return f"`{''.join(child.itertext()).strip()}`"
        return text

    def blocks(self, container: ET.Element, depth: int = 2) -> list[str]:
        """A block container's children as Markdown blocks; loose inline content makes a paragraph."""
        out: list[str] = []
        run: list[str] = [_words(container.text)]

        def flush() -> None:
            text = "".join(run).strip()
            if text:
                out.append(text)
            run.clear()

        for child in container:
            if not _passes(child) or child.tag in DROPPED:
                run.append(_words(child.tail))
                continue
            if child.tag in INLINE:
                run.append(self._inline_child(child))
            elif child.tag == f"{IF}choose":
                flush()
                for branch in _chosen(child):
                    out.extend(self.blocks(branch, depth))
            else:
                flush()
                out.extend(self.block(child, depth))
            run.append(_words(child.tail))
        flush()
        return out

    def block(self, element: ET.Element, depth: int) -> list[str]:
        tag = element.tag.removeprefix(MAL)
        if tag == "p":
            text = self.inline(element).strip()
            return [text] if text else []
        if tag == "section":
            title = element.find(f"{MAL}title")
            heading = self.inline(title).strip() if title is not None else ""
            body = self.blocks(element, depth + 1)
            return ([f"{'#' * min(depth, 6)} {heading}"] if heading else []) + body
        if tag in ("steps", "list", "terms", "tree"):
            return self._list(element, depth, ordered=tag == "steps" or element.get("type") == "numbered")
        if tag == "note":
            return self._note(element, depth)
        if tag == "table":
            return self._table(element)
        if tag in ("screen", "code", "synopsis") and element.tag.startswith(MAL):
            code = "".join(element.itertext()).strip("\n")
            return [f"```\n{code}\n```"] if code.strip() else []
        if element.tag == f"{XI}include":
            return self._included(element, depth)
        if tag == "figure":  # its caption (title, desc) as text, the image dropped
            caption = [self.inline(e).strip() for e in element if e.tag in (f"{MAL}title", f"{MAL}desc")]
            return [c for c in caption if c] + self.blocks(element, depth)
        return self.blocks(element, depth)  # example, quote, div, if:if, if:when, item, td...: their content

    def _caption(self, element: ET.Element) -> list[str]:
        """A list's, table's or term's <title> as a bold line (none when it has none)."""
        title = element.find(f"{MAL}title")
        text = self.inline(title).strip() if title is not None else ""
        return [_bold(text)] if text else []

    def _list(self, element: ET.Element, depth: int, ordered: bool) -> list[str]:
        lines = self._caption(element)
        items = [item for item in element if item.tag == f"{MAL}item" and _passes(item)]
        rendered = []
        for number, item in enumerate(items, 1):
            marker = f"{number}. " if ordered else "- "
            content = (self._caption(item) if element.tag == f"{MAL}terms" else []) + self.blocks(item, depth)
            if not content:
                continue
            pad = " " * len(marker)
            body = "\n\n".join(content)
            rendered.append(
                "\n".join((marker if i == 0 else pad if line else "") + line for i, line in enumerate(body.split("\n")))
            )
        return lines + (["\n".join(rendered)] if rendered else [])

    def _note(self, element: ET.Element, depth: int) -> list[str]:
        title = element.find(f"{MAL}title")
        label = self.inline(title).strip() if title is not None else ""
        styles = (element.get("style") or "").split()
        label = label or NOTE_LABELS.get(styles[0] if styles else "", "Note")
        content = self.blocks(element, depth)
        if not content:
            return []
        content[0] = f"**{label}:** {content[0]}"
        body = "\n\n".join(content)
        return ["\n".join(f"> {line}" if line else ">" for line in body.split("\n"))]

    def _table(self, element: ET.Element) -> list[str]:
        out = self._caption(element)
        rows = []
        for row in element.iter(f"{MAL}tr"):
            if not _passes(row):
                continue
            cells = [self._cell(cell) for cell in row if cell.tag in (f"{MAL}td", f"{MAL}th")]
            cells = [c for c in cells if c]
            if cells:
                rows.append("- " + " — ".join(cells))
        for include in element.iter(f"{XI}include"):  # rows shared with another page
            rows.extend(line for block in self._included(include, 2) for line in block.split("\n"))
        return out + (["\n".join(rows)] if rows else [])

    def _cell(self, cell: ET.Element) -> str:
        return " ".join(self.blocks(cell)).replace("\n", " ").strip()

    def _included(self, include: ET.Element, depth: int) -> list[str]:
        """An XInclude of one element of another page (`href` + `xpointer` = its id); legal text and the rest:
        nothing."""
        href, pointer = include.get("href") or "", include.get("xpointer")
        source = self.path.parent / href
        if not pointer or not href.endswith(".page") or not source.is_file():
            return []
        found = ET.parse(source).getroot().find(f".//*[@id='{pointer}']")
        if found is None:
            return []
        if found.tag == f"{MAL}tr":
            cells = [self._cell(cell) for cell in found]
            return ["- " + " — ".join(c for c in cells if c)]
        return self.block(found, depth)


def _bold(text: str) -> str:
    """Bold, unless empty or already holding emphasis (a <gui> inside a term's title)."""
    return f"**{text}**" if text and "*" not in text else text


def _texts(element: ET.Element) -> list[str]:
    return [t for t in [element.text, *(c.tail for c in element)] if t and t.strip()]


def _link_titles(pages: dict[Path, ET.Element]) -> dict[str, str]:
    """The text Mallard shows for an empty <link xref=...>: the target page's or section's title."""
    titles = {}
    for root in pages.values():
        page_id = root.get("id") or ""
        for element in [root, *root.iter(f"{MAL}section")]:
            title = element.find(f"{MAL}title")
            if title is not None:
                key = page_id if element is root else f"{page_id}#{element.get('id')}"
                titles[key] = re.sub(r"\s+", " ", "".join(title.itertext())).strip()
    return titles


def article(root: ET.Element, page: Page) -> tuple[str, str]:
    """The page as (category, Markdown article with front matter)."""
    page_id = root.get("id") or page.path.stem
    info = root.find(f"{MAL}info")
    links = info.iter(f"{MAL}link") if info is not None else iter(())
    guides = [link.get("xref") or "" for link in links if link.get("type") == "guide"]
    category = next((g.partition("#")[0] for g in guides if g.partition("#")[0]), "general")
    title = root.find(f"{MAL}title")
    if title is None or not "".join(title.itertext()).strip():
        raise ValueError("no <title>")
    desc = info.find(f"{MAL}desc") if info is not None else None
    front: dict[str, object] = {
        "id": page_id,
        "title": re.sub(r"\s+", " ", "".join(title.itertext())).strip(),
        "lang": "en",
        "category": category,
    }
    summary = re.sub(r"\s+", " ", "".join(desc.itertext())).strip() if desc is not None else ""
    if summary:
        front["summary"] = summary
    body = "\n\n".join(page.blocks(root))
    return category, f"---\n{yaml.safe_dump(front, allow_unicode=True, sort_keys=False)}---\n{body}\n"


def convert(source: Path, target: Path) -> Imported:
    """Write `target/en/<category>/<id>.md` for every topic page of `source` (a gnome-help folder).

    Written beside `target` and moved there whole at the end, so an interrupted import leaves no half help center
    that a later run would take as done. A page that cannot be read or converted is named and left out."""
    if not source.is_dir() or not any(source.glob("*.page")):
        raise FileNotFoundError(f"{source}: no Mallard .page files (not GNOME Help's gnome-help folder)")
    done = Imported()
    pages: dict[Path, ET.Element] = {}
    for path in sorted(source.glob("*.page")):
        try:
            pages[path] = ET.parse(path).getroot()
        except ET.ParseError as error:
            done.failed.append(f"{path}:{error.position[0]}: {error}")
    titles = _link_titles(pages)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for path, root in pages.items():
        if root.tag != f"{MAL}page" or root.get("type") not in ARTICLE_TYPES:
            done.guides += root.get("type") == "guide"
            continue
        try:
            category, text = article(root, Page(path, titles))
        except (ValueError, ET.ParseError) as error:
            done.failed.append(f"{path}:1: {error}")
            continue
        out = staging / "en" / category / f"{root.get('id') or path.stem}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, "utf-8")
        done.written += 1
    if staging.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        done.lint = [m for m in lint_paths(target, languages=("en",)) if m.severity == "error"]
    return done


def report(done: Imported, target: Path) -> str:
    """What an import did, with every page left out and every lint error named (one per line)."""
    lines = [f"{done.written} articles written to {target}, {done.guides} guide pages left out"]
    lines += [f"left out: {failed}" for failed in done.failed]
    lines += [f"kb lint: {message.format()}" for message in done.lint]
    return "\n".join(lines)


def import_into(target: Path) -> Imported:
    """The suite's importer (bench/eval_retrieval.Domain): GNOME Help, found or fetched, into `target`; what it
    did printed (pages left out and lint errors named)."""
    done = convert(find_package(Path.cwd()), target)
    print(report(done, target))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, nargs="?", help="a gnome-help folder (default: find or fetch it)")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    done = convert(args.source or find_package(Path.cwd()), args.target)
    print(report(done, args.target))
    if done.failed or done.lint:
        sys.exit(2)


if __name__ == "__main__":
    main()
