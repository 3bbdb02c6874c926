"""DOCX reader: layout of words, content controls, legacy form fields, furniture, hostile input."""
from __future__ import annotations

import io
import struct
import zipfile

import docx
import pytest
from docx.oxml import parse_xml

from parsers.config import Limits
from parsers.docx_reader import read_docx
from parsers.extraction import CHECKED, UNCHECKED, UnreadableDocument

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"')
LIMITS = Limits()


def build(body: str = "", header: str | None = None, footer: str | None = None,
          title: str | None = None) -> bytes:
    """A DOCX made by python-docx whose body is the given WordprocessingML (no namespaces needed)."""
    document = docx.Document()
    body_el = document.element.body
    for child in list(body_el):
        if not child.tag.endswith("sectPr"):
            body_el.remove(child)
    section = body_el[-1]
    for child in parse_xml(f"<w:body {NS}>{body}</w:body>"):
        section.addprevious(child)
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    if footer is not None:
        document.sections[0].footer.paragraphs[0].text = footer
    if title is not None:
        document.core_properties.title = title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def p(*runs: str) -> str:
    return "<w:p>" + "".join(runs) + "</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def cell(*paragraphs: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{''.join(paragraphs) or p()}</w:tc>"


def table(*rows: str) -> str:
    return "<w:tbl>" + "".join(rows) + "</w:tbl>"


def row(*cells: str) -> str:
    return "<w:tr>" + "".join(cells) + "</w:tr>"


def sdt(tag: str, content: str, props: str = "") -> str:
    return (f'<w:sdt><w:sdtPr><w:tag w:val="{tag}"/>{props}</w:sdtPr>'
            f"<w:sdtContent>{content}</w:sdtContent></w:sdt>")


def checkbox(tag: str, checked: bool, shown: str = UNCHECKED) -> str:
    state = "1" if checked else "0"
    return sdt(tag, r(shown), f'<w14:checkbox><w14:checked w14:val="{state}"/></w14:checkbox>')


def words_at(extraction, top: float) -> list[tuple[str, float]]:
    return [(w.text, w.x0) for w in extraction.words if w.top == top]


# --- layout ------------------------------------------------------------------------------


def test_paragraphs_and_table_rows_are_laid_out_as_lines_and_grid_columns():
    body = (p(r("Section 1 Your details"))
            + table(row(cell(p(r("Your name"))), cell(p(r("Jane Smith")))),
                    row(cell(p(r("Job title / role")), p(r("(as on badge)"))),
                        cell(p(r("Youth worker")))),
                    row(cell(p(r("Address")), props='<w:gridSpan w:val="2"/>'),
                        cell(p(r("1 High St")))),
                    row(cell(p(r("")), props='<w:vMerge/>'), cell(p(r("Town"))),
                        cell(p(r("SO14 7DU")))))
            + p(r("After")))
    ex = read_docx(build(body), LIMITS)
    assert ex.format == "docx"
    assert words_at(ex, 0.0) == [("Section", 0.0), ("1", 40.0), ("Your", 50.0), ("details", 75.0)]
    # Row 1 at 12 + 6; cells at grid columns 0 and 1.
    assert words_at(ex, 18.0) == [("Your", 0.0), ("name", 25.0), ("Jane", 1000.0), ("Smith", 1025.0)]
    # Row 2: two lines in the label cell, so row 3 starts 2 lines + gap below.
    assert words_at(ex, 36.0) == [("Job", 0.0), ("title", 20.0), ("/", 50.0), ("role", 60.0),
                                  ("Youth", 1000.0), ("worker", 1030.0)]
    assert words_at(ex, 48.0) == [("(as", 0.0), ("on", 20.0), ("badge)", 35.0)]
    # Row 3: the label spans two grid columns, so the value sits at column 2.
    assert words_at(ex, 66.0) == [("Address", 0.0), ("1", 2000.0), ("High", 2010.0), ("St", 2035.0)]
    # Row 4: a vertical-merge continuation shows nothing but keeps its column.
    assert words_at(ex, 84.0) == [("Town", 1000.0), ("SO14", 2000.0), ("7DU", 2025.0)]
    assert words_at(ex, 102.0) == [("After", 0.0)]
    jane = next(w for w in ex.words if w.text == "Jane")
    assert (jane.x1, jane.bottom) == (1020.0, 28.0)


def test_tabs_go_to_the_next_tab_stop_and_breaks_start_new_lines():
    body = p('<w:r><w:t>Name:</w:t><w:tab/><w:t>Jane</w:t><w:br/><w:t>Smith</w:t>'
             '<w:cr/><w:t>Jones</w:t></w:r>')
    ex = read_docx(build(body), LIMITS)
    assert [(w.text, w.x0, w.top) for w in ex.words] == [
        ("Name:", 0.0, 0.0), ("Jane", 40.0, 0.0), ("Smith", 0.0, 12.0), ("Jones", 0.0, 24.0)]


def test_a_tab_close_to_a_stop_goes_on_to_the_next_one():
    body = p(r("Surname:"), "<w:r><w:tab/></w:r>", r("Smith"), "<w:r><w:tab/><w:tab/></w:r>", r("X"))
    ex = read_docx(build(body), LIMITS)
    # "Surname:" ends at a stop (8), so the tab goes to 16; "Smith" ends at 21: 24, then 32.
    assert [(w.text, w.x0) for w in ex.words] == [("Surname:", 0.0), ("Smith", 80.0), ("X", 160.0)]


def test_nested_table_rows_sit_inside_the_cell_band():
    inner = table(row(cell(p(r("Surname"))), cell(p(r("Smith")))),
                  row(cell(p(r("Forename(s)"))), cell(p(r("Jane")))))
    body = table(row(cell(p(r("Subject 1"))), cell(p(r("Details")), inner)),
                 row(cell(p(r("Next")))))
    ex = read_docx(build(body), LIMITS)
    assert words_at(ex, 12.0) == [("Surname", 1000.0), ("Smith", 2000.0)]
    assert words_at(ex, 30.0) == [("Forename(s)", 1000.0), ("Jane", 2000.0)]
    assert words_at(ex, 48.0) == [("Next", 0.0)]


def test_grid_before_shifts_a_rows_cells_to_their_grid_columns():
    body = table(row(cell(p(r("A"))), cell(p(r("B"))), cell(p(r("C")))),
                 '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
                 + cell(p(r("Postcode"))) + cell(p(r("SO14"))) + "</w:tr>")
    ex = read_docx(build(body), LIMITS)
    assert words_at(ex, 18.0) == [("Postcode", 1000.0), ("SO14", 2000.0)]


def test_text_box_content_is_read_once_below_its_paragraph():
    box = ('<w:txbxContent><w:p><w:r><w:t>CPI Form v2.0</w:t></w:r></w:p></w:txbxContent>')
    alternate = ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
                 'markup-compatibility/2006"><mc:Choice Requires="wps"><w:drawing><wp:anchor '
                 'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
                 f'<wps:txbx xmlns:wps="http://schemas.microsoft.com/office/word/2010/'
                 f'wordprocessingShape">{box}</wps:txbx></wp:anchor></w:drawing></mc:Choice>'
                 f'<mc:Fallback><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
                 f'<v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>'
                 '</mc:AlternateContent>')
    body = p(r("Version"), f"<w:r>{alternate}</w:r>") + p(r("Next"))
    ex = read_docx(build(body), LIMITS)
    assert [(w.text, w.x0, w.top) for w in ex.words] == [
        ("Version", 0.0, 0.0), ("CPI", 0.0, 12.0), ("Form", 20.0, 12.0), ("v2.0", 45.0, 12.0),
        ("Next", 0.0, 30.0)]


def floating_box(text: str, left_emu: int, top_emu: int) -> str:
    """A run with a DrawingML text box placed at the given offsets from its paragraph."""
    box = f"<w:txbxContent>{p(r(text))}</w:txbxContent>"
    return ('<w:r><w:drawing><wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
            f'wordprocessingDrawing"><wp:positionH relativeFrom="column"><wp:posOffset>{left_emu}</wp:posOffset>'
            f'</wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>{top_emu}</wp:posOffset>'
            '</wp:positionV><wps:txbx xmlns:wps="http://schemas.microsoft.com/office/word/2010/'
            f'wordprocessingShape">{box}</wps:txbx></wp:anchor></w:drawing></w:r>')


def test_placed_text_boxes_sit_at_their_offsets_from_the_paragraph():
    # 72 pt = 914400 EMU right and 12 pt = 152400 EMU down; horizontal offsets are stretched.
    body = p(floating_box("Surname", 0, -152400), floating_box("Smith", 914400, -152400),
             floating_box("Forename", 0, 0), floating_box("Jane", 914400, 0)) + p(r("Next"))
    ex = read_docx(build(body), LIMITS)
    assert [(w.text, w.x0, w.top) for w in ex.words] == [
        ("Surname", 0.0, 0.0), ("Smith", 288.0, 0.0), ("Forename", 0.0, 12.0),
        ("Jane", 288.0, 12.0), ("Next", 0.0, 30.0)]


def test_vml_text_boxes_are_placed_by_their_margins():
    def shape(text: str, style: str) -> str:
        return (f'<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" style="{style}"><v:textbox>'
                f"<w:txbxContent>{p(r(text))}</w:txbxContent></v:textbox></v:shape></w:pict></w:r>")
    body = p(shape("Surname", "position:absolute;margin-left:0;margin-top:0;width:60pt"),
             shape("Smith", "position:absolute;margin-left:1in;margin-top:0pt;width:60pt"),
             shape("Below", "width:60pt"))
    ex = read_docx(build(body), LIMITS)
    assert [(w.text, w.x0, w.top) for w in ex.words] == [
        ("Surname", 0.0, 0.0), ("Smith", 288.0, 0.0), ("Below", 0.0, 12.0)]


MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'


def alternate(choice: str | None, fallback: str) -> str:
    chosen = f'<mc:Choice Requires="w14">{choice}</mc:Choice>' if choice is not None else ""
    return f"<mc:AlternateContent {MC}>{chosen}<mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent>"


def test_alternate_content_is_read_once_at_every_level():
    body = (alternate(p(r("Block choice")), p(r("Block fallback")))
            + table(alternate(row(cell(p(r("Row choice")))), row(cell(p(r("Row fallback"))))),
                    row(cell(p(r("Label"))), alternate(cell(p(r("Cell choice"))), cell(p(r("Cell fallback"))))))
            + p(r("Run"), alternate(r(" inline choice"), r(" inline fallback")),
                f"<w:r>{alternate('<w:t> run choice</w:t>', '<w:t> run fallback</w:t>')}</w:r>")
            + p(alternate(None, r("Only a fallback"))))
    ex = read_docx(build(body), LIMITS)
    assert " ".join(w.text for w in ex.words) == (
        "Block choice Row choice Label Cell choice Run inline choice run choice Only a fallback")
    assert words_at(ex, 36.0) == [("Label", 0.0), ("Cell", 1000.0), ("choice", 1025.0)]


def test_wrappers_nested_in_each_other_show_their_text_once():
    wrapped = r("Jane")
    for kind, attrs in (("smartTag", ' w:element="PersonName"'), ("customXml", ' w:element="name"'),
                        ("hyperlink", ' w:anchor="top"'), ("fldSimple", ' w:instr=" MERGEFIELD Name "')):
        wrapped = f"<w:{kind}{attrs}>{wrapped}</w:{kind}>"
    untagged = '<w:sdt><w:sdtPr><w:id w:val="7"/></w:sdtPr><w:sdtContent>' + r(" Smith") + "</w:sdtContent></w:sdt>"
    body = (f'<w:customXml w:element="form">{table(row(cell(p(r("Your name"))), cell(p(wrapped, untagged))))}'
            "</w:customXml>")
    ex = read_docx(build(body), LIMITS)
    assert [(w.text, w.x0) for w in ex.words] == [("Your", 0.0), ("name", 25.0), ("Jane", 1000.0),
                                                  ("Smith", 1025.0)]
    assert ex.values == {}


def test_tracked_changes_count_insertions_and_moves_to_but_not_deletions():
    body = p(r("Gender"),
             '<w:del w:id="1" w:author="a"><w:r><w:delText> male</w:delText></w:r></w:del>',
             '<w:ins w:id="2" w:author="a">' + r(" female") + "</w:ins>",
             '<w:moveFrom w:id="3" w:author="a">' + r(" old") + "</w:moveFrom>",
             '<w:moveTo w:id="4" w:author="a">' + r(" new") + "</w:moveTo>")
    ex = read_docx(build(body), LIMITS)
    assert [w.text for w in ex.words] == ["Gender", "female", "new"]


def test_symbol_font_check_boxes_and_typed_marks_are_words():
    body = p('<w:r><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>', r(" Drug Related Harm"),
             r(" X Organised Crime ✓"))
    ex = read_docx(build(body), LIMITS)
    assert [w.text for w in ex.words] == [CHECKED, "Drug", "Related", "Harm", "X", "Organised",
                                          "Crime", "✓"]


@pytest.mark.parametrize(("font", "char", "glyph"), [
    ("Wingdings", "F0FE", CHECKED), ("Wingdings", "F0FD", CHECKED), ("Wingdings", "F078", CHECKED),
    ("Wingdings", "F0A8", UNCHECKED), ("Wingdings", "F06F", UNCHECKED), ("Wingdings", "00FE", CHECKED),
    ("Wingdings 2", "F053", CHECKED), ("Wingdings 2", "F054", CHECKED), ("Wingdings 2", "F0A3", UNCHECKED),
    ("MS Gothic", "2612", CHECKED), ("MS Gothic", "2610", UNCHECKED)])
def test_symbol_check_boxes_are_checked_or_unchecked_words_of_their_own(font, char, glyph):
    body = p(r("Drug Related Harm"), f'<w:r><w:sym w:font="{font}" w:char="{char}"/></w:r>', r("Next"))
    ex = read_docx(build(body), LIMITS)
    assert [w.text for w in ex.words] == ["Drug", "Related", "Harm", glyph, "Next"]


def test_text_typed_in_a_symbol_font_gives_its_check_boxes_only():
    font = '<w:rPr><w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/></w:rPr>'
    body = p(r("A "), f"<w:r>{font}<w:t>\uf0fe</w:t></w:r>", r(" B "), f"<w:r>{font}<w:t>¨ J</w:t></w:r>",
             r(" C"))
    ex = read_docx(build(body), LIMITS)
    assert [w.text for w in ex.words] == ["A", CHECKED, "B", UNCHECKED, "C"]


# --- content controls --------------------------------------------------------------------


def test_content_controls_at_block_row_cell_and_inline_level():
    body = (sdt("information_text", p(r("First paragraph.")) + p(r("Second one."))) + table(
        sdt("subject_row", row(cell(p(r("Surname"))), cell(p(r("Smith"))))),
        row(cell(p(r("Forename(s)"))), sdt("subjects_0_forenames", cell(p(r("Jane Ann"))))),
        row(cell(p(r("Your name"))), cell(p(sdt("submitter_name", r("Sam Lee")))))))
    ex = read_docx(build(body), LIMITS)
    assert ex.values["information_text"] == "First paragraph.\nSecond one."
    assert ex.values["subject_row"] == "Surname\nSmith"
    assert ex.values["subjects_0_forenames"] == "Jane Ann"
    assert ex.values["submitter_name"] == "Sam Lee"
    assert ex.field_names == {"information_text", "subject_row", "subjects_0_forenames",
                              "submitter_name"}
    # Controls do not disturb the layout: the cell-level control's cell is still column 1.
    assert words_at(ex, 54.0) == [("Forename(s)", 0.0), ("Jane", 1000.0), ("Ann", 1025.0)]
    assert words_at(ex, 72.0) == [("Your", 0.0), ("name", 25.0), ("Sam", 1000.0), ("Lee", 1020.0)]


def test_placeholder_and_empty_controls_are_none_and_their_prompt_is_not_a_word():
    body = p(r("Email "), sdt("submitter_email", r("Click or tap here to enter text."),
                              "<w:showingPlcHdr/>"), sdt("submitter_phone", r("  ")))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"submitter_email": None, "submitter_phone": None}
    assert [w.text for w in ex.words] == ["Email"]


def test_checkbox_controls_give_booleans_and_the_glyph_of_their_state():
    body = p(checkbox("cat_drug_related_harm", True, shown=UNCHECKED), r(" Drug Related Harm "),
             checkbox("cat_organised_crime", False, shown=CHECKED), r("Organised Crime"))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"cat_drug_related_harm": True, "cat_organised_crime": False}
    assert [w.text for w in ex.words] == [CHECKED, "Drug", "Related", "Harm", UNCHECKED,
                                          "Organised", "Crime"]
    # The glyph is a word of its own even with no space before the label.
    assert [w.x0 for w in ex.words[4:6]] == [100.0, 105.0]


@pytest.mark.parametrize(("checked", "shown"), [
    (True, '<w:r><w:t>✔</w:t></w:r>'), (False, '<w:r><w:t>○</w:t></w:r>'),
    (True, '<w:r><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>'),
    (False, '<w:r><w:sym w:font="Wingdings 2" w:char="F0A3"/></w:r>')])
def test_checkbox_controls_with_their_own_glyphs_show_the_state_once(checked, shown):
    states = ('<w14:checkedState w14:val="2714" w14:font="Segoe UI Symbol"/>'
              '<w14:uncheckedState w14:val="25CB" w14:font="Segoe UI Symbol"/>')
    props = f'<w14:checkbox><w14:checked w14:val="{int(checked)}"/>{states}</w14:checkbox>'
    ex = read_docx(build(p(sdt("cat_organised_crime", shown, props), r("Organised Crime"))), LIMITS)
    assert ex.values == {"cat_organised_crime": checked}
    assert [w.text for w in ex.words] == [CHECKED if checked else UNCHECKED, "Organised", "Crime"]


def test_checkbox_state_written_as_true():
    body = p(sdt("consent_mash_referral_made", r("☐"),
                 '<w14:checkbox><w14:checked w14:val="true"/></w14:checkbox>'))
    assert read_docx(build(body), LIMITS).values == {"consent_mash_referral_made": True}


def test_dropdown_gives_the_displayed_choice():
    props = ('<w:dropDownList><w:listItem w:displayText="Yes" w:value="yes"/>'
             '<w:listItem w:displayText="No" w:value="no"/></w:dropDownList>')
    body = p(r("Aware? "), sdt("consent_subject_aware", r("No"), props))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"consent_subject_aware": "No"}
    assert [w.text for w in ex.words] == ["Aware?", "No"]


def test_a_dropdown_showing_one_of_its_items_is_answered_even_marked_as_placeholder():
    props = ('<w:showingPlcHdr/><w:dropDownList><w:listItem w:displayText="Choose an item." w:value=""/>'
             '<w:listItem w:displayText="Yes" w:value="Yes"/></w:dropDownList>')
    body = p(sdt("consent_subject_aware", r("Yes"), props),
             sdt("consent_mash_referral_made", r("Choose an item."), props))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"consent_subject_aware": "Yes", "consent_mash_referral_made": None}
    assert [w.text for w in ex.words] == ["Yes"]


def test_nested_controls_with_the_same_tag_take_the_innermost_value():
    inner = sdt("subjects_0_surname", r("Smith"))
    body = sdt("subjects_0_surname", p(r("Surname: "), inner)) + sdt(
        "information_source", p(sdt("information_source", r(""), "<w:showingPlcHdr/>")))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"subjects_0_surname": "Smith", "information_source": None}


# --- legacy form fields ------------------------------------------------------------------


def form_text(name: str, shown: str) -> str:
    return (f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            '<w:enabled/><w:textInput/></w:ffData></w:fldChar></w:r>'
            '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            + r(shown) + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def form_checkbox(name: str, state: str) -> str:
    return (f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{name}"/>'
            f'<w:enabled/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>'
            '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def test_legacy_text_fields_give_their_shown_text_and_default_spaces_are_empty():
    body = table(row(cell(p(r("Postcode"))), cell(p(form_text("subjects_0_postcode", "so14 7du")))),
                 row(cell(p(r("Phone"))), cell(p(form_text("submitter_phone", "\u2002" * 5)))))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"subjects_0_postcode": "so14 7du", "submitter_phone": None}
    assert ex.field_names == {"subjects_0_postcode", "submitter_phone"}
    assert words_at(ex, 0.0) == [("Postcode", 0.0), ("so14", 1000.0), ("7du", 1025.0)]
    assert words_at(ex, 18.0) == [("Phone", 0.0)]
    assert "FORMTEXT" not in [w.text for w in ex.words]


def test_legacy_check_boxes_from_checked_or_default():
    body = p(form_checkbox("cat_community_cohesion", "<w:default w:val=\"0\"/><w:checked/>"),
             r(" Community Cohesion "),
             form_checkbox("cat_anti_social_behaviour", "<w:default w:val=\"1\"/>"),
             r(" Anti-Social Behaviour "),
             form_checkbox("cat_organised_crime", "<w:default w:val=\"0\"/>"), r(" Organised"))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {"cat_community_cohesion": True, "cat_anti_social_behaviour": True,
                         "cat_organised_crime": False}
    assert [w.text for w in ex.words] == [CHECKED, "Community", "Cohesion", CHECKED,
                                          "Anti-Social", "Behaviour", UNCHECKED, "Organised"]


def test_unnamed_legacy_field_shows_text_but_gives_no_value():
    body = p(r("Role "), form_text("", "Teacher"))
    ex = read_docx(build(body), LIMITS)
    assert ex.values == {} and ex.field_names == set()
    assert [w.text for w in ex.words] == ["Role", "Teacher"]


# --- furniture and pages -----------------------------------------------------------------


def test_headers_footers_and_core_properties_are_furniture():
    data = build(p(r("Body")), header="OFFICIAL-SENSITIVE (when complete)",
                 footer="CPI Form v3.1 – March 2023",
                 title="Community Partnership Information Sharing (CPI) Form")
    ex = read_docx(data, LIMITS)
    assert ex.furniture == ["CPI Form v3.1 – March 2023", "OFFICIAL-SENSITIVE (when complete)",
                            "Community Partnership Information Sharing (CPI) Form",
                            "generated by python-docx"]  # the template's description
    assert [w.text for w in ex.words] == ["Body"]
    assert ex.pages is None  # no fixed pagination; the count in docProps/app.xml is not trusted


def replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    """The package with one part replaced (or dropped when content is None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        if content is not None:
            dst.writestr(name, content)
    return out.getvalue()


def test_custom_properties_are_furniture_and_missing_app_properties_mean_no_page_hint():
    custom = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
              'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
              '2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
              'pid="2" name="FormVersion"><vt:lpwstr>CPI Form v2.0</vt:lpwstr></property>'
              '</Properties>').encode()
    data = replace_part(build(p(r("x"))), "docProps/custom.xml", custom)
    data = replace_part(data, "docProps/app.xml", None)
    ex = read_docx(data, LIMITS)
    assert "FormVersion: CPI Form v2.0" in ex.furniture
    assert ex.pages is None


# --- hostile and broken input ------------------------------------------------------------


def document_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml")


def test_a_dtd_is_refused():
    data = build(p(r("x")))
    xml = document_xml(data)
    head, rest = xml.split(b"?>", 1)
    evil = head + b'?><!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + rest
    with pytest.raises(UnreadableDocument, match="DTD"):
        read_docx(replace_part(data, "word/document.xml", evil), LIMITS)


def test_a_dtd_in_utf16_is_refused():
    xml = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "x">]>'
           f'<w:document {NS}><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body>'
           '</w:document>').encode("utf-16")
    with pytest.raises(UnreadableDocument, match="DTD"):
        read_docx(replace_part(build(), "word/document.xml", xml), LIMITS)


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04garbage"])
def test_not_a_zip_is_unreadable(data):
    with pytest.raises(UnreadableDocument, match="not a readable Word"):
        read_docx(data, LIMITS)


def test_truncated_file_is_unreadable():
    data = build(p(r("word " * 2000)))
    with pytest.raises(UnreadableDocument):
        read_docx(data[: len(data) // 2], LIMITS)


def test_missing_main_part_is_unreadable():
    with pytest.raises(UnreadableDocument, match="no main text part"):
        read_docx(replace_part(build(), "word/document.xml", None), LIMITS)


def test_declared_sizes_over_the_limits_are_refused_before_reading():
    data = build(p(r("word " * 2000)))
    with pytest.raises(UnreadableDocument, match="part of the Word document is larger"):
        read_docx(data, Limits(max_part_bytes=5000))
    with pytest.raises(UnreadableDocument, match="unpacks to more than allowed"):
        read_docx(data, Limits(max_unzipped_bytes=20_000))


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The package with `name`'s declared uncompressed size changed in both zip headers."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    struct.pack_into("<I", buf, info.header_offset + 22, size)  # local header
    central = buf.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46:central + 46 + name_len]) == name.encode():
            struct.pack_into("<I", buf, central + 24, size)
            break
        central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


def test_a_part_larger_than_declared_is_refused():
    data = lie_about_size(build(p(r("word " * 2000))), "word/document.xml", 100)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("word/document.xml").file_size == 100
    with pytest.raises(UnreadableDocument, match="damaged"):
        read_docx(data, LIMITS)


def test_text_stops_at_max_chars():
    body = "".join(p(r(f"line{i:03d} text")) for i in range(100))
    ex = read_docx(build(body), Limits(max_chars=200))
    assert 10 <= len(ex.words) <= 2 * 200 // 13 + 2
    assert ex.words[0].text == "line000"
    assert "line099" not in [w.text for w in ex.words]


def nested_tables(depth: int) -> bytes:
    body = "<w:tbl><w:tr><w:tc>" * depth + p(r("deep")) + "</w:tc></w:tr></w:tbl>" * depth
    xml = (f'<w:document {NS}><w:body>{body}</w:body></w:document>').encode()
    return replace_part(build(), "word/document.xml", xml)


def test_nested_tables_are_read_and_absurd_nesting_is_unreadable_not_a_crash():
    assert [w.text for w in read_docx(nested_tables(60), LIMITS).words] == ["deep"]
    with pytest.raises(UnreadableDocument, match="damaged"):
        read_docx(nested_tables(400), LIMITS)


def test_an_ole_file_that_is_not_a_docx_is_unreadable():
    with pytest.raises(UnreadableDocument, match="not a readable Word"):
        read_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, LIMITS)
