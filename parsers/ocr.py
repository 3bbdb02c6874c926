"""Scanned PDF pages -> words by OCR (Tesseract), with a skew correction and check-box detection."""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium
import pytesseract
from PIL import Image
from scipy import ndimage

from parsers.config import Limits
from parsers.extraction import CHECKED, UNCHECKED, UnreadableDocument, Word
from parsers.pdf_text import furniture_lines

# psm 6 (one uniform block) reads label/value table rows as lines; inverted-text passes cost time for nothing.
OCR_CONFIG = "--psm 6 -c tessedit_do_invert=0"
RULE_LENGTH = 30.0  # points: ink runs this long are table rules, erased before OCR
MAX_PIXELS = 40_000_000  # rendering budget per page; larger pages are rendered at a lower resolution
SKEW_LIMIT, SKEW_STEP = 3.0, 0.25  # degrees
SKEW_SIDE = 1000  # pixels: the downscaled image the skew is measured on
INK_LEVEL = 170  # grey level below which a pixel is ink (thin grey box outlines included)
BOX_SIDE = (5.0, 20.0)  # points: a check box side (symbol-font boxes are small)
TICK_SIZE = (4.0, 20.0)  # points: a tick or cross standing on its own
# What OCR makes of a tick or cross on its own; anything else read there is text, not a mark.
TICK_READINGS = frozenset(["v", "V", "vv", "Vv", "J", "x", "X", "K", "&", "¥", "✓", "✔", "[x]", "[X]", "x]"])
# What OCR makes of a box printed against the word after it: `[]`, `[J]`, `[x]`, `|`, `(`.
BOX_PREFIX = re.compile(r"^(\[[^\]\s]{0,2}\]|[\[(|{]\S?[\])|}]|[\[(|{])")
TICK_INK = 0.06  # share of inked pixels inside a box above which it is ticked
OCR_SECONDS = 60  # per page
BORDER_NOISE = re.compile(r"^[|\[\](){}_—–\-=~.,:;'\"`]+$")  # table rules and specks read as characters


@dataclass
class ScannedText:
    words: list[Word] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Box:
    """A check box found on a page image, in pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    ticked: bool


def read_scanned_pages(pdf: pdfium.PdfDocument, limits: Limits) -> ScannedText:
    """OCR every page of `pdf`; check boxes found in the image become CHECKED / UNCHECKED words."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise UnreadableDocument("scanned PDF needs Tesseract OCR, which is not installed on this server")
    # Tesseract's OpenMP threads make it several times slower on a busy machine; one page, one core.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    result = ScannedText()
    offset = 0.0
    budget = limits.max_chars
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            height = page.get_height()
            image, scale = _render(page, limits.ocr_dpi)
        finally:
            page.close()
        image = deskew(image)
        words = _page_words(image, scale, offset, limits)
        taken = sum(len(w.text) for w in words)
        if taken > budget:
            words = _take(words, budget)
        budget -= taken
        result.words += words
        result.furniture += furniture_lines(words, offset, height)
        offset += height
        if budget <= 0:
            break
    return result


def _render(page: pdfium.PdfPage, dpi: int) -> tuple[Image.Image, float]:
    """The page as a greyscale image and its pixels per point (lowered for oversized pages)."""
    scale = dpi / 72
    width, height = page.get_size()
    if width * height * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (width * height)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil().convert("L"), scale
    finally:
        bitmap.close()


def deskew(image: Image.Image) -> Image.Image:
    """`image` turned upright when it is rotated by a small angle (as scans are)."""
    angle = skew_angle(image)
    if angle == 0:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)


def skew_angle(image: Image.Image) -> float:
    """The rotation (degrees, Pillow's sense) that makes text lines horizontal.

    The angle within ±SKEW_LIMIT maximising the variance of the row sums (the horizontal
    projection profile) of a downscaled, binarised copy: text lines give sharp peaks when level.
    """
    small = image.copy()
    small.thumbnail((SKEW_SIDE, SKEW_SIDE))
    ink = small.point(lambda v: 255 if v < INK_LEVEL else 0)
    steps = int(SKEW_LIMIT / SKEW_STEP)
    scores = {}
    for i in range(-steps, steps + 1):
        angle = i * SKEW_STEP
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
        scores[angle] = float(rows.var())
    return max(scores, key=lambda a: (scores[a], -abs(a)))


def find_check_boxes(ink: np.ndarray, pixels_per_point: float) -> list[Box]:
    """Small square outlines (about BOX_SIDE points a side) in an ink mask, ticked when ink fills their inside.

    An outline has thin sides and stands apart from other ink (letters of bold text do not).
    """
    low = int(BOX_SIDE[0] * pixels_per_point * 0.85)
    high = int(BOX_SIDE[1] * pixels_per_point * 1.1)
    rows, starts, ends = _horizontal_runs(ink)
    lengths = ends - starts
    keep = (lengths >= low) & (lengths <= high)
    rows, starts, ends = rows[keep], starts[keep], ends[keep]
    tolerance = max(2, int(pixels_per_point * 1.2))
    boxes: list[Box] = []
    for y, x0, x1 in zip(rows.tolist(), starts.tolist(), ends.tolist()):
        if any(b.x0 - tolerance <= x0 <= b.x1 and b.y0 - tolerance <= y <= b.y1 for b in boxes):
            continue
        side = x1 - x0
        below = ((np.abs(starts - x0) <= tolerance) & (np.abs(ends - x1) <= tolerance)
                 & (rows - y >= 0.8 * side) & (rows - y <= 1.2 * side))
        if not below.any():
            continue
        y1 = int(rows[below].max())
        if not (_column_inked(ink, x0, y, y1, tolerance) and _column_inked(ink, x1 - 1, y, y1, tolerance)):
            continue
        if not (_square_corners(ink, x0, y, x1, y1) and _thin_sides(ink, x0, y, x1, y1)
                and _stands_apart(ink, x0, y, x1, y1, pixels_per_point)):
            continue
        boxes.append(Box(x0, y, x1, y1, _inside_ink(ink, x0, y, x1, y1) > TICK_INK))
    return boxes


def find_ticks(ink: np.ndarray, readings: list[tuple[str, int, int, int, int]], boxes: list[Box],
               pixels_per_point: float) -> list[Box]:
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
        if any(_overlaps(box, x0, y0, x1, y1) for box in boxes):
            continue
        if not 0.08 <= float((labels[rows, columns] == index).mean()) <= 0.5:
            continue
        if not _stands_apart(ink, x0, y0, x1, y1, pixels_per_point):
            continue
        read = [text for text, *area in readings if _overlaps(Box(*area, ticked=False), x0, y0, x1, y1)]
        if all(text in TICK_READINGS for text in read):
            ticks.append(Box(x0, y0, x1, y1, ticked=True))
    return ticks


def _horizontal_runs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and end (exclusive) of every horizontal run of ink pixels."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)
    return rows, starts, ends


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


def _thin_sides(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> bool:
    """True when the top and left sides are thin lines (bowls of bold letters are thick strokes).

    The right and bottom sides may carry a drop shadow (ZapfDingbats boxes).
    """
    side = x1 - x0
    limit = max(3, int(0.2 * side))
    reach = int(0.3 * side)
    middle_row, middle_column = (y0 + y1) // 2, (x0 + x1) // 2
    strokes = (ink[middle_row, max(0, x0 - 2):x0 + reach], ink[max(0, y0 - 2):y0 + reach, middle_column])
    return all(0 < int(stroke.sum()) <= limit for stroke in strokes)


def _stands_apart(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int, pixels_per_point: float) -> bool:
    """True when the ring 1-2.5 points around the outline is almost free of ink (letters have neighbours)."""
    near, far = int(pixels_per_point), int(2.5 * pixels_per_point)
    height, width = ink.shape
    outer = ink[max(0, y0 - far):min(height, y1 + far + 1), max(0, x0 - far):min(width, x1 + far)]
    inner = ink[max(0, y0 - near):min(height, y1 + near + 1), max(0, x0 - near):min(width, x1 + near)]
    ring = int(outer.sum()) - int(inner.sum())
    ring_area = outer.size - inner.size
    return ring_area > 0 and ring / ring_area < 0.03


def _rules(ink: np.ndarray, pixels_per_point: float) -> np.ndarray:
    """Mask of long horizontal and vertical ink runs (table rules) and their grey edges."""
    length = int(RULE_LENGTH * pixels_per_point)
    rules = np.zeros_like(ink)
    for source, target in ((ink, rules), (ink.T, rules.T)):
        rows, starts, ends = _horizontal_runs(source)
        for row, start, end in zip(rows.tolist(), starts.tolist(), ends.tolist()):
            if end - start >= length:
                target[row, start:end] = True
    if rules.any():
        for shift in (-2, -1, 1, 2):
            rules |= np.roll(rules, shift, axis=0) | np.roll(rules, shift, axis=1)
    return rules


def _whitened(image: Image.Image, mask: np.ndarray) -> Image.Image:
    """`image` with the pixels of `mask` made white."""
    if not mask.any():
        return image
    pixels = np.array(image)
    pixels[mask] = 255
    return Image.fromarray(pixels)


def _inside_ink(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    """Share of ink in the inside of a box, leaving out the border lines."""
    inset = max(3, (x1 - x0) // 5)
    inside = ink[y0 + inset:y1 - inset + 1, x0 + inset:x1 - inset]
    return float(inside.mean()) if inside.size else 0.0


def _page_words(image: Image.Image, scale: float, offset: float, limits: Limits) -> list[Word]:
    """OCR words of one page image in points, with check-box marks replacing what OCR read in boxes."""
    ink = np.asarray(image) < INK_LEVEL
    rules = _rules(ink, scale)
    marks_ink = ink & ~rules
    boxes = find_check_boxes(ink, scale)
    try:
        data = pytesseract.image_to_data(_whitened(image, rules), lang=limits.ocr_languages, config=OCR_CONFIG,
                                         output_type=pytesseract.Output.DICT, timeout=OCR_SECONDS)
    except RuntimeError as error:  # pytesseract's timeout
        raise UnreadableDocument("scanned PDF could not be read in time by OCR") from error
    except pytesseract.TesseractError as error:
        raise UnreadableDocument("scanned PDF could not be read by OCR") from error
    readings = [(text.strip(), left, top, left + width, top + height)
                for text, conf, left, top, width, height in zip(data["text"], data["conf"], data["left"],
                                                                 data["top"], data["width"], data["height"])
                if text.strip() and float(conf) >= 0]
    boxes = [box for box in boxes if not _letter_of_a_word(box, readings)]
    boxes += find_ticks(marks_ink, readings, boxes, scale)
    words: list[Word] = []
    for text, x0, y0, x1, y1 in readings:
        if BORDER_NOISE.match(text) or any(_overlaps(box, x0, y0, x1, y1) for box in boxes):
            continue
        text, x0 = _after_box(text, x0, y0, x1, y1, boxes)
        if not text:
            continue
        words.append(Word(text, x0 / scale, x1 / scale, offset + y0 / scale, offset + y1 / scale))
    for box in boxes:
        words.append(Word(CHECKED if box.ticked else UNCHECKED, box.x0 / scale, box.x1 / scale,
                          offset + box.y0 / scale, offset + box.y1 / scale))
    return words


def _after_box(text: str, x0: int, y0: int, x1: int, y1: int, boxes: list[Box]) -> tuple[str, int]:
    """A word OCR read together with the box in front of it (`[]Yes`, `[J]No`): the box's part dropped."""
    for box in boxes:
        side = box.x1 - box.x0
        if abs(box.x0 - x0) < side and x0 < box.x1 < x1 and min(box.y1, y1) > max(box.y0, y0):
            return BOX_PREFIX.sub("", text, count=1), box.x1
    return text, x0


def _letter_of_a_word(box: Box, readings: list[tuple[str, int, int, int, int]]) -> bool:
    """True when the box is a letter (o, n, a...) inside a word OCR read across it."""
    x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return any(sum(c.isalpha() for c in text) >= 4 and x0 <= x <= x1 and y0 <= y <= y1
               and box.x1 - box.x0 < 0.25 * (x1 - x0) for text, x0, y0, x1, y1 in readings)


def _overlaps(box: Box, x0: int, y0: int, x1: int, y1: int) -> bool:
    """True when more than half of a word's area lies in the box (OCR reading the box or its tick)."""
    width = min(box.x1, x1) - max(box.x0, x0)
    height = min(box.y1, y1) - max(box.y0, y0)
    area = max(1, (x1 - x0) * (y1 - y0))
    return width > 0 and height > 0 and width * height > area / 2


def _take(words: list[Word], budget: int) -> list[Word]:
    """The first words in reading order holding at most `budget` characters."""
    taken: list[Word] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        budget -= len(word.text)
        if budget < 0:
            break
        taken.append(word)
    return taken
