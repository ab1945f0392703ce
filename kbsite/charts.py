"""Server-side SVG charts: no JavaScript, no CDN, readable Chinese labels.

Every chart is a small, accessible ``<svg role="img">`` with a ``<title>``;
text is escaped; colours come from the stylesheet's palette.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1a73e8", "#e37400", "#188038", "#9334e6", "#d93025", "#007b83", "#5f6368")
FONT = 'font-family="-apple-system, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"'


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(data: Sequence[tuple[str, float]], title: str, *, width: int = 560,
              unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); good for categories with long Chinese names."""
    row, label_w, pad = 26, 150, 8
    height = pad * 2 + 24 + row * max(1, len(data))
    top = max((v for _, v in data), default=0) or 1
    bar_w = width - label_w - 70
    parts = [f'<text x="{pad}" y="18" font-size="14" font-weight="600">{escape(title)}</text>']
    if not data:
        parts.append(f'<text x="{pad}" y="48" font-size="13" fill="#6b7280">暂无数据</text>')
    for i, (label, value) in enumerate(data):
        y = 30 + i * row
        w = max(1.0, bar_w * value / top) if value else 0
        short = label if len(label) <= 10 else label[:9] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f'<title>{escape(label)}</title>{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 9}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)] if len(data) <= 7 else PALETTE[0]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12">{_fmt(value)}{escape(unit)}</text>'
        )
    return _svg(width, height, title, parts)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float]], title: str, *,
               width: int = 560, height: int = 220, unit: str = "") -> Markup:
    """One or more lines over shared x labels (e.g. weeks); a legend names each series."""
    left, right, top_pad, bottom = 44, 24, 40, 34  # room for the last x label
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [v for s in series.values() for v in s]
    top = max(values, default=0) or 1
    n = max(1, len(labels) - 1)
    parts = [f'<text x="8" y="18" font-size="14" font-weight="600">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="#6b7280">{_fmt(top * frac)}{escape(unit)}</text>')
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % step == 0:
            x = left + plot_w * i / n
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="11" text-anchor="middle" '
                         f'fill="#6b7280">{escape(label)}</text>')
    for k, (name, points) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        coords = " ".join(f"{left + plot_w * i / n:.1f},{top_pad + plot_h * (1 - v / top):.1f}"
                          for i, v in enumerate(points))
        if coords:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<rect x="{width - right - 120}" y="{6 + 16 * k}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{width - right - 106}" y="{15 + 16 * k}" font-size="12">{escape(name)}</text>')
    if not values:
        parts.append(f'<text x="{left}" y="{top_pad + 20}" font-size="13" fill="#6b7280">暂无数据</text>')
    return _svg(width, height, title, parts)


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
