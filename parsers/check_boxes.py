"""Check boxes and tick marks on a scanned page, found in its ink mask (True where a pixel is ink)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

BOX_SIDE = (5.0, 20.0)  # points: a check box side (symbol-font boxes are small)
TICK_SIZE = (4.0, 20.0)  # points: a tick or cross standing on its own
TICK_INK = 0.06  # share of inked pixels inside a box above which it is ticked
SOLID_INK = 0.6  # share above which a box is filled in (■): ticked, whatever its sides look like
BUSY_SIDE = 0.03  # share of ink beside a box above which that side has a neighbour
# What OCR makes of a tick or cross on its own; anything else read there is text, not a mark.
TICK_READINGS = frozenset(["v", "V", "vv", "Vv", "J", "x", "X", "K", "&", "¥", "✓", "✔", "[x]", "[X]", "x]"])

Reading = tuple[str, int, int, int, int]  # OCR text and its pixel rectangle


@dataclass(frozen=True)
class Box:
    """A check box found on a page image, in pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    ticked: bool


def find_check_boxes(ink: np.ndarray, rules: np.ndarray, pixels_per_point: float) -> list[Box]:
    """Square outlines or filled squares of about BOX_SIDE points, ticked when ink fills their inside.

    Candidates are pairs of equal horizontal runs (top and bottom sides) joined by vertical sides,
    so boxes touching each other or the word after them are found. `rules` marks table rules,
    which are not counted as neighbours.
    """
    low = int(BOX_SIDE[0] * pixels_per_point * 0.85)
    high = int(BOX_SIDE[1] * pixels_per_point * 1.1)
    rows, starts, ends = horizontal_runs(ink)
    lengths = ends - starts
    keep = (lengths >= low) & (lengths <= high)
    rows, starts, ends = rows[keep], starts[keep], ends[keep]
    tolerance = max(2, int(pixels_per_point * 1.2))
    loose = ink & ~rules
    boxes: list[Box] = []
    for y, x0, x1 in zip(rows.tolist(), starts.tolist(), ends.tolist()):
        if any(b.x0 - tolerance <= x0 <= b.x1 and b.y0 - tolerance <= y <= b.y1 for b in boxes):
            continue
        side = x1 - x0
        below = ((np.abs(starts - x0) <= tolerance) & (np.abs(ends - x1) <= tolerance)
                 & (rows - y >= 0.8 * side) & (rows - y <= 1.2 * side))
        if not below.any():
            continue
        y1 = _bottom(np.unique(rows[below]), y + side)
        if not (_column_inked(ink, x0, y, y1, tolerance) and _column_inked(ink, x1 - 1, y, y1, tolerance)
                and _square_corners(ink, x0, y, x1, y1) and _straight_sides(ink[y:y1 + 1, x0:x1])):
            continue
        inside = _inside_ink(ink, x0, y, x1, y1)
        if not ((inside > SOLID_INK or _thin_sides(ink, x0, y, x1, y1))
                and _no_neighbours_both_sides(loose, x0, y, x1, y1, pixels_per_point)):
            continue
        boxes.append(Box(x0, y, x1, y1, inside > TICK_INK))
    return boxes


def find_ticks(ink: np.ndarray, readings: list[Reading], boxes: list[Box], pixels_per_point: float) -> list[Box]:
    """Ticks and crosses standing on their own (no box drawn around them), as ticked boxes.

    A candidate is a connected piece of ink of tick size, apart from other ink, outside the boxes
    found, and either not read by OCR at all or read as one of TICK_READINGS.
    """
    labels, _ = ndimage.label(ink)
    low, high = TICK_SIZE[0] * pixels_per_point, TICK_SIZE[1] * pixels_per_point
    ticks: list[Box] = []
    for index, (rows, columns) in enumerate(ndimage.find_objects(labels), start=1):
        x0, y0, x1, y1 = columns.start, rows.start, columns.stop, rows.stop
        width, height = x1 - x0, y1 - y0
        if not (low <= max(width, height) <= high and min(width, height) >= 2 * pixels_per_point):
            continue
        if any(overlaps(box, x0, y0, x1, y1) for box in boxes):
            continue
        if not 0.08 <= float((labels[rows, columns] == index).mean()) <= 0.5:
            continue
        if not _stands_apart(ink, x0, y0, x1, y1, pixels_per_point):
            continue
        read = [text for text, *area in readings if overlaps(Box(*area, ticked=False), x0, y0, x1, y1)]
        if all(text in TICK_READINGS for text in read):
            ticks.append(Box(x0, y0, x1, y1, ticked=True))
    return ticks


def horizontal_runs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and end (exclusive) of every horizontal run of ink pixels."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)
    return rows, starts, ends


def overlaps(box: Box, x0: int, y0: int, x1: int, y1: int) -> bool:
    """True when more than half of a word's area lies in the box (OCR reading the box or its tick)."""
    width = min(box.x1, x1) - max(box.x0, x0)
    height = min(box.y1, y1) - max(box.y0, y0)
    area = max(1, (x1 - x0) * (y1 - y0))
    return width > 0 and height > 0 and width * height > area / 2


def _bottom(rows: np.ndarray, square: int) -> int:
    """The last row of the bottom side: the matching run nearest a square, followed down its thickness.

    Taking the nearest (not the lowest) keeps a box apart from the top of a box stacked under it.
    """
    y1 = int(rows[np.argmin(np.abs(rows - square))])
    for row in rows[rows > y1].tolist():
        if row != y1 + 1:
            break
        y1 = row
    return y1


def _column_inked(ink: np.ndarray, x: int, y0: int, y1: int, tolerance: int) -> bool:
    """True when a vertical side runs from y0 to y1 near column x."""
    strip = ink[y0:y1 + 1, max(0, x - tolerance):x + tolerance + 1]
    return strip.size > 0 and float(strip.any(axis=1).mean()) > 0.85


def _square_corners(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> bool:
    """True when ink reaches all four corners (round letters leave them empty)."""
    reach = max(2, (x1 - x0) // 7)
    corners = (ink[y0:y0 + reach, x0:x0 + reach], ink[y0:y0 + reach, x1 - reach:x1],
               ink[y1 - reach + 1:y1 + 1, x0:x0 + reach], ink[y1 - reach + 1:y1 + 1, x1 - reach:x1])
    return all(corner.any() for corner in corners)


def _straight_sides(square: np.ndarray) -> bool:
    """True when the outermost ink of each side of `square` lies on a straight line (D, G, o curve away).

    Measured along the middle of each side, so ticks, corners and shadows do not count.
    """
    side = min(square.shape)
    band, margin, tolerance = max(2, side // 3), side // 5, max(2, side // 10)
    for view in (square, square.T):
        middle = view[margin:view.shape[0] - margin]
        for edge in (middle[:, :band], middle[:, ::-1][:, :band]):
            inked = edge.any(axis=1)
            if float(inked.mean()) < 0.9:
                return False
            first = edge.argmax(axis=1)[inked]
            if float(np.mean(np.abs(first - np.median(first)) <= tolerance)) < 0.9:
                return False
    return True


def _thin_sides(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> bool:
    """True when the top and left sides are thin lines (bowls of bold letters are thick strokes).

    A side's thickness is the ink run from its outer edge inwards, at three places; the middle
    value counts, so a tick drawn across a side does not make it thick. The right and bottom
    sides may carry a drop shadow (ZapfDingbats boxes), so they are only required not to be
    thinner than the left side.
    """
    side = x1 - x0
    limit = max(3, int(0.2 * side))
    reach = int(0.3 * side)
    across = [int(side * f) for f in (0.3, 0.5, 0.7)]
    left = [_run_from_edge(ink[y0 + d, max(0, x0 - 2):x0 + reach]) for d in across]
    top = [_run_from_edge(ink[max(0, y0 - 2):y0 + reach, x0 + d]) for d in across]
    right = [_run_from_edge(ink[y0 + d, x1 - reach:x1][::-1]) for d in across]
    thickness = [sorted(strokes)[1] for strokes in (left, top, right)]
    # A box's right side is at least as thick as its left (shadows thicken it); a D's stem is not.
    return 0 < thickness[0] <= limit and 0 < thickness[1] <= limit and thickness[0] <= thickness[2] + 1


def _run_from_edge(line: np.ndarray) -> int:
    """Length of the first run of ink along `line` (0 when it has none)."""
    if not line.any():
        return 0
    start = int(line.argmax())
    gaps = np.flatnonzero(~line[start:])
    return int(gaps[0]) if gaps.size else line.size - start


def _no_neighbours_both_sides(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int,
                              pixels_per_point: float) -> bool:
    """False when ink not joined to the box lies 1-2.5 points both left and right of it (a letter mid-word).

    Ink joined to the box (a tick drawn past its sides, a word or box printed against it) and
    ink above or below (boxes stacked one per line) do not count.
    """
    near, far = int(pixels_per_point), int(2.5 * pixels_per_point)
    height, width = ink.shape
    top, left = max(0, y0 - far), max(0, x0 - far)
    window = ink[top:min(height, y1 + far + 1), left:min(width, x1 + far)]
    labels, _ = ndimage.label(window)
    own = np.unique(labels[y0 - top, x0 - left:x1 - left])
    foreign = window & ~np.isin(labels, own[own > 0])
    rows = slice(y0 - top, y1 - top + 1)
    beside = (foreign[rows, max(0, x0 - far - left):max(0, x0 - near - left)],
              foreign[rows, x1 + near - left:x1 + far - left])
    return not all(strip.size and float(strip.mean()) > BUSY_SIDE for strip in beside)


def _stands_apart(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int, pixels_per_point: float) -> bool:
    """True when the ring 1-2.5 points around a shape is almost free of ink (letters have neighbours)."""
    near, far = int(pixels_per_point), int(2.5 * pixels_per_point)
    height, width = ink.shape
    outer = ink[max(0, y0 - far):min(height, y1 + far + 1), max(0, x0 - far):min(width, x1 + far)]
    inner = ink[max(0, y0 - near):min(height, y1 + near + 1), max(0, x0 - near):min(width, x1 + near)]
    ring = int(outer.sum()) - int(inner.sum())
    ring_area = outer.size - inner.size
    return ring_area > 0 and ring / ring_area < BUSY_SIDE


def _inside_ink(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    """Share of ink in the inside of a box, leaving out the border lines."""
    inset = max(3, (x1 - x0) // 5)
    inside = ink[y0 + inset:y1 - inset + 1, x0 + inset:x1 - inset]
    return float(inside.mean()) if inside.size else 0.0
