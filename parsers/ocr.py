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

from parsers.check_boxes import Box, Reading, find_check_boxes, find_ticks, horizontal_runs, overlaps
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
# What OCR makes of a box printed against the word after it: `[]`, `[J]`, `[x]`, `|`, `(`.
BOX_PREFIX = re.compile(r"^(\[[^\]\s]{0,2}\]|[\[(|{]\S?[\])|}]|[\[(|{])")
OCR_SECONDS = 60  # per page
BORDER_NOISE = re.compile(r"^[|\[\](){}_—–\-=~.,:;'\"`]+$")  # table rules and specks read as characters


@dataclass
class ScannedText:
    words: list[Word] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)


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


def _rules(ink: np.ndarray, pixels_per_point: float) -> np.ndarray:
    """Mask of long horizontal and vertical ink runs (table rules) and their grey edges."""
    length = int(RULE_LENGTH * pixels_per_point)
    rules = np.zeros_like(ink)
    for source, target in ((ink, rules), (ink.T, rules.T)):
        rows, starts, ends = horizontal_runs(source)
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


def _page_words(image: Image.Image, scale: float, offset: float, limits: Limits) -> list[Word]:
    """OCR words of one page image in points, with check-box marks replacing what OCR read in boxes."""
    ink = np.asarray(image) < INK_LEVEL
    rules = _rules(ink, scale)
    marks_ink = ink & ~rules
    boxes = find_check_boxes(ink, rules, scale)
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
        if BORDER_NOISE.match(text) or any(overlaps(box, x0, y0, x1, y1) for box in boxes):
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
    """A word OCR read together with the box in front of it (`[]Yes`, `OYes`, `KINo`): the box's part dropped.

    A recognised box reading (BOX_PREFIX) is cut off; otherwise as many characters as the box
    covers of the word's width.
    """
    for box in boxes:
        side = box.x1 - box.x0
        if abs(box.x0 - x0) < side and x0 < box.x1 < x1 and min(box.y1, y1) > max(box.y0, y0):
            rest = BOX_PREFIX.sub("", text, count=1)
            if rest == text:
                covered = round(len(text) * (box.x1 - x0) / (x1 - x0))
                rest = text[min(max(covered, 1), len(text) - 1):]
            return rest, box.x1
    return text, x0


def _letter_of_a_word(box: Box, readings: list[Reading]) -> bool:
    """True when the box is a letter (o, n, a...) inside a word OCR read across it.

    The word must reach well left of the box: a box printed against the word after it is no letter.
    """
    x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    side = box.x1 - box.x0
    return any(sum(c.isalpha() for c in text) >= 4 and x0 < box.x0 - side / 2 and x <= x1 and y0 <= y <= y1
               and side < 0.25 * (x1 - x0) for text, x0, y0, x1, y1 in readings)


def _take(words: list[Word], budget: int) -> list[Word]:
    """The first words in reading order holding at most `budget` characters."""
    taken: list[Word] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        budget -= len(word.text)
        if budget < 0:
            break
        taken.append(word)
    return taken
