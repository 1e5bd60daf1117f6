"""A table drawn as monospaced text lines, for long PDF lists (the 补贴花名册, R23) that must render fast.

Why: WeasyPrint spends about 1 ms per text line box (style, layout, drawing), and a table cell is at least one
line box: a 1,000-person roster of 10 columns took ~19 s as an HTML table (measured, DESIGN §9 wants ≤ 5 s). Here a
row is ONE line box (or a few when a cell wraps): its cells are padded with spaces in a monospaced CJK font
(WenQuanYi Zen Hei Mono: ASCII half an em, CJK one em), and the column rules are backgrounds of the block, not
borders of cells. The bare rows then took ~2.4 s, the whole 花名册 with headings, rules and sums ~4.6 s (the
rest is per glyph: padding spaces are glyphs too).

- Widths are counted in units of half an em. A character's width comes from the font's own metrics when the font
  file is found (fontconfig); a character that is neither half nor one em wide there (``·`` in 阿依古丽·买买提,
  accented Latin) or missing (rare CJK taken from a fallback font) is put in a fixed-width inline box, so the
  columns stay aligned whatever the text.
- Cells wrap character by character at the column width (a row becomes several lines), so nothing is cut off;
  the caller paginates by lines, which keeps per-page subtotals exact.
- Every text is escaped here (``markupsafe.escape``): the lines are ``Markup`` and go into the template as they are.
"""
from __future__ import annotations

import logging
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional, Sequence

from markupsafe import Markup, escape

log = logging.getLogger(__name__)

MONO_FAMILY = "WenQuanYi Zen Hei Mono"
#: CSS font-family of the grid (the template uses it; widths assume the first family).
MONO_CSS = f'"{MONO_FAMILY}", "Noto Sans Mono CJK SC", monospace'
ELLIPSIS = "…"


@lru_cache(maxsize=1)
def _font_advances() -> Optional[tuple[dict, int]]:
    """(code point → advance, units per em) of the monospaced font, or ``None`` when it cannot be read."""
    try:
        from fontTools.ttLib import TTFont

        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", MONO_FAMILY], capture_output=True,
                             text=True, timeout=10, check=True).stdout
        path, index, family = out.split("|", 2)
        if MONO_FAMILY not in family:
            log.warning("Font %s not installed (fontconfig gave %s): roster columns use estimated widths",
                        MONO_FAMILY, family)
            return None
        font = TTFont(path, fontNumber=int(index or 0), lazy=True)
        cmap, hmtx = font.getBestCmap(), font["hmtx"]
        return {cp: hmtx[glyph][0] for cp, glyph in cmap.items()}, font["head"].unitsPerEm
    except Exception:  # noqa: BLE001 — no font tools or no fontconfig: estimated widths still align ASCII and CJK
        log.warning("Cannot read the metrics of %s: roster columns use estimated widths", MONO_FAMILY, exc_info=True)
        return None


@lru_cache(maxsize=65536)
def char_cell(ch: str) -> tuple[int, bool]:
    """(width in half-em units, drawn as plain text?) of one character; not plain → put in a fixed-width box."""
    wide = unicodedata.east_asian_width(ch) in "WF"
    metrics = _font_advances()
    if metrics is None:
        if " " <= ch <= "~":
            return 1, True
        return (2, True) if wide else (2, False)
    advances, upm = metrics
    advance = advances.get(ord(ch))
    if advance == upm // 2:
        return 1, True
    if advance == upm:
        return 2, True
    if advance is None:  # drawn from a fallback font of unknown width
        return 2, False
    return (1 if advance <= upm // 2 else 2), False


def clean(text: str) -> str:
    """NFC, without control/format characters (they have no width) and with tabs/newlines as spaces."""
    text = unicodedata.normalize("NFC", text or "").replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Mn", "Me"))


def wrap(text: str, width: int, max_lines: int) -> list[list[tuple[str, int, bool]]]:
    """``text`` cut into lines of at most ``width`` units, character by character; beyond ``max_lines`` the last
    line ends with …. Each line is a list of (character, units, plain)."""
    lines: list[list[tuple[str, int, bool]]] = [[]]
    used = 0
    for ch in clean(text):
        units, plain = char_cell(ch)
        if used + units > width and lines[-1]:
            if len(lines) == max_lines:
                last = lines[-1]
                while last and sum(u for _c, u, _p in last) + 2 > width:
                    last.pop()
                last.append((ELLIPSIS, *char_cell(ELLIPSIS)))
                return lines
            lines.append([])
            used = 0
        lines[-1].append((ch, units, plain))
        used += units
    return lines


def render_line(chars: Sequence[tuple[str, int, bool]], width: int, align: str = "left") -> Markup:
    """One cell line padded with spaces to ``width`` units (``align`` left / right / center), escaped."""
    used = sum(units for _ch, units, _plain in chars)
    gap = max(width - used, 0)
    before = gap if align == "right" else gap // 2 if align == "center" else 0
    parts: list[str] = [" " * before]
    run: list[str] = []
    for ch, units, plain in chars:
        if plain:
            run.append(ch)
            continue
        if run:
            parts.append(str(escape("".join(run))))
            run = []
        parts.append(f'<span class="g{units}">{escape(ch)}</span>')
    if run:
        parts.append(str(escape("".join(run))))
    parts.append(" " * (gap - before))
    return Markup("".join(parts))


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # text units, without the one-unit padding on either side
    align: str = "left"


class TextGrid:
    """Columns of fixed widths; ``row`` turns cell texts into the row's text lines (Markup, one per line)."""

    def __init__(self, columns: Sequence[Column], max_lines: int = 8):
        self.columns = tuple(columns)
        self.max_lines = max_lines

    @property
    def units(self) -> int:
        """Width of a whole line (each column padded by one unit on both sides)."""
        return sum(c.width + 2 for c in self.columns)

    def boundaries(self) -> list[int]:
        """x positions (in units) of the column rules, the outer ones included."""
        xs, x = [0], 0
        for column in self.columns:
            x += column.width + 2
            xs.append(x)
        return xs

    def row(self, cells: Iterable[str], spans: Optional[Sequence[int]] = None,
            aligns: Optional[Sequence[str]] = None) -> list[Markup]:
        """The lines of one row. ``spans`` merges columns (e.g. ``[8, 1, 1]``: the first cell over 8 columns)."""
        spans = spans or [1] * len(self.columns)
        cells = list(cells)
        widths, default_aligns, i = [], [], 0
        for span in spans:
            group = self.columns[i:i + span]
            widths.append(sum(c.width + 2 for c in group) - 2)
            default_aligns.append(group[0].align if span == 1 else "left")
            i += span
        aligns = aligns or default_aligns
        wrapped = [wrap("" if cell is None else str(cell), width, self.max_lines)
                   for cell, width in zip(cells, widths)]
        height = max(len(lines) for lines in wrapped)
        out = []
        for n in range(height):
            line = [" " + render_line(lines[n] if n < len(lines) else [], width, align) + " "
                    for lines, width, align in zip(wrapped, widths, aligns)]
            out.append(Markup("").join(line))
        return out

    def header(self) -> list[Markup]:
        return self.row([c.title for c in self.columns], aligns=["center"] * len(self.columns))
