"""Check boxes and option buttons drawn as vector paths -> CHECKED / UNCHECKED words.

A box is a small square or circle drawn on the page, directly or inside form XObjects (a
fillable form "printed to PDF" draws each widget's appearance as one). It is ticked when dark
ink lies inside it: a tick, a cross, a filled square or a radio button's dot, drawn as a path
or as a short word (a ZapfDingbats check, an X). A light fill or one covering the whole box is
the widget's background, and a bevel or inner frame along its border is decoration: not marks.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.extraction import CHECKED, UNCHECKED, Word

if TYPE_CHECKING:
    from parsers.pdf_text import PageFrame

BOX_MIN, BOX_MAX = 6.0, 20.0  # side of a drawn check box, points
ROUND_MIN = 4.0  # diameter of the smallest drawn option button, points
MAX_OBJECTS_PER_PAGE = 20_000  # beyond this a page is not a form; drawn boxes are not searched
MAX_FORM_DEPTH = 8
LIGHT = 0.8  # luminance (0 black .. 1 white, over a white page) above which a colour is background
BACKGROUND_SHARE = 0.85  # a fill this wide and tall relative to the box covers it: a background
BORDER_SPAN, BORDER_BAND = 0.6, 0.25  # a shape this wide and tall lying within this share of the side
# from the box's edges is a border's decoration (a bevel, an inner frame), not a mark
MARK_SHARE = 0.25  # a mark spans at least this share of the box side
OUTLINE_SLACK = 1.0  # a path within this of the box's size is the box's own outline, points
NEIGHBOUR_GAP = 3.0  # an option word within this many box sides right of a box is its label

Bounds = tuple[float, float, float, float]  # left, bottom, right, top in PDF user space
Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Shape:
    """A small path as drawn: where, whether it is round, and what ink it leaves."""

    bounds: Bounds
    round: bool  # drawn with Bézier curves (a circle)
    ring: bool  # more than one subpath (an outline drawn as a filled ring)
    filled: bool
    stroked: bool
    dark_fill: bool
    dark_stroke: bool
    probes: tuple[Point, ...]  # the path's points and the middles of its sides, in page space

    @property
    def ink(self) -> bool:
        """True when the shape leaves dark ink on the page."""
        return (self.filled and self.dark_fill) or (self.stroked and self.dark_stroke)

    @property
    def is_box(self) -> bool:
        """A square of check-box size, or a circle of option-button size drawn as an outline or a light disc."""
        left, bottom, right, top = self.bounds
        width, height = right - left, top - bottom
        if abs(width - height) > 0.2 * max(width, height) or max(width, height) > BOX_MAX:
            return False
        if not self.round:
            return min(width, height) >= BOX_MIN
        outline = self.stroked or self.ring or (self.filled and not self.dark_fill)
        return outline and min(width, height) >= ROUND_MIN

    def marks(self, box: Bounds) -> bool:
        """True when this shape is a tick, cross, filled square or dot inside `box`."""
        if not self.ink or not _contains(box, self.bounds, 1.0):
            return False
        width, height = self.bounds[2] - self.bounds[0], self.bounds[3] - self.bounds[1]
        box_width, box_height = box[2] - box[0], box[3] - box[1]
        if abs(width - box_width) < OUTLINE_SLACK and abs(height - box_height) < OUTLINE_SLACK:
            return False  # the outline itself (or a second stroke of it)
        if self.filled and width >= BACKGROUND_SHARE * box_width and height >= BACKGROUND_SHARE * box_height:
            return False  # the box's background
        if width >= BORDER_SPAN * box_width and height >= BORDER_SPAN * box_height and self._hugs(box):
            return False  # a bevel or an inner frame along the border
        return max(width, height) >= MARK_SHARE * max(box_width, box_height)

    def _hugs(self, box: Bounds) -> bool:
        """True when every probe point lies near an edge of `box` (nothing reaches its middle)."""
        band = BORDER_BAND * min(box[2] - box[0], box[3] - box[1])
        return all(min(x - box[0], box[2] - x, y - box[1], box[3] - y) < band for x, y in self.probes)


def with_drawn_marks(page: pdfium.PdfPage, words: list[Word], frame: PageFrame) -> list[Word]:
    """`words` plus a CHECKED / UNCHECKED word for each small square or circle drawn on the page.

    A box is ticked when a shape inside it is a mark or a short word (X, ✓, a dingbat) sits in it;
    a glyph mark already found inside it decides it and no second mark is added. The mark takes
    the height of the word just right of it (its option word or label), so they share a line.
    """
    shapes = small_shapes(page)
    boxes = _outermost([s.bounds for s in shapes if s.is_box])
    if not boxes:
        return words
    result = list(words)
    for box in boxes:
        x0, x1, top, bottom = frame.place(*box)
        inside = [w for w in result if x0 - 1 <= (w.x0 + w.x1) / 2 <= x1 + 1
                  and top - 1 <= (w.top + w.bottom) / 2 <= bottom + 1]
        if any(w.text in (CHECKED, UNCHECKED) for w in inside):
            continue
        short = [w for w in inside if len(w.text) <= 2]
        ticked = bool(short) or any(s.marks(box) for s in shapes)
        result = [w for w in result if w not in short]
        top, bottom = _beside(result, x0, x1, top, bottom)
        result.append(Word(CHECKED if ticked else UNCHECKED, x0, x1, top, bottom))
    return result


def _beside(words: list[Word], x0: float, x1: float, top: float, bottom: float) -> tuple[float, float]:
    """Top and bottom of the nearest word starting just right of a box on its line (else the box's own)."""
    reach = x1 + NEIGHBOUR_GAP * (x1 - x0)
    middle = (top + bottom) / 2
    near = [w for w in words if x1 - 1 <= w.x0 <= reach
            and (top <= (w.top + w.bottom) / 2 <= bottom or w.top <= middle <= w.bottom)]
    if not near:
        return top, bottom
    word = min(near, key=lambda w: w.x0)
    return word.top, word.bottom


def _outermost(squares: list[Bounds]) -> list[Bounds]:
    """Boxes not lying inside another box (an inner square, disc or background is not a second box)."""
    unique = sorted(set((round(l, 1), round(b, 1), round(r, 1), round(t, 1)) for l, b, r, t in squares),
                    key=lambda s: -(s[2] - s[0]))
    kept: list[Bounds] = []
    for square in unique:
        if not any(_contains(outer, square, 1.0) for outer in kept):
            kept.append(square)
    return kept


def _contains(outer: Bounds, inner: Bounds, slack: float) -> bool:
    return (outer[0] - slack <= inner[0] and outer[1] - slack <= inner[1]
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def small_shapes(page: pdfium.PdfPage) -> list[Shape]:
    """Every path object no bigger than a box, in page space (also inside form XObjects)."""
    found: list[Shape] = []
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    if count > MAX_OBJECTS_PER_PAGE:
        return found
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    matrix = pdfium_c.FS_MATRIX()
    budget = [MAX_OBJECTS_PER_PAGE]

    def walk(get, n: int, transform: Matrix, depth: int) -> None:
        for i in range(n):
            budget[0] -= 1
            if budget[0] < 0:
                return
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                    bounds = _transform((left.value, bottom.value, right.value, top.value), transform)
                    if bounds[2] - bounds[0] <= BOX_MAX + 2 and bounds[3] - bounds[1] <= BOX_MAX + 2:
                        pdfium_c.FPDFPageObj_GetMatrix(obj, matrix)
                        own = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
                        found.append(_shape(obj, bounds, _compose(own, transform)))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
                pdfium_c.FPDFPageObj_GetMatrix(obj, matrix)
                inner = _compose((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), transform)
                walk(lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j),
                     pdfium_c.FPDFFormObj_CountObjects(obj), inner, depth + 1)

    walk(lambda j: pdfium_c.FPDFPage_GetObject(page.raw, j), count, IDENTITY, 0)
    return found


def _shape(obj: pdfium_c.FPDF_PAGEOBJECT, bounds: Bounds, to_page: Matrix) -> Shape:
    """How a path object is drawn: its segments' kinds and points, fill and stroke and their colours."""
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, fill_mode, stroke)
    x, y = ctypes.c_float(), ctypes.c_float()
    curved, moves = False, 0
    subpaths: list[list[Point]] = []
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        curved |= kind == pdfium_c.FPDF_SEGMENT_BEZIERTO
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            moves += 1
            subpaths.append([])
        subpaths[-1].append(_apply(to_page, x.value, y.value))
    probes = [p for points in subpaths for p in points]
    probes += [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for points in subpaths
               for a, b in zip(points, points[1:] + points[:1])]
    filled = fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE
    return Shape(bounds, curved, moves > 1, filled, bool(stroke.value),
                 filled and _dark(pdfium_c.FPDFPageObj_GetFillColor, obj),
                 bool(stroke.value) and _dark(pdfium_c.FPDFPageObj_GetStrokeColor, obj), tuple(probes))


def _dark(get_colour, obj: pdfium_c.FPDF_PAGEOBJECT) -> bool:
    """True when the colour, blended over white by its alpha, is darker than LIGHT (unknown counts as dark)."""
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not get_colour(obj, r, g, b, a):
        return True
    luminance = (0.299 * r.value + 0.587 * g.value + 0.114 * b.value) / 255
    alpha = a.value / 255
    return 1 - alpha * (1 - luminance) <= LIGHT


def _compose(m: Matrix, n: Matrix) -> Matrix:
    """The matrix applying `m` first, then `n` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(m: Matrix, x: float, y: float) -> Point:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _transform(bounds: Bounds, m: Matrix) -> Bounds:
    if m == IDENTITY:
        return bounds
    a, b, c, d, e, f = m
    xs, ys = [], []
    for x in (bounds[0], bounds[2]):
        for y in (bounds[1], bounds[3]):
            xs.append(a * x + c * y + e)
            ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)
