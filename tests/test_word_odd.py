"""Word files as real producers send them: Strict Open XML, macro-enabled files and templates, RTF
and OpenDocument, LibreOffice and Google Docs shapes, forms in text boxes or tab-separated, and
symbol-font check boxes. Each is made here from a corpus form and parsed to its expected record."""
from __future__ import annotations

import copy
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from corpus import office
from corpus.generate import Case, build_corpus
from parsers.config import Limits, ParserConfig
from parsers.doc_convert import to_docx
from parsers.extraction import UnreadableDocument
from parsers.parse import parse_document
from parsers.sniff import sniff
from test_parse_corpus import differences

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
VERSIONS = ("v1", "v2", "v3")
needs_soffice = pytest.mark.skipif(office.soffice() is None, reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """The DOCX corpus forms by name (`v3_docx_typed`)."""
    cases = build_corpus(tmp_path_factory.mktemp("forms"), formats=["docx_template", "docx_typed", "docx_legacy"])
    return {c.name: c for c in cases}


def check(data: bytes, filename: str, case: Case, fmt: str = "docx") -> None:
    """`data` parses to `case`'s expected record (the document block describing `data`)."""
    want = copy.deepcopy(case.expected)
    want["document"].update(filename=filename, sha256=hashlib.sha256(data).hexdigest(), format=fmt)
    record = parse_document(data, filename, ParserConfig())
    assert differences(record, want) == [], filename


def rewrite(data: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """The package with every part passed through `change(name, bytes)` and `extra` parts added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
        for name, part in (extra or {}).items():
            target.writestr(name, part)
    return out.getvalue()


def rewrite_body(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    """The package with `change` applied to the parsed `w:body` of word/document.xml."""
    def part(name: str, xml: bytes) -> bytes:
        if name != "word/document.xml":
            return xml
        root = etree.fromstring(xml)
        change(root.find(w("body")))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return rewrite(data, part)


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def el(name: str, *children: etree._Element, **attrs: str) -> etree._Element:
    """A `w:` element with `w:` attributes."""
    element = etree.Element(w(name), {w(k): v for k, v in attrs.items()})
    element.extend(children)
    return element


# --- 1. Strict Open XML -------------------------------------------------------------------

# Transitional -> Strict, as Word rewrites them on "Strict Open XML Document" (longest first).
STRICT = (
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
     "http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
     "http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     "http://purl.oclc.org/ooxml/officeDocument/relationships"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
     "http://purl.oclc.org/ooxml/officeDocument/extendedProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
     "http://purl.oclc.org/ooxml/officeDocument/customProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
     "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"),
    ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
     "http://purl.oclc.org/ooxml/wordprocessingml/main"),
    ("http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
     "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing"),
    ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main"),
    ("http://schemas.openxmlformats.org/drawingml/2006/picture", "http://purl.oclc.org/ooxml/drawingml/picture"),
)


def to_strict(data: bytes) -> bytes:
    """A Strict Open XML document: Strict namespaces and relationship types, `w:conformance`."""
    def part(name: str, xml: bytes) -> bytes:
        if not name.endswith((".xml", ".rels")):
            return xml
        for old, new in STRICT:
            xml = xml.replace(old.encode(), new.encode())
        if name == "word/document.xml":
            xml = re.sub(rb"<w:document ", b'<w:document w:conformance="strict" ', xml, count=1)
        return xml
    return rewrite(data, part)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("style", ["template", "typed", "legacy"])
def test_strict_open_xml_reads_like_transitional(forms, version, style):
    case = forms[f"{version}_docx_{style}"]
    data = to_strict(case.path.read_bytes())
    assert b"schemas.openxmlformats.org/wordprocessingml" not in data
    assert sniff(data) == "docx"
    check(data, "strict.docx", case)


# --- 2. Macro-enabled documents and templates -----------------------------------------------

MAIN_TYPES = {
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "dotm": "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
}
DOCX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
GLOSSARY_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml"
GLOSSARY_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/glossaryDocument"
GLOSSARY = (f'<w:glossaryDocument xmlns:w="{W}"><w:docParts><w:docPart><w:docPartBody><w:p><w:r>'
            "<w:t>Your name Surname Information being shared</w:t></w:r></w:p></w:docPartBody></w:docPart>"
            "</w:docParts></w:glossaryDocument>").encode()


def as_kind(data: bytes, kind: str) -> bytes:
    """The document re-typed as `kind`: its main content type, plus a VBA project (never run) for
    macro-enabled kinds and a building-blocks glossary for templates."""
    overrides, rels, extra = [], [], {}
    if kind in ("docm", "dotm"):
        overrides.append(f'<Override PartName="/word/vbaProject.bin" ContentType="{VBA_TYPE}"/>')
        rels.append(f'<Relationship Id="rIdVba" Type="{VBA_REL}" Target="vbaProject.bin"/>')
        extra["word/vbaProject.bin"] = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    if kind in ("dotx", "dotm"):
        overrides.append(f'<Override PartName="/word/glossary/document.xml" ContentType="{GLOSSARY_TYPE}"/>')
        rels.append(f'<Relationship Id="rIdGlossary" Type="{GLOSSARY_REL}" Target="glossary/document.xml"/>')
        extra["word/glossary/document.xml"] = GLOSSARY

    def part(name: str, xml: bytes) -> bytes:
        if name == "[Content_Types].xml":
            xml = xml.replace(DOCX_MAIN_TYPE.encode(), MAIN_TYPES[kind].encode())
            return xml.replace(b"</Types>", "".join(overrides).encode() + b"</Types>")
        if name == "word/_rels/document.xml.rels":
            return xml.replace(b"</Relationships>", "".join(rels).encode() + b"</Relationships>")
        return xml
    return rewrite(data, part, extra)


@pytest.mark.parametrize("kind", sorted(MAIN_TYPES))
@pytest.mark.parametrize("style", ["template", "typed"])
def test_macro_enabled_documents_and_templates_read_like_docx(forms, kind, style):
    case = forms[f"v3_docx_{style}"]
    data = as_kind(case.path.read_bytes(), kind)
    assert MAIN_TYPES[kind].encode() in zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    assert sniff(data) == "docx"
    check(data, f"form.{kind}", case)


# --- 3. RTF and OpenDocument, converted by LibreOffice ------------------------------------------


@pytest.fixture(scope="module")
def converted(forms, tmp_path_factory) -> dict[str, Path]:
    """Typed forms of every version, and the v3 template, saved by LibreOffice as RTF, ODT and DOCX."""
    if office.soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path_factory.mktemp("converted")
    sources = [forms[f"{v}_docx_typed"].path for v in VERSIONS] + [forms["v3_docx_template"].path]
    found: dict[str, Path] = {}
    for target in ("rtf", "odt", "docx"):
        for path in office.convert(sources, target, out / target if target == "docx" else out):
            found[f"{path.stem}.{target}"] = path
    return found


@needs_soffice
@pytest.mark.parametrize("name", [f"{v}_docx_typed" for v in VERSIONS] + ["v3_docx_template"])
@pytest.mark.parametrize("target", ["rtf", "odt"])
def test_rtf_and_opendocument_are_converted_and_read(forms, converted, name, target):
    data = converted[f"{name}.{target}"].read_bytes()
    assert sniff(data) == target
    check(data, f"form.{target}", forms[name], fmt="doc")


@needs_soffice
def test_rtf_saved_with_a_doc_name_is_read(forms, converted):
    data = converted["v2_docx_typed.rtf"].read_bytes()
    check(data, "form.doc", forms["v2_docx_typed"], fmt="doc")


# --- 4. LibreOffice "Save as Word" and Google Docs shapes -----------------------------------------


@needs_soffice
@pytest.mark.parametrize("name", [f"{v}_docx_typed" for v in VERSIONS] + ["v3_docx_template"])
def test_libreoffice_saved_docx(forms, converted, name):
    data = converted[f"{name}.docx"].read_bytes()
    assert data != forms[name].path.read_bytes()
    check(data, "saved-by-libreoffice.docx", forms[name])


WRAPPERS = ("smartTag", "customXml", "hyperlink", "fldSimple")


def wrap_everything(body: etree._Element) -> None:
    """Runs in smart tags, custom XML, hyperlinks and simple fields; paragraphs and rows in untagged
    controls and custom XML; tables without grid or cell widths (as Google Docs and others write)."""
    for i, r in enumerate(list(body.iter(w("r")))):
        kind = WRAPPERS[i % len(WRAPPERS)]
        wrapper = el(kind, **({"instr": " MERGEFIELD x "} if kind == "fldSimple" else
                              {"element": "place"} if kind in ("smartTag", "customXml") else {}))
        r.addprevious(wrapper)
        wrapper.append(r)
    for tbl in body.iter(w("tbl")):
        for name in ("tblGrid",):
            for grid in tbl.findall(w(name)):
                tbl.remove(grid)
        for width in list(tbl.iter(w("tcW"))):
            width.getparent().remove(width)
    for i, block in enumerate([b for b in body if b.tag in (w("p"), w("tbl"))]):
        if i % 3 == 1:
            wrapper = el("sdt", el("sdtPr", el("id", val=str(i))), el("sdtContent"))
            block.addprevious(wrapper)
            wrapper[1].append(block)
        elif i % 3 == 2:
            wrapper = el("customXml", element="block")
            block.addprevious(wrapper)
            wrapper.append(block)
    for i, tr in enumerate(list(body.iter(w("tr")))):
        if i % 4 == 3:
            wrapper = el("customXml", element="row")
            tr.addprevious(wrapper)
            wrapper.append(tr)


@pytest.mark.parametrize("version", VERSIONS)
def test_text_inside_wrappers_is_read_once(forms, version):
    case = forms[f"{version}_docx_typed"]
    check(rewrite_body(case.path.read_bytes(), wrap_everything), "wrapped.docx", case)


@needs_soffice
@pytest.mark.parametrize("target", ["rtf", "odt"])
def test_conversion_keeps_the_doc_time_limit(converted, target):
    data = converted[f"v1_docx_typed.{target}"].read_bytes()
    with pytest.raises(UnreadableDocument, match="took too long"):
        to_docx(data, target, Limits(convert_seconds=0.05))


@needs_soffice
@pytest.mark.parametrize("target", ["rtf", "odt"])
def test_missing_libreoffice_is_named_plainly_for_rtf_and_odt(converted, target, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    record = parse_document(converted[f"v1_docx_typed.{target}"].read_bytes(), f"form.{target}", ParserConfig())
    assert record["status"] == "unreadable"
    assert record["reason"].endswith("files need LibreOffice, which is not installed on this server")


def test_password_protected_opendocument_is_refused_before_conversion():
    manifest = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>'
                '</manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", b"\x8f\x01encrypted")
        package.writestr("META-INF/manifest.xml", manifest)
    with pytest.raises(UnreadableDocument, match="^password-protected OpenDocument document$"):
        to_docx(out.getvalue(), "odt", Limits())


# --- 5. Forms in text boxes, and label and value separated by tabs ---------------------------------

WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
V = "urn:schemas-microsoft-com:vml"
EMU_PER_TWIP = 635


def _cells(tbl: etree._Element, tr: etree._Element) -> list[tuple[etree._Element, int, int]]:
    """A row's cells with their x offset and width in twips (from the table grid)."""
    grid = [int(g.get(w("w"))) for g in tbl.iter(w("gridCol"))]
    out, column = [], 0
    for tc in tr.iter(w("tc")):
        span_el = tc.find(f"{w('tcPr')}/{w('gridSpan')}")
        span = int(span_el.get(w("val"))) if span_el is not None else 1
        out.append((tc, sum(grid[:column]), sum(grid[column:column + span])))
        column += span
    return out


def _text_box(paragraphs: list[etree._Element], x: int, width: int, lines: int, index: int) -> etree._Element:
    """A floating text box at (`x`, 0) twips from its anchor paragraph, as Word writes it: a DrawingML
    shape with a VML fallback holding the same text."""
    height = lines * 280
    choice = etree.fromstring(
        f'<mc:Choice xmlns:mc="{MC}" xmlns:w="{W}" xmlns:wp="{WP}" xmlns:a="{A}" xmlns:wps="{WPS}" Requires="wps">'
        f'<w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{index}" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="column"><wp:posOffset>{x * EMU_PER_TWIP}</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{width * EMU_PER_TWIP}" cy="{height * EMU_PER_TWIP}"/><wp:wrapNone/>'
        f'<wp:docPr id="{index}" name="Text Box {index}"/><a:graphic><a:graphicData '
        f'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:txbx>'
        '<w:txbxContent/></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>'
        '</w:drawing></mc:Choice>')
    fallback = etree.fromstring(
        f'<mc:Fallback xmlns:mc="{MC}" xmlns:w="{W}" xmlns:v="{V}"><w:pict><v:shape type="#_x0000_t202" '
        f'style="position:absolute;margin-left:{x / 20}pt;margin-top:0;width:{width / 20}pt;'
        f'height:{height / 20}pt;z-index:{index}"><v:textbox><w:txbxContent/></v:textbox></v:shape></w:pict>'
        '</mc:Fallback>')
    for content in (choice, fallback):
        box = next(content.iter(w("txbxContent")))
        box.extend(copy.deepcopy(p) for p in paragraphs)
    alternate = etree.Element(f"{{{MC}}}AlternateContent")
    alternate.extend([choice, fallback])
    return el("r", alternate)


def form_in_text_boxes(body: etree._Element) -> None:
    """Every table row becomes a paragraph anchoring one text box per cell where the cell was."""
    index = iter(range(1, 10_000))
    for tbl in [t for t in body if t.tag == w("tbl")]:
        for tr in tbl.iter(w("tr")):
            anchor = el("p")
            for tc, x, width in _cells(tbl, tr):
                paragraphs = tc.findall(w("p"))
                anchor.append(_text_box(paragraphs, x, width, len(paragraphs), next(index)))
            tbl.addprevious(anchor)
        body.remove(tbl)


def form_with_tabs(body: etree._Element) -> None:
    """Every table row becomes a paragraph of its cells' first paragraphs joined by tabs; further
    paragraphs of a cell follow as paragraphs of their own."""
    for tbl in [t for t in body if t.tag == w("tbl")]:
        for tr in tbl.iter(w("tr")):
            line, rest = el("p"), []
            for i, (tc, _, _) in enumerate(_cells(tbl, tr)):
                paragraphs = tc.findall(w("p"))
                if i:
                    line.append(el("r", el("tab")))
                if paragraphs:
                    line.extend(c for c in paragraphs[0] if c.tag != w("pPr"))
                rest.extend(paragraphs[1:])
            tbl.addprevious(line)
            for paragraph in rest:
                tbl.addprevious(paragraph)
        body.remove(tbl)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("style", ["typed", "template"])
def test_form_laid_out_in_text_boxes(forms, version, style):
    case = forms[f"{version}_docx_{style}"]
    data = rewrite_body(case.path.read_bytes(), form_in_text_boxes)
    main = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert b"<w:tbl>" not in main and b"txbxContent" in main
    check(data, "text-boxes.docx", case)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("style", ["typed", "template"])
def test_labels_and_values_separated_by_tabs(forms, version, style):
    case = forms[f"{version}_docx_{style}"]
    data = rewrite_body(case.path.read_bytes(), form_with_tabs)
    assert b"<w:tbl>" not in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    check(data, "tabs.docx", case)


def test_strict_form_in_text_boxes(forms):
    case = forms["v3_docx_typed"]
    check(to_strict(rewrite_body(case.path.read_bytes(), form_in_text_boxes)), "strict-boxes.docx", case)


# --- 6. Check boxes as symbol-font characters, and check-box controls with their own glyphs --------

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
TICKED_SYMBOLS = (("Wingdings", "F0FE"), ("Wingdings", "F0FD"), ("Wingdings", "F078"), ("Wingdings 2", "F053"),
                  ("Wingdings 2", "F054"), ("MS Gothic", "2612"))
UNTICKED_SYMBOLS = (("Wingdings", "F0A8"), ("Wingdings", "F06F"), ("Wingdings 2", "F0A3"), ("MS Gothic", "2610"))


def _category_boxes(body: etree._Element) -> list[tuple[etree._Element, bool]]:
    """The template's check-box controls and whether each is ticked."""
    boxes = []
    for sdt in body.iter(w("sdt")):
        box = sdt.find(f"{w('sdtPr')}/{{{W14}}}checkbox")
        if box is not None:
            boxes.append((sdt, box.find(f"{{{W14}}}checked").get(f"{{{W14}}}val") == "1"))
    return boxes


def _symbol_run(font: str, char: str, as_text: bool) -> etree._Element:
    """A run showing a symbol: `w:sym`, or the character typed in the symbol font."""
    if not as_text:
        return el("r", el("sym", font=font, char=char))
    fonts = el("rFonts", ascii=font, hAnsi=font)
    text = el("t")
    text.text = chr(int(char, 16))
    return el("r", el("rPr", fonts), text)


def boxes_as_symbols(as_text: bool) -> Callable[[etree._Element], None]:
    """Each check-box control replaced by a symbol-font box showing its state (the control lost)."""
    def change(body: etree._Element) -> None:
        for i, (sdt, ticked) in enumerate(_category_boxes(body)):
            symbols = TICKED_SYMBOLS if ticked else UNTICKED_SYMBOLS
            font, char = symbols[i % len(symbols)]
            sdt.addprevious(_symbol_run(font, char, as_text and font != "MS Gothic"))
            sdt.getparent().remove(sdt)
    return change


def boxes_with_own_glyphs(body: etree._Element) -> None:
    """Check-box controls, untagged, whose checked and unchecked glyphs are Wingdings ones."""
    for sdt, ticked in _category_boxes(body):
        props = sdt.find(w("sdtPr"))
        props.remove(props.find(w("tag")))
        box = props.find(f"{{{W14}}}checkbox")
        for state, char in (("checkedState", "F0FE"), ("uncheckedState", "F0A8")):
            box.find(f"{{{W14}}}{state}").attrib.update({f"{{{W14}}}val": char, f"{{{W14}}}font": "Wingdings"})
        content = sdt.find(w("sdtContent"))
        content.clear()
        content.append(_symbol_run("Wingdings", "F0FE" if ticked else "F0A8", as_text=False))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("shape", ["sym", "typed_in_font", "control_glyphs"])
def test_symbol_font_check_boxes(forms, version, shape):
    case = forms[f"{version}_docx_template"]
    change = boxes_with_own_glyphs if shape == "control_glyphs" else boxes_as_symbols(shape == "typed_in_font")
    data = rewrite_body(case.path.read_bytes(), change)
    main = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert b'w:tag w:val="cat_' not in main
    check(data, f"{shape}.docx", case)
