"""DOCX reader: words laid out as lines and columns, content-control and form-field values.

The package is opened with `zipfile` and its XML parts parsed with a locked-down lxml parser;
every part's size is capped before and while it is read, because documents come from outside.
Word's body is walked in document order: a body paragraph is a line from x=0, a table row a
band of lines with cell i at x = grid column * 1000 (see `CELL_WIDTH`).
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

import olefile
from lxml import etree

from .config import Limits
from .extraction import (BOX_GLYPHS, CHECK_GLYPHS, CHECKED, UNCHECKED, Extraction,
                         UnreadableDocument, Word)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
DOCUMENT_PART = "word/document.xml"
FURNITURE_PART_RE = re.compile(r"word/(header|footer)(\d*)\.xml")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Strict Open XML namespaces and their transitional equivalents, which the walk compares against.
_STRICT_NAMESPACES = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": W_NS.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships":
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    b"http://purl.oclc.org/ooxml/officeDocument/customProperties":
        b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing":
        b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}
_STRICT_MARK = b"http://purl.oclc.org/ooxml/"
_STRICT_DECLARATION = re.compile(
    rb"""(xmlns(?::[\w.-]+)?\s*=\s*)(["'])(%s)\2""" % b"|".join(map(re.escape, _STRICT_NAMESPACES)))

# Layout, in points: one character is CHAR_WIDTH wide, a line LINE_HEIGHT high (words
# WORD_HEIGHT of it, like 10 pt type on a 12 pt pitch); ROW_GAP between body blocks and rows.
CELL_WIDTH = 1000.0
CHAR_WIDTH = 5.0
LINE_HEIGHT = 12.0
WORD_HEIGHT = 10.0
ROW_GAP = 6.0
# A tab moves to the next default tab stop (every TAB_CHARS characters, 0.5 inch), at least
# TAB_MIN_CHARS on: wide enough for the gap to split label and value as table cells are split.
TAB_CHARS = 8
TAB_MIN_CHARS = 3
# A floating text box sits at its offset from its anchor paragraph. Text here is never wrapped,
# so a box's lines can run far past its real right edge: horizontal offsets are stretched so
# boxes side by side stay apart the way table cells do.
BOX_X_STRETCH = 4.0
EMU_PER_POINT = 12700
_CSS_POINTS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "px": 0.75, "": 0.75}
_VML_MARGIN_RE = re.compile(r"margin-(left|top)\s*:\s*(-?(?:\d+\.?\d*|\.\d+))\s*(pt|in|cm|mm|px|)\s*(?:;|$)")

_CHUNK = 64 * 1024
_WORD_RE = re.compile(r"\S+")
_TRUE = frozenset({"1", "true", "on"})

# Symbol-font check boxes and marks (`w:sym`, or text in the font): low byte of the character
# code -> the glyph the reader emits. Other characters of these fonts are pictures, not text.
_SYMBOL_GLYPHS = {
    "wingdings": {0xA8: UNCHECKED, 0x6F: UNCHECKED, 0x71: UNCHECKED, 0x72: UNCHECKED,
                  0x78: CHECKED, 0xFD: CHECKED, 0xFE: CHECKED, 0xFC: CHECKED, 0xFB: CHECKED},
    "wingdings 2": {0xA3: UNCHECKED, 0x2A: UNCHECKED, 0x50: CHECKED, 0x51: CHECKED, 0x52: CHECKED,
                    0x53: CHECKED, 0x54: CHECKED, 0x4F: CHECKED},
}
_MARKS = CHECK_GLYPHS | BOX_GLYPHS


def _w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


# Tags compared in the walk, computed once.
P, R, T, TAB, BR, CR, SYM = (_w(n) for n in ("p", "r", "t", "tab", "br", "cr", "sym"))
TBL, TR, TC, SDT, SDT_PR, SDT_CONTENT = (
    _w(n) for n in ("tbl", "tr", "tc", "sdt", "sdtPr", "sdtContent"))
FLD_CHAR, INSTR_TEXT, FF_DATA = _w("fldChar"), _w("instrText"), _w("ffData")
NO_BREAK_HYPHEN, DRAWING, PICT, TXBX_CONTENT = (
    _w(n) for n in ("noBreakHyphen", "drawing", "pict", "txbxContent"))
# Containers whose children are walked as if they were in the parent.
_TRANSPARENT = frozenset(_w(n) for n in (
    "ins", "moveTo", "hyperlink", "smartTag", "customXml", "fldSimple", "bdo", "dir"))
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
WP_ANCHOR = f"{{{WP_NS}}}anchor"
POSITION_H_OFFSET, POSITION_V_OFFSET = (f"{{{WP_NS}}}{axis}/{{{WP_NS}}}posOffset"
                                        for axis in ("positionH", "positionV"))
MC_ALTERNATE, MC_CHOICE, MC_FALLBACK = (
    f"{{{MC_NS}}}{n}" for n in ("AlternateContent", "Choice", "Fallback"))
VAL = _w("val")
R_PR, R_FONTS = _w("rPr"), _w("rFonts")
FLD_CHAR_TYPE = _w("fldCharType")
TR_PR, GRID_BEFORE, TC_PR, GRID_SPAN, V_MERGE = (
    _w(n) for n in ("trPr", "gridBefore", "tcPr", "gridSpan", "vMerge"))
SDT_TAG, SHOWING_PLC_HDR = _w("tag"), _w("showingPlcHdr")
DROP_DOWN_LIST, COMBO_BOX, LIST_ITEM = _w("dropDownList"), _w("comboBox"), _w("listItem")
FF_NAME, CHECK_BOX, DD_LIST = _w("name"), _w("checkBox"), _w("ddList")
W14_CHECKBOX, W14_CHECKED, W14_VAL = (f"{{{W14_NS}}}{n}" for n in ("checkbox", "checked", "val"))

class _TextLimitReached(Exception):
    """Raised inside the walk once `max_chars` characters have been taken."""


# --- the package -------------------------------------------------------------------------


class _Package:
    """A DOCX zip whose parts are read under the size limits."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        if data.startswith(OLE_MAGIC):
            raise UnreadableDocument(_ole_reason(data))
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            raise UnreadableDocument("the file is not a readable Word (.docx) document") from None
        total = 0
        for info in infos:
            if info.file_size > limits.max_part_bytes:
                raise UnreadableDocument("a part of the Word document is larger than allowed")
            total += info.file_size
        if total > limits.max_unzipped_bytes:
            raise UnreadableDocument("the Word document unpacks to more than allowed")
        # lxml parsers must not be shared between threads: one per package.
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                                       load_dtd=False, dtd_validation=False,
                                       remove_comments=True, remove_pis=True)
        self._limits = limits
        self._budget = limits.max_unzipped_bytes
        self.names = frozenset(info.filename for info in infos)

    def read(self, name: str) -> bytes:
        """The bytes of part `name`, read in chunks and stopped past the limits."""
        cap = min(self._limits.max_part_bytes, self._budget)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(name) as part:
                while chunk := part.read(_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise UnreadableDocument(
                            "a part of the Word document is larger than allowed")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError):
            raise UnreadableDocument("the Word document is damaged or incomplete") from None
        except RuntimeError:  # an encrypted zip member
            raise UnreadableDocument("password-protected Word document") from None
        self._budget -= size
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element:
        """Part `name` parsed as XML; a DTD or malformed XML makes the document unreadable."""
        data = _transitional(self.read(name))
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise UnreadableDocument("the Word document contains a DTD, which Word never writes")
        try:
            root = etree.fromstring(data, self._parser)
        except etree.XMLSyntaxError:
            raise UnreadableDocument("the Word document is damaged or incomplete") from None
        if root.getroottree().docinfo.doctype:  # a DTD in an encoding the byte check missed
            raise UnreadableDocument("the Word document contains a DTD, which Word never writes")
        return root


def _transitional(data: bytes) -> bytes:
    """A Strict Open XML part with its namespace declarations mapped to the transitional ones."""
    if _STRICT_MARK not in data:
        return data
    return _STRICT_DECLARATION.sub(
        lambda m: m.group(1) + m.group(2) + _STRICT_NAMESPACES[m.group(3)] + m.group(2), data)


def _ole_reason(data: bytes) -> str:
    """Why an OLE compound file given as DOCX cannot be read: encrypted OOXML or a .doc."""
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                return "password-protected Word document"
            if ole.exists("WordDocument"):
                return "this is a Word 97-2003 (.doc) document, not .docx"
    except Exception:  # olefile raises many kinds of error on damaged input
        pass
    return "the file is not a readable Word (.docx) document"


# --- walking WordprocessingML ------------------------------------------------------------


@dataclass
class _Line:
    """One line being laid out: its text pieces and where control glyphs start."""

    pieces: list[str] = field(default_factory=list)
    glyphs: list[int] = field(default_factory=list)  # control glyphs are words of their own
    length: int = 0

    def add(self, text: str, glyph: bool = False) -> None:
        if glyph:
            self.glyphs.append(self.length)
        if text == "\t":
            width = -self.length % TAB_CHARS
            text = " " * (width + TAB_CHARS if width < TAB_MIN_CHARS else width)
        self.pieces.append(text)
        self.length += len(text)


@dataclass
class _Field:
    """A complex field (`w:fldChar begin` ... `end`) being walked."""

    ff_data: etree._Element | None
    instr: list[str] = field(default_factory=list)
    result: list[str] | None = None  # from `separate` on: the displayed result's text


@dataclass
class _Control:
    """A content control (`w:sdt`) being walked."""

    tag: str | None
    checked: bool | None  # None: not a check box
    placeholder: bool
    text: list[str] = field(default_factory=list)
    glyph_shown: bool = False
    recorded_from: int = 0  # len(_Walker.recorded) when the control opened
    outer_checkbox: _Control | None = None


class _Walker:
    """Walks one part's block content into positioned words, text lines and values."""

    def __init__(self, chars_left: int) -> None:
        self.words: list[Word] = []
        self.lines: list[str] = []
        self.values: dict[str, str | bool | None] = {}
        self.field_names: set[str] = set()
        self.unreadable: set[str] = set()
        self.recorded: list[str] = []  # tags in the order their values were taken
        self.chars_left = chars_left
        self._fields: list[_Field] = []
        self._checkbox: _Control | None = None  # innermost open check-box control
        self._hiding = 0  # open placeholder controls: their prompt text is not content
        self._captures: list[list[str]] = []  # text buffers of open controls and field results
        self._lines: list[_Line] = [_Line()]
        # Text boxes anchored in the paragraph being walked, with their offsets where known.
        self._floating: list[tuple[etree._Element, tuple[float, float] | None]] = []

    # Blocks: paragraphs, tables and controls around them.

    def blocks(self, container: etree._Element, x: float, top: float, gap: float) -> float:
        """Lay out the block children of `container` from (x, top); return the next top."""
        for child in container:
            tag = child.tag
            if tag == P:
                top = self.paragraph(child, x, top) + gap
            elif tag == TBL:
                rows_end = self.rows(child, x, top)
                top = max(top, rows_end - ROW_GAP) + gap
            elif tag == SDT:
                control = self._open(child)
                content = child.find(SDT_CONTENT)
                if content is not None:
                    top = self.blocks(content, x, top, gap)
                self._close(control)
            elif tag in _TRANSPARENT:
                top = self.blocks(child, x, top, gap)
            elif tag == MC_ALTERNATE:
                choice = _alternative(child)
                if choice is not None:
                    top = self.blocks(choice, x, top, gap)
        return top

    def paragraph(self, p: etree._Element, x: float, top: float) -> float:
        """Lay out one paragraph, a line per `w:br`/`w:cr`; return its bottom."""
        paragraph_top = top
        self._lines = [_Line()]
        self.inline(p)
        for buffer in self._captures:
            buffer.append("\n")
        for line in self._lines:
            self._emit(line, x, top)
            top += LINE_HEIGHT
        floating, self._floating = self._floating, []
        return self._text_boxes(floating, x, paragraph_top, top) if floating else top

    def _text_boxes(self, floating: list[tuple[etree._Element, tuple[float, float] | None]],
                    x: float, paragraph_top: float, top: float) -> float:
        """Lay out a paragraph's text boxes: placed ones at their offsets (the highest level with
        the paragraph), the others below it; return the bottom of them all."""
        bottom = top
        lift = min([0.0, *(offset[1] for _, offset in floating if offset is not None)])
        next_top: dict[tuple[float, float], float] = {}  # boxes of one shape group stack
        for content, offset in floating:
            if offset is None:
                top = self.blocks(content, x, top, 0.0)
                bottom = max(bottom, top)
                continue
            start = next_top.get(offset, paragraph_top + offset[1] - lift)
            next_top[offset] = self.blocks(content, x + offset[0] * BOX_X_STRETCH, start, 0.0)
            bottom = max(bottom, next_top[offset])
        return bottom

    def rows(self, container: etree._Element, x: float, top: float) -> float:
        """Lay out table rows (also inside row-level controls) as bands; return the next top."""
        for child in container:
            tag = child.tag
            if tag == TR:
                column = _int_val(child.find(f"{TR_PR}/{GRID_BEFORE}"), 0)
                _, bottom = self.cells(child, x, top, column, top + LINE_HEIGHT)
                top = bottom + ROW_GAP
            elif tag == SDT:
                control = self._open(child)
                content = child.find(SDT_CONTENT)
                if content is not None:
                    top = self.rows(content, x, top)
                self._close(control)
            elif tag in _TRANSPARENT:
                top = self.rows(child, x, top)
            elif tag == MC_ALTERNATE:
                choice = _alternative(child)
                if choice is not None:
                    top = self.rows(choice, x, top)
        return top

    def cells(self, container: etree._Element, x: float, top: float, column: int,
              bottom: float) -> tuple[int, float]:
        """Lay out a row's cells (also inside cell-level controls) at their grid columns.

        Returns the next grid column and the row's bottom so far.
        """
        for child in container:
            tag = child.tag
            if tag == TC:
                span, continued = _cell_span(child)
                if not continued:
                    bottom = max(bottom, self.blocks(child, x + column * CELL_WIDTH, top, 0.0))
                column += span
            elif tag == SDT:
                control = self._open(child)
                content = child.find(SDT_CONTENT)
                if content is not None:
                    column, bottom = self.cells(content, x, top, column, bottom)
                self._close(control)
            elif tag in _TRANSPARENT:
                column, bottom = self.cells(child, x, top, column, bottom)
            elif tag == MC_ALTERNATE:
                choice = _alternative(child)
                if choice is not None:
                    column, bottom = self.cells(choice, x, top, column, bottom)
        return column, bottom

    # Inline content: runs, fields, inline controls.

    def inline(self, container: etree._Element) -> None:
        """Walk the inline children of a paragraph (or of a control or link inside one)."""
        for child in container:
            tag = child.tag
            if tag == R:
                self.run(child)
            elif tag in _TRANSPARENT:
                self.inline(child)
            elif tag == SDT:
                control = self._open(child)
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self.inline(content)
                if control.checked is not None and not control.glyph_shown:
                    self._show(CHECKED if control.checked else UNCHECKED, glyph=True)
                self._close(control)
            elif tag == MC_ALTERNATE:
                choice = _alternative(child)
                if choice is not None:
                    self.inline(choice)

    def run(self, r: etree._Element) -> None:
        """Walk one run's text, tabs, breaks, symbols, field characters and drawings."""
        symbols: dict[int, str] = {}  # the glyphs of the run's symbol font (from `w:rPr`, first)
        for child in r:
            tag = child.tag
            if tag == T:
                if child.text:
                    if symbols:
                        for code in map(ord, child.text):
                            in_font = code < 0x100 or 0xF000 <= code <= 0xF0FF
                            glyph = symbols.get(code & 0xFF) if in_font else None
                            if glyph:
                                self._show(glyph, glyph=True)
                    else:
                        self._show(child.text)
            elif tag == R_PR:
                symbols = _symbol_font(child)
            elif tag == TAB:
                self._show("\t")
            elif tag == BR or tag == CR:
                self._break()
            elif tag == FLD_CHAR:
                self._field_char(child)
            elif tag == INSTR_TEXT:
                if self._fields and self._fields[-1].result is None and child.text:
                    self._fields[-1].instr.append(child.text)
            elif tag == SYM:
                text = _symbol(child)
                self._show(text, glyph=text in _MARKS)
            elif tag == NO_BREAK_HYPHEN:
                self._show("-")
            elif tag == DRAWING or tag == PICT:
                self._floating.extend(_text_boxes(child, None))
            elif tag == MC_ALTERNATE:
                choice = _alternative(child)
                if choice is not None:
                    self.run(choice)

    def _show(self, text: str, glyph: bool = False) -> None:
        """Put displayed text on the current line and into the open text captures."""
        if self._hiding or (self._fields and self._fields[-1].result is None):
            return
        if self._checkbox is not None:  # whatever a check box shows, its state is one glyph
            if self._checkbox.glyph_shown or not text.strip():
                return
            self._checkbox.glyph_shown = True
            text, glyph = (CHECKED if self._checkbox.checked else UNCHECKED), True
        self.chars_left -= len(text)
        if self.chars_left < 0:
            raise _TextLimitReached
        self._lines[-1].add(text, glyph)
        for buffer in self._captures:
            buffer.append(text)

    def _break(self) -> None:
        if self._hiding or (self._fields and self._fields[-1].result is None):
            return
        self._lines.append(_Line())
        for buffer in self._captures:
            buffer.append("\n")

    # Legacy form fields.

    def _field_char(self, fld_char: etree._Element) -> None:
        kind = fld_char.get(FLD_CHAR_TYPE)
        if kind == "begin":
            self._fields.append(_Field(fld_char.find(FF_DATA)))
        elif kind == "separate" and self._fields and self._fields[-1].result is None:
            self._fields[-1].result = []
            self._captures.append(self._fields[-1].result)
        elif kind == "end" and self._fields:
            current = self._fields.pop()
            if current.result is not None:
                _remove(self._captures, current.result)
            self._form_field(current)

    def _form_field(self, fld: _Field) -> None:
        """Take the value of a finished FORMTEXT / FORMCHECKBOX / FORMDROPDOWN field."""
        instr = "".join(fld.instr).split()
        kind = instr[0].upper() if instr else ""
        ff = fld.ff_data
        if ff is not None and not kind.startswith("FORM"):
            kind = ("FORMCHECKBOX" if ff.find(CHECK_BOX) is not None
                    else "FORMDROPDOWN" if ff.find(DD_LIST) is not None else "FORMTEXT")
        if kind not in ("FORMTEXT", "FORMCHECKBOX", "FORMDROPDOWN"):
            return
        value: str | bool | None
        if kind == "FORMCHECKBOX":
            value = _legacy_checked(ff)
            self._show(CHECKED if value else UNCHECKED, glyph=True)
        elif kind == "FORMDROPDOWN":
            value = _legacy_choice(ff)
            if value:
                self._show(value)
        else:
            value = "".join(fld.result or ()).strip() or None
        name = ff.find(FF_NAME) if ff is not None else None
        name_val = name.get(VAL) if name is not None else None
        if name_val:
            self.field_names.add(name_val)
            self._record(name_val, value)

    # Content controls.

    def _open(self, sdt: etree._Element) -> _Control:
        props = sdt.find(SDT_PR)
        tag = placeholder = checked = None
        if props is not None:
            tag_el = props.find(SDT_TAG)
            tag = tag_el.get(VAL) if tag_el is not None else None
            placeholder = _on(props.find(SHOWING_PLC_HDR)) and not _shows_list_item(sdt, props)
            box = props.find(W14_CHECKBOX)
            if box is not None:
                state = box.find(W14_CHECKED)
                raw = state.get(W14_VAL, "1") if state is not None else "0"
                checked = raw.lower() in _TRUE
                if raw.lower() not in _TRUE | {"0", "false", "off"} and tag:
                    self.unreadable.add(tag)
        control = _Control(tag or None, checked, bool(placeholder),
                           recorded_from=len(self.recorded), outer_checkbox=self._checkbox)
        if checked is not None:
            self._checkbox = control
        elif control.placeholder:
            self._hiding += 1
        self._captures.append(control.text)
        return control

    def _close(self, control: _Control) -> None:
        _remove(self._captures, control.text)
        self._checkbox = control.outer_checkbox
        if control.checked is None and control.placeholder:
            self._hiding -= 1
        tag = control.tag
        if tag is None:
            return
        self.field_names.add(tag)
        if tag in self.recorded[control.recorded_from:]:
            return  # a nested control with the same tag gave the value
        if tag in self.unreadable:
            value: str | bool | None = None
        elif control.checked is not None:
            value = control.checked
        elif control.placeholder:
            value = None
        else:
            value = "".join(control.text).strip() or None
        self._record(tag, value)

    def _record(self, name: str, value: str | bool | None) -> None:
        """Keep the first non-empty value seen for a name."""
        self.recorded.append(name)
        if self.values.get(name) is None:
            self.values[name] = value

    # Words.

    def _emit(self, line: _Line, x: float, top: float) -> None:
        text = "".join(line.pieces)
        self.lines.append(text)
        bottom = top + WORD_HEIGHT
        for match in _WORD_RE.finditer(text):
            for start, end in _split_at_glyphs(match.start(), match.end(), line.glyphs):
                x0 = x + CHAR_WIDTH * start
                self.words.append(Word(text[start:end], x0, x0 + CHAR_WIDTH * (end - start),
                                       top, bottom))




def _remove(buffers: list[list[str]], buffer: list[str]) -> None:
    """Remove `buffer` itself (not an equal one) from the open text captures."""
    for i in range(len(buffers) - 1, -1, -1):
        if buffers[i] is buffer:
            del buffers[i]
            return


def _split_at_glyphs(start: int, end: int, glyphs: list[int]):
    """Spans of a word, cut so that each control glyph in it is a word of its own."""
    cuts = sorted({c for g in glyphs if start <= g < end for c in (g, g + 1)} | {start, end})
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if a < min(b, end)]


def _int_val(el: etree._Element | None, default: int) -> int:
    raw = el.get(VAL) if el is not None else None
    return int(raw) if raw is not None and raw.isdigit() else default


def _on(el: etree._Element | None) -> bool:
    """An on/off property: present without a value, or with a true value."""
    return el is not None and el.get(VAL, "1").lower() in _TRUE


def _cell_span(tc: etree._Element) -> tuple[int, bool]:
    """A cell's grid span and whether it continues a vertical merge (and so shows nothing)."""
    props = tc.find(TC_PR)
    if props is None:
        return 1, False
    merge = props.find(V_MERGE)
    continued = merge is not None and merge.get(VAL, "continue") != "restart"
    return max(1, _int_val(props.find(GRID_SPAN), 1)), continued


def _legacy_checked(ff: etree._Element | None) -> bool:
    box = ff.find(CHECK_BOX) if ff is not None else None
    if box is None:
        return False
    checked = box.find(_w("checked"))
    return _on(checked if checked is not None else box.find(_w("default")))


def _legacy_choice(ff: etree._Element | None) -> str | None:
    choices = ff.find(DD_LIST) if ff is not None else None
    if choices is None:
        return None
    entries = [e.get(VAL, "") for e in choices.iter(_w("listEntry"))]
    index = _int_val(choices.find(_w("result")), _int_val(choices.find(_w("default")), 0))
    return (entries[index] or None) if index < len(entries) else None


def _shows_list_item(sdt: etree._Element, props: etree._Element) -> bool:
    """Whether a drop-down control shows one of its items: then it is answered, even when marked
    as showing its placeholder (LibreOffice marks answered drop-downs so)."""
    choices = props.find(DROP_DOWN_LIST)
    if choices is None:
        choices = props.find(COMBO_BOX)
    content = sdt.find(SDT_CONTENT)
    if choices is None or content is None:
        return False
    shown = "".join(t.text or "" for t in content.iter(T)).strip()
    return bool(shown) and any(item.get(_w("value")) and item.get(_w("displayText"), "").strip() == shown
                               for item in choices.iter(LIST_ITEM))


def _symbol_font(props: etree._Element) -> dict[int, str]:
    """The glyph table of a run whose properties set a symbol font (Wingdings), or an empty one."""
    fonts = props.find(R_FONTS)
    if fonts is None:
        return {}
    name = fonts.get(_w("ascii")) or fonts.get(_w("hAnsi")) or ""
    return _SYMBOL_GLYPHS.get(name.lower(), {})


def _symbol(sym: etree._Element) -> str:
    """The character of a `w:sym`, with symbol-font check boxes as their glyphs."""
    try:
        code = int(sym.get(_w("char"), ""), 16)
    except ValueError:
        return ""
    font = _SYMBOL_GLYPHS.get(sym.get(_w("font"), "").lower())
    if font is not None:
        return font.get(code & 0xFF, "")
    return chr(code) if 0x20 <= code < 0xE000 else ""


def _alternative(alternate: etree._Element) -> etree._Element | None:
    """The branch of an `mc:AlternateContent` that is read: its first choice, else its fallback."""
    choice = alternate.find(MC_CHOICE)
    return choice if choice is not None else alternate.find(MC_FALLBACK)


def _text_boxes(container: etree._Element, offset: tuple[float, float] | None):
    """The outermost text-box contents in a drawing (nested ones are walked with them), each with
    the offset in points of the floating shape holding it, or None where it is not placed."""
    for child in container:
        if child.tag == TXBX_CONTENT:
            yield child, offset
        elif child.tag != MC_FALLBACK:
            if offset is None and child.tag == WP_ANCHOR:
                placed = _anchor_offset(child)
            elif offset is None and child.get("style"):
                placed = _vml_offset(child.get("style", ""))
            else:
                placed = offset
            yield from _text_boxes(child, placed)


def _anchor_offset(anchor: etree._Element) -> tuple[float, float] | None:
    """A DrawingML anchor's (horizontal, vertical) offset in points, when both are given."""
    h, v = anchor.find(POSITION_H_OFFSET), anchor.find(POSITION_V_OFFSET)
    try:
        return int(h.text) / EMU_PER_POINT, int(v.text) / EMU_PER_POINT  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return None


def _vml_offset(style: str) -> tuple[float, float] | None:
    """An absolutely positioned VML shape's (left, top) margins in points."""
    if "absolute" not in style:
        return None
    margins = {m.group(1): float(m.group(2)) * _CSS_POINTS[m.group(3)]
               for m in _VML_MARGIN_RE.finditer(style)}
    return margins.get("left", 0.0), margins.get("top", 0.0)


# --- the reader --------------------------------------------------------------------------

CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/",
           "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
CORE_PROPERTIES = ("dc:title", "dc:subject", "cp:keywords", "dc:description")
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"


def read_docx(data: bytes, limits: Limits) -> Extraction:
    """Read a DOCX: body words laid out as lines and columns, control and form-field values,
    header/footer and document-property text.

    Raises `UnreadableDocument` for anything that is not a readable, safe DOCX.
    """
    package = _Package(data, limits)
    if DOCUMENT_PART not in package.names:
        raise UnreadableDocument("the Word document has no main text part")
    body = package.xml(DOCUMENT_PART).find(_w("body"))
    walker = _Walker(limits.max_chars)
    try:
        if body is not None:
            walker.blocks(body, 0.0, 0.0, ROW_GAP)
    except _TextLimitReached:
        pass
    except RecursionError:
        raise UnreadableDocument("the Word document is nested too deeply") from None
    extraction = Extraction(format="docx", words=walker.words, values=walker.values,
                            field_names=walker.field_names, unreadable=walker.unreadable)
    extraction.furniture = _furniture(package, max(0, walker.chars_left))
    # pages stays None: a DOCX has no fixed pagination (docProps/app.xml's count is often stale).
    return extraction


def _furniture(package: _Package, chars_left: int) -> list[str]:
    """Text of headers and footers, then core and custom document properties."""
    texts: list[str] = []
    parts = sorted((m.group(1), int(m.group(2) or 0), name) for name in package.names
                   if (m := FURNITURE_PART_RE.fullmatch(name)))
    for _, _, name in parts:
        walker = _Walker(chars_left)
        try:
            walker.blocks(package.xml(name), 0.0, 0.0, ROW_GAP)
        except _TextLimitReached:
            pass
        except RecursionError:
            raise UnreadableDocument("the Word document is nested too deeply") from None
        chars_left = max(0, walker.chars_left)
        text = "\n".join(line for line in walker.lines if line.strip())
        if text:
            texts.append(text)
    if "docProps/core.xml" in package.names:
        core = package.xml("docProps/core.xml")
        for prop in CORE_PROPERTIES:
            el = core.find(prop, CORE_NS)
            if el is not None and el.text and el.text.strip():
                texts.append(el.text.strip())
    if "docProps/custom.xml" in package.names:
        for prop in package.xml("docProps/custom.xml").iter(f"{{{CUSTOM_NS}}}property"):
            value = "".join(prop.itertext()).strip()
            if value:
                texts.append(f"{prop.get('name', '')}: {value}")
    return texts
