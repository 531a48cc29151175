"""Charts drawn on the server as inline SVG: no CDN, no script, nothing for the CSP to block.

Only presentation attributes (no style attributes: the CSP allows stylesheets from 'self' only);
colours come from classes in dashboard.css. Labels are text, so a screen reader and a CSV export
carry the same numbers. Bars grow from the inline start, so Arabic pages mirror them through
`direction` on the surrounding figure rather than separate drawings.

A chart is drawn no narrower than its WIDTH units (dashboard.css), so its 11-unit text is at least 11 px on the
screen; on a phone it scrolls sideways in its own box, named and focusable as the tables' are (scaled to a phone's
width, the labels were 6-8 px high).
"""

from __future__ import annotations

from collections.abc import Sequence
from zlib import crc32

from markupsafe import Markup, escape

from webapp.formatting import digits

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 120
WIDTH = 480


def _number(value: float) -> str:
    """A drawn figure in the page's digits (webapp.formatting.digits: KB_DIGITS=arab on an Arabic page)."""
    return digits(f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}")


def bar_chart(items: Sequence[tuple[str, float]], title: str, css: str = "bar") -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    top = max((v for _, v in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    span = WIDTH - LABEL_WIDTH - 60
    rows = []
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = max(0.0, value / top * span)
        rows.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7:.0f}" text-anchor="end" class="label">'
            f"{escape(digits(label) if label.isdecimal() else label)}</text>"  # a rating, a position: a figure
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" class="{escape(css)}"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR_HEIGHT * 0.7:.0f}" class="value">'
            f"{escape(_number(value))}</text>"
        )
    # An image's text is not read inside it (role=img): its bars' labels and values are its description (<desc>),
    # the chart's text alternative for a screen reader, as its figures are for the eye (WCAG 1.1.1).
    # Referred to by aria-describedby (a <desc> alone is not every reader's description); its id from the title.
    described = " · ".join(f"{label}: {_number(value)}" for label, value in items)
    desc_id = f"chart-{crc32(title.encode()):x}"
    return _boxed(f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
                  f'aria-label="{escape(title)}" aria-describedby="{desc_id}"><title>{escape(title)}</title>'
                  f'<desc id="{desc_id}">{escape(described)}</desc>{"".join(rows)}</svg>', title)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]], title: str,
               height: int = 160) -> Markup:
    """One polyline per (name, values, css class) over shared x labels (days); first and last
    labels drawn, a legend below."""
    count = max(len(labels), 1)
    top = max((v for _, values, _ in series for v in values), default=0) or 1
    left, right, bottom = 36, WIDTH - 10, height - 34
    step = (right - left) / max(count - 1, 1)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>',
             f'<text x="{left - 4}" y="14" text-anchor="end" class="value">{escape(_number(top))}</text>',
             f'<text x="{left - 4}" y="{bottom}" text-anchor="end" class="value">{_number(0)}</text>']
    for name, values, css in series:
        points = " ".join(f"{left + i * step:.1f},{bottom - v / top * (bottom - 10):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" class="{escape(css)}"><title>{escape(name)}</title>'
                     "</polyline>")
    if labels:
        parts.append(f'<text x="{left}" y="{bottom + 14}" class="label">{escape(labels[0])}</text>')
        parts.append(f'<text x="{right}" y="{bottom + 14}" text-anchor="end" class="label">{escape(labels[-1])}</text>')
    for i, (name, _values, css) in enumerate(series):
        x = left + i * 150
        parts.append(f'<rect x="{x}" y="{height - 12}" width="12" height="8" class="{escape(css)}-key"/>'
                     f'<text x="{x + 16}" y="{height - 4}" class="label">{escape(name)}</text>')
    return _boxed(f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
                  f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>', title)


def _boxed(svg: str, title: str) -> Markup:
    """The drawing in its scrolling box: focusable, so a keyboard scrolls it, and named by the chart's title."""
    return Markup(f'<div class="chart-scroll" tabindex="0" role="region" aria-label="{escape(title)}">{svg}</div>')
