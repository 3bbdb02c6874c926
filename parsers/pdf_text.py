"""Text layer of a PDF -> positioned words, check-box marks and header/footer lines (pypdfium2).

Coordinates follow `parsers.extraction.Word`: points from the top-left of page 1, later pages
continuing below the earlier ones.
"""
from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.config import Limits
from parsers.extraction import BOX_GLYPHS, CHECK_GLYPHS, CHECKED, UNCHECKED, Word
from parsers.pdf_marks import MAX_OBJECTS_PER_PAGE, with_drawn_marks

FURNITURE_BAND = 0.08  # top and bottom share of a page where headers and footers live
GAP_FACTOR = 1.3  # a horizontal gap wider than this many line heights (~1.5x font size) splits words
# A text layer is garbled (fonts without a Unicode mapping) when more than GARBLED_SHARE of the
# characters taken are control, private-use (outside the symbol-font range) or replacement
# characters, or `(cid:N)` names; pages with fewer than MIN_TEXT_CHARS characters are not judged.
ODD_CHARS = re.compile("[\x01\x03-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf01f\uf100-\uf8ff\ufffd]")
CID_NAME_LENGTH = 7
GARBLED_SHARE, MIN_TEXT_CHARS = 0.2, 20
INVISIBLE_SAMPLE, INVISIBLE_SHARE = 64, 0.9  # characters sampled for render mode 3, share that must be hidden
WHITESPACE = frozenset(" \t\r\n\x00\xa0\u2002\u2003\u2009\u200b\ufeff")

# Symbol-font characters as found without a Unicode mapping, by font family.
ZAPF_DINGBATS = {"4": CHECKED, "3": CHECKED, "8": CHECKED, "7": CHECKED, "n": CHECKED,
                 "o": UNCHECKED, "p": UNCHECKED, "q": UNCHECKED, "r": UNCHECKED}
WINGDINGS = {"\xfe": CHECKED, "\xfd": CHECKED, "\xfc": CHECKED, "\xfb": CHECKED, "x": CHECKED,
             "o": UNCHECKED, "\xa8": UNCHECKED, "q": UNCHECKED}
SYMBOL_CANDIDATES = frozenset(ZAPF_DINGBATS) | frozenset(WINGDINGS)


@dataclass(frozen=True)
class PageFrame:
    """Maps PDF user space of one page to reading positions: points from the page's top-left as displayed.

    Text page and path coordinates are unrotated; a page with /Rotate 90, 180 or 270 (printed
    landscape, scanned sideways) is shown turned, and its words are placed as shown.
    """

    rotation: int  # clockwise degrees: 0, 90, 180 or 270
    width: float  # of the unrotated page (user space)
    height: float

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> "PageFrame":
        rotation = page.get_rotation() % 360
        width, height = page.get_size()  # as displayed
        if rotation in (90, 270):
            width, height = height, width
        return cls(rotation, width, height)

    @property
    def shown_height(self) -> float:
        return self.width if self.rotation in (90, 270) else self.height

    def place(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """x0, x1, top, bottom as displayed, for a rectangle in user space."""
        if self.rotation == 90:
            x0, x1, y0, y1 = bottom, top, left, right
        elif self.rotation == 180:
            x0, x1, y0, y1 = self.width - right, self.width - left, bottom, top
        elif self.rotation == 270:
            x0, x1, y0, y1 = self.height - top, self.height - bottom, self.width - right, self.width - left
        else:
            x0, x1, y0, y1 = left, right, self.height - top, self.height - bottom
        return x0, x1, y0, y1


@dataclass
class PageText:
    """The text layer of one page; word positions are from the top of the page as displayed."""

    words: list[Word]
    height: float
    chars: int  # non-blank characters taken
    odd: int = 0  # characters no text has: controls, private use, replacement characters
    invisible: bool = False  # the text is drawn invisibly (render mode 3): an OCR layer over a scan
    images: bool = False  # an image is drawn on the page

    @property
    def garbled(self) -> bool:
        """True when the characters are mostly not text (fonts without a Unicode mapping)."""
        total = self.chars + self.odd
        return total >= MIN_TEXT_CHARS and self.odd > GARBLED_SHARE * total


@dataclass
class TextLayer:
    """What the text layer of a document holds, page by page."""

    pages: list[PageText] = field(default_factory=list)
    truncated: bool = False  # stopped at `Limits.max_chars`


def read_text_layer(pdf: pdfium.PdfDocument, limits: Limits) -> TextLayer:
    """Words (with check-box marks) of every page of `pdf`, and what kind of text each page holds."""
    layer = TextLayer()
    budget = limits.max_chars
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            frame = PageFrame.of(page)
            text = _page_words(page, frame, budget)
            text.words = with_drawn_marks(page, text.words, frame)
            text.images = _has_image(page)
        finally:
            page.close()
        budget -= text.chars
        layer.pages.append(text)
        if budget <= 0:
            layer.truncated = True
            break
    return layer


def furniture_lines(words: list[Word], page_top: float, page_height: float) -> list[str]:
    """Text of each line in the top and bottom bands of one page (headers and footers)."""
    band = page_height * FURNITURE_BAND
    edge = [w for w in words
            if (w.top + w.bottom) / 2 - page_top < band or page_top + page_height - (w.top + w.bottom) / 2 < band]
    return [" ".join(w.text for w in line) for line in group_lines(edge)]


def group_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines (vertical centres within half a line height), each sorted left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        centre = (word.top + word.bottom) / 2
        if lines:
            last = lines[-1][0]
            if abs(centre - (last.top + last.bottom) / 2) <= max(last.bottom - last.top, 1.0) / 2:
                lines[-1].append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _page_words(page: pdfium.PdfPage, frame: PageFrame, budget: int) -> PageText:
    """Words of one page from pypdfium2 character boxes, counting the characters taken and the odd ones."""
    height = frame.shown_height
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return PageText([], height, 0)
        text = textpage.get_text_range(0, count)
        if len(text) != count:  # characters outside the BMP: read them one by one
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
        odd = len(ODD_CHARS.findall(text)) + CID_NAME_LENGTH * text.count("(cid:")
        builder = _WordBuilder(textpage, frame)
        taken = 0
        for i, char in enumerate(text):
            if char in WHITESPACE or (ord(char) < 32 and char != "\x02"):
                builder.flush()
                continue
            taken += 1
            if taken > budget:
                break
            builder.add(i, "-" if char == "\x02" else char)
        builder.flush()
        taken = min(taken, budget)
        return PageText(builder.words, height, taken, odd, taken > 0 and _invisible(textpage, count))
    finally:
        textpage.close()


def _invisible(textpage: pdfium.PdfTextPage, count: int) -> bool:
    """True when most characters (a sample of INVISIBLE_SAMPLE) are drawn with text render mode 3."""
    modes = []
    for i in range(0, count, max(1, count // INVISIBLE_SAMPLE)):
        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, i)
        if obj:  # spaces and line breaks pdfium generates have no text object
            modes.append(pdfium_c.FPDFTextObj_GetTextRenderMode(obj))
    return bool(modes) and modes.count(pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE) >= INVISIBLE_SHARE * len(modes)


def _has_image(page: pdfium.PdfPage) -> bool:
    """True when an image object is drawn on the page or in a form XObject on it (a scan or a photo)."""

    def search(get, count: int, depth: int) -> bool:
        for i in range(min(count, MAX_OBJECTS_PER_PAGE)):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                return True
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 2 and search(
                    lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j),
                    pdfium_c.FPDFFormObj_CountObjects(obj), depth + 1):
                return True
        return False

    return search(lambda i: pdfium_c.FPDFPage_GetObject(page.raw, i), pdfium_c.FPDFPage_CountObjects(page.raw), 0)


class _WordBuilder:
    """Collects characters into words, splitting at line changes and wide gaps."""

    def __init__(self, textpage: pdfium.PdfTextPage, frame: PageFrame) -> None:
        self.textpage = textpage
        self.frame = frame
        self.rect = pdfium_c.FS_RECTF()
        self.words: list[Word] = []
        self.chars: list[str] = []
        self.box: list[float] = []  # x0, x1, top, bottom of the word so far

    def add(self, index: int, char: str) -> None:
        pdfium_c.FPDFText_GetLooseCharBox(self.textpage.raw, index, self.rect)
        x0, x1, top, bottom = self.frame.place(self.rect.left, self.rect.bottom, self.rect.right, self.rect.top)
        mark = self._mark(index, char)
        if mark:
            self.flush()
            self.words.append(Word(mark, x0, x1, top, bottom))
            return
        if self.chars:
            px0, px1, ptop, pbottom = self.box
            line_height = max(pbottom - ptop, 1.0)
            centre = (top + bottom) / 2
            if not ptop <= centre <= pbottom or x0 - px1 > GAP_FACTOR * line_height or x0 < px0 - line_height:
                self.flush()
        if self.chars:
            box = self.box
            box[1] = max(box[1], x1)
            box[2] = min(box[2], top)
            box[3] = max(box[3], bottom)
        else:
            self.box = [x0, x1, top, bottom]
        self.chars.append(char)

    def flush(self) -> None:
        if not self.chars:
            return
        text = "".join(self.chars)
        if any("\ufb00" <= c <= "\ufb4f" for c in text):  # ligatures (fi, fl...)
            text = unicodedata.normalize("NFKC", text)
        x0, x1, top, bottom = self.box
        self.words.append(Word(text, x0, x1, top, bottom))
        self.chars = []

    def _mark(self, index: int, char: str) -> str | None:
        """CHECKED / UNCHECKED when the character is a check-box glyph, else None."""
        if char in CHECK_GLYPHS:
            return CHECKED
        if char in BOX_GLYPHS:
            return UNCHECKED
        code = ord(char)
        if 0xF020 <= code <= 0xF0FF:  # symbol fonts mapped into the private use area
            char = chr(code - 0xF000)
        elif char not in SYMBOL_CANDIDATES:
            return None
        family = self._font_name(index).lower()
        if "dingbat" in family:
            return ZAPF_DINGBATS.get(char)
        if "wingding" in family:
            return WINGDINGS.get(char)
        return None

    def _font_name(self, index: int) -> str:
        buffer = ctypes.create_string_buffer(128)
        pdfium_c.FPDFText_GetFontInfo(self.textpage.raw, index, buffer, 128, None)
        return buffer.value.decode("latin-1")
