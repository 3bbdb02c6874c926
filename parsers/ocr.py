"""Scanned PDF pages -> words by OCR (Tesseract), with lighting, orientation and skew corrections and check-box detection."""
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

from parsers.check_boxes import Box, Reading, find_check_boxes, find_ticks, horizontal_runs, overlaps
from parsers.config import Limits
from parsers.extraction import CHECKED, UNCHECKED, UnreadableDocument, Word

# psm 6 (one uniform block) reads label/value table rows as lines; inverted-text passes cost time for nothing.
OCR_CONFIG = "--psm 6 -c tessedit_do_invert=0"
RULE_LENGTH = 30.0  # points: ink runs this long are table rules, erased before OCR
MAX_PIXELS = 40_000_000  # rendering budget per page; larger pages are rendered at a lower resolution
SKEW_LIMIT, SKEW_COARSE, SKEW_STEP = 5.0, 1.0, 0.25  # degrees: searched in whole degrees, then refined
SKEW_SIDE = 1000  # pixels: the downscaled image the skew is measured on
INK_LEVEL = 170  # grey level below which a pixel is ink (thin grey box outlines included)
# What OCR makes of a box printed against the word after it: `[]`, `[J]`, `[x]`, `|`, `(`.
BOX_PREFIX = re.compile(r"^(\[[^\]\s]{0,2}\]|[\[(|{]\S?[\])|}]|[\[(|{])")
OCR_SECONDS = 60  # per page
# Orientation: a page whose words OCR reads with little confidence may be sideways or upside down.
GOOD_WORD_CONF = 60  # a word read with at least this confidence counts as read
UPRIGHT_SHARE = 0.5  # share of a page's words read well above which it is taken as upright
MIN_OSD_CONF = 1.5  # Tesseract's orientation confidence needed to turn a page
SIDEWAYS_RATIO = 2.0  # column profile this many times more uneven than the row profile: lines run vertically
# Lighting: the page background is estimated on a copy this many times smaller; a spread of it
# wider than UNEVEN_LIGHT grey levels (a phone photo, a shadow) is evened out before binarising.
LIGHT_SHRINK, LIGHT_WINDOW, UNEVEN_LIGHT = 8, 9, 40
MARKS_DPI = 300  # resolution at which check boxes are looked for under an OCR text layer
BORDER_NOISE = re.compile(r"^[|\[\](){}_—–\-=~.,:;'\"`]+$")  # table rules and specks read as characters


@dataclass
class ScannedPage:
    """Words of one page read from its image, in points from the top-left of the page as read (upright)."""

    words: list[Word] = field(default_factory=list)
    height: float = 0.0


def require_tesseract() -> None:
    """Raise `UnreadableDocument` when Tesseract is not installed; limit it to one thread."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise UnreadableDocument("scanned PDF needs Tesseract OCR, which is not installed on this server")
    # Tesseract's OpenMP threads make it several times slower on a busy machine; one page, one core.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def read_scanned_page(page: pdfium.PdfPage, limits: Limits) -> ScannedPage:
    """OCR one page; check boxes found in the image become CHECKED / UNCHECKED words.

    Uneven lighting is evened out first. A page OCR reads poorly is asked for its orientation
    (Tesseract OSD) and read again turned upright when it is sideways or upside down.
    """
    image, scale = _render(page, limits.ocr_dpi)
    image = even_light(image)
    if sideways(image):
        image = _upright(image)
    words, good = _page_words(deskew(image), scale, limits)
    if good < UPRIGHT_SHARE:
        turned = _upright(image)
        if turned is not image:
            image = turned
            words, _ = _page_words(deskew(image), scale, limits)
    return ScannedPage(words, image.height / scale)


def marks_under_text(page: pdfium.PdfPage, words: list[Word]) -> list[Word]:
    """`words` of an invisible OCR text layer with the page image's check boxes as CHECKED / UNCHECKED words.

    OCR text layers hold no box states (at best a stray `X` or `[]`): boxes are found in the
    image and what the layer holds inside them is dropped. Words are in points from the page top.
    """
    image, scale = _render(page, MARKS_DPI)
    image = even_light(image)
    readings = [(w.text, round(w.x0 * scale), round(w.top * scale), round(w.x1 * scale), round(w.bottom * scale))
                for w in words]
    return _with_marks(image, scale, readings)


def even_light(image: Image.Image) -> Image.Image:
    """`image` divided by its background brightness when that varies (a photo's light fall-off, a shadow).

    The background is the local maximum of a shrunken copy, smoothed; pages lit evenly are returned as they are.
    """
    small = np.asarray(image.reduce(LIGHT_SHRINK), dtype=np.float32)
    background = ndimage.uniform_filter(ndimage.maximum_filter(small, LIGHT_WINDOW), LIGHT_WINDOW)
    low, high = np.percentile(background, (2, 98))
    if high - low <= UNEVEN_LIGHT:
        return image
    full = Image.fromarray(np.clip(background, 1, 255).astype(np.uint8)).resize(image.size, Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) * 255.0 / np.maximum(np.asarray(full, dtype=np.float32), 1.0)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def sideways(image: Image.Image) -> bool:
    """True when the page's text lines run up or down: ink profiles vary far more across columns than rows."""
    small = image.copy()
    small.thumbnail((SKEW_SIDE, SKEW_SIDE))
    ink = np.asarray(small) < INK_LEVEL
    rows, columns = ink.sum(axis=1, dtype=np.float64), ink.sum(axis=0, dtype=np.float64)
    if not rows.any():
        return False
    return columns.var() / columns.mean() ** 2 > SIDEWAYS_RATIO * rows.var() / rows.mean() ** 2


def _upright(image: Image.Image) -> Image.Image:
    """`image` turned as Tesseract's orientation detection says (the same object when it says nothing)."""
    turn = orientation(image)
    return image.rotate(-turn, expand=True) if turn else image


def orientation(image: Image.Image) -> int:
    """Clockwise degrees (0, 90, 180, 270) the page must be turned to be upright, by Tesseract OSD at half size."""
    try:
        osd = pytesseract.image_to_osd(image.reduce(2), config="--psm 0", output_type=pytesseract.Output.DICT,
                                       timeout=OCR_SECONDS)
    except (RuntimeError, pytesseract.TesseractError):  # too few characters, or out of time
        return 0
    return int(osd["rotate"]) if float(osd["orientation_conf"]) >= MIN_OSD_CONF else 0


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
    scores: dict[float, float] = {}

    def best(angles: list[float]) -> float:
        for angle in angles:
            if angle not in scores:
                rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
                scores[angle] = float(rows.var())
        return max(scores, key=lambda a: (scores[a], -abs(a)))

    coarse = best([i * SKEW_COARSE for i in range(-int(SKEW_LIMIT / SKEW_COARSE), int(SKEW_LIMIT / SKEW_COARSE) + 1)])
    steps = int(SKEW_COARSE / SKEW_STEP)
    return best([coarse + i * SKEW_STEP for i in range(-steps, steps + 1) if abs(coarse + i * SKEW_STEP) <= SKEW_LIMIT])


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


def _page_words(image: Image.Image, scale: float, limits: Limits) -> tuple[list[Word], float]:
    """OCR words of one page image in points, with check-box marks replacing what OCR read in boxes.

    Also the share of words OCR read with confidence (low on a page that is not upright).
    """
    ink = np.asarray(image) < INK_LEVEL
    rules = _rules(ink, scale)
    try:
        data = pytesseract.image_to_data(_whitened(image, rules), lang=limits.ocr_languages, config=OCR_CONFIG,
                                         output_type=pytesseract.Output.DICT, timeout=OCR_SECONDS)
    except RuntimeError as error:  # pytesseract's timeout
        raise UnreadableDocument("scanned PDF could not be read in time by OCR") from error
    except pytesseract.TesseractError as error:
        raise UnreadableDocument("scanned PDF could not be read by OCR") from error
    read = [(text.strip(), float(conf), left, top, left + width, top + height)
            for text, conf, left, top, width, height in zip(data["text"], data["conf"], data["left"],
                                                             data["top"], data["width"], data["height"])
            if text.strip() and float(conf) >= 0]
    good = sum(conf >= GOOD_WORD_CONF for _, conf, *_ in read) / len(read) if read else 0.0
    readings = [(text, x0, y0, x1, y1) for text, _, x0, y0, x1, y1 in read]
    return _with_marks(image, scale, readings, ink, rules), good


def _with_marks(image: Image.Image, scale: float, readings: list[Reading], ink: np.ndarray | None = None,
                rules: np.ndarray | None = None) -> list[Word]:
    """Words in points from `readings` (pixels), with the image's check boxes replacing what was read in them."""
    if ink is None or rules is None:
        ink = np.asarray(image) < INK_LEVEL
        rules = _rules(ink, scale)
    marks_ink = ink & ~rules
    boxes = [box for box in find_check_boxes(ink, rules, scale) if not _letter_of_a_word(box, readings)]
    boxes += find_ticks(marks_ink, readings, boxes, scale)
    words: list[Word] = []
    for text, x0, y0, x1, y1 in readings:
        if BORDER_NOISE.match(text) or any(overlaps(box, x0, y0, x1, y1) for box in boxes):
            continue
        text, x0 = _after_box(text, x0, y0, x1, y1, boxes)
        if not text:
            continue
        words.append(Word(text, x0 / scale, x1 / scale, y0 / scale, y1 / scale))
    for box in boxes:
        words.append(Word(CHECKED if box.ticked else UNCHECKED, box.x0 / scale, box.x1 / scale,
                          box.y0 / scale, box.y1 / scale))
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


def take_words(words: list[Word], budget: int) -> list[Word]:
    """The first words in reading order holding at most `budget` characters."""
    taken: list[Word] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        budget -= len(word.text)
        if budget < 0:
            break
        taken.append(word)
    return taken
