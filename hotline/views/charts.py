"""Small server-rendered SVG charts: no script, no third-party code, every text escaped.

The markup is built here from numbers and escaped labels only, and returned as Markup so
Jinja inserts it as is. Colours are presentation attributes (the CSP allows no inline
style); each bar carries a <title> so a pointer or screen reader gets the exact count.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_FILL = "#1f5f7a"
AXIS = "#7a8699"
TEXT = "#1b1f24"


def _nice_ceiling(value: int) -> int:
    """A round number at or above value for the top of the axis: 1, 2, 5 times 10^k."""
    if value <= 0:
        return 1
    exponent = int("1" + "0" * (len(str(value)) - 1))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart_svg(
    bars: Sequence[tuple[str, int]],
    title: str,
    chart_id: str = "chart",
    width: int = 640,
    height: int = 240,
) -> Markup:
    """A vertical bar chart of (label, count) pairs, as an inline <svg> element."""
    if not chart_id.replace("-", "").replace("_", "").isalnum():
        raise ValueError("chart_id must be alphanumeric (with - or _)")
    left, right, top, bottom = 44, 8, 16, 40
    plot_w = width - left - right
    plot_h = height - top - bottom
    top_value = _nice_ceiling(max((max(0, int(n)) for _, n in bars), default=0))
    slot = plot_w / max(1, len(bars))
    bar_w = slot * 0.7
    title_id = f"{chart_id}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(title_id)}" font-family="sans-serif" font-size="11">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h - plot_h * fraction
        tick = top_value * fraction
        parts.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{AXIS}" stroke-width="{1 if fraction == 0 else 0.5}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_num(tick))}</text>"
        )
    for index, (label, count) in enumerate(bars):
        value = max(0, int(count))
        bar_h = plot_h * value / top_value
        x = left + slot * index + (slot - bar_w) / 2
        y = top + plot_h - bar_h
        center = x + bar_w / 2
        parts.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar_w)}" '
            f'height="{_num(bar_h)}" fill="{BAR_FILL}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if value:
            parts.append(
                f'<text x="{_num(center)}" y="{_num(y - 3)}" text-anchor="middle" '
                f'fill="{TEXT}">{value}</text>'
            )
        parts.append(
            f'<text x="{_num(center)}" y="{_num(top + plot_h + 16)}" text-anchor="middle" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)
