"""Values of a fillable PDF (AcroForm) read by field name with pypdf."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, NameObject, StreamObject

MAX_FIELDS = 5_000  # a CPI form has about a hundred
MAX_DEPTH = 16
RADIO_FLAG = 1 << 15
PUSHBUTTON_FLAG = 1 << 16
OFF = "/Off"
INDEX_SUFFIX = re.compile(r"\[\d+\]$")  # `surname[0]` as Designer-made forms name fields

Value = str | bool | None


@dataclass
class FormFields:
    """Values by field name, every field name, and how many characters the values hold."""

    values: dict[str, Value] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    chars: int = 0

    @property
    def filled(self) -> bool:
        """True when any field holds an answer (text, a ticked box, a chosen option)."""
        return any(v is not None and v is not False for v in self.values.values())


def read_form_fields(reader: PdfReader, max_chars: int) -> FormFields:
    """Every terminal field of the AcroForm with its value; text values stop at `max_chars` characters.

    Values are stored under the fully qualified name and under the terminal name (without a
    trailing `[n]`) unless another field already holds that name.
    """
    result = FormFields()
    acroform = _resolve(reader.trailer["/Root"].get("/AcroForm"))
    if not isinstance(acroform, DictionaryObject):
        return result
    fields = _resolve(acroform.get("/Fields"))
    if not isinstance(fields, ArrayObject):
        return result
    seen: set[int] = set()
    terminals: list[tuple[str, str, Value]] = []
    budget = [max_chars]

    def walk(node, parent: str, inherited: dict, depth: int) -> None:
        if depth > MAX_DEPTH or len(seen) > MAX_FIELDS:
            return
        ref = getattr(node, "idnum", None)
        if ref is not None:
            if ref in seen:
                return
            seen.add(ref)
        obj = node.get_object()
        if not isinstance(obj, DictionaryObject):
            return
        partial = obj.get("/T")
        name = f"{parent}.{partial}" if parent and partial is not None else str(partial or parent)
        here = {k: _resolve(obj[k]) for k in ("/FT", "/Ff", "/V", "/Opt") if k in obj}
        attrs = {**inherited, **here}
        kids = _resolve(obj.get("/Kids"))
        kids = list(kids) if isinstance(kids, ArrayObject) else []
        field_kids = [k for k in kids if isinstance(k.get_object(), DictionaryObject) and "/T" in k.get_object()]
        if field_kids:
            for kid in field_kids:
                walk(kid, name, attrs, depth + 1)
            return
        if not name:
            return
        widgets = [k.get_object() for k in kids] or [obj]
        terminal = INDEX_SUFFIX.sub("", str(partial)) if partial is not None else name
        terminals.append((name, terminal, _value(attrs, widgets, budget)))

    for node in fields:
        walk(node, "", {}, 0)
    for name, _, value in terminals:
        result.values[name] = value
        result.names.add(name)
    for name, terminal, value in terminals:
        result.names.add(terminal)
        result.values.setdefault(terminal, value)
    result.chars = max_chars - budget[0]
    return result


def _resolve(obj):
    return obj.get_object() if obj is not None else None


def _value(attrs: dict, widgets: list[DictionaryObject], budget: list[int]) -> Value:
    """The answer held by one terminal field."""
    kind = attrs.get("/FT")
    flags = int(attrs.get("/Ff", 0) or 0)
    value = attrs.get("/V")
    if kind == "/Btn":
        if flags & PUSHBUTTON_FLAG:
            return None
        state = _button_state(value, widgets)
        if flags & RADIO_FLAG:
            return _export_value(state, attrs.get("/Opt")) if state else None
        return state is not None
    if kind in ("/Tx", "/Ch"):
        if value is None:  # some producers leave the answer only in the drawn appearance
            value = _appearance_text(widgets)
        return _text(value, budget)
    return None


def _appearance_text(widgets: list[DictionaryObject]) -> str | None:
    """The text drawn in the first widget's normal appearance stream, lines joined by newlines."""
    for widget in widgets:
        appearance = _resolve(widget.get("/AP"))
        stream = _resolve(appearance.get("/N")) if isinstance(appearance, DictionaryObject) else None
        if not isinstance(stream, StreamObject):
            continue
        lines: list[str] = []
        current: list[str] = []
        for operands, operator in ContentStream(stream, None).operations:
            if operator in (b"Td", b"TD", b"T*", b"'", b'"', b"ET") and current:
                lines.append("".join(current))
                current = []
            if operator in (b"Tj", b"'", b'"'):
                current.append(str(operands[-1]))
            elif operator == b"TJ":
                current += [str(part) for part in operands[0] if not isinstance(part, (int, float))]
        text = "\n".join(line for line in lines if line.strip())
        if text:
            return text
    return None


def _button_state(value, widgets: list[DictionaryObject]) -> str | None:
    """The on-state name of a check box or radio group (anything but /Off), or None when off."""
    if isinstance(value, NameObject):
        return None if value == OFF else str(value)
    if isinstance(value, str) and value.strip():  # some producers write a string
        return None if value.strip() in ("Off", "/Off") else "/" + value.strip().lstrip("/")
    for widget in widgets:
        state = widget.get("/AS")
        if isinstance(state, NameObject) and state != OFF:
            return str(state)
    return None


def _export_value(state: str, options) -> str:
    """The export value of the chosen radio button, without the leading slash.

    With /Opt the on-state names are indexes (`/0`, `/1`...) into that list of export values.
    """
    name = state[1:]
    if isinstance(options, ArrayObject) and name.isdigit() and int(name) < len(options):
        return str(options[int(name)].get_object())
    return name


def _text(value, budget: list[int]) -> str | None:
    """A text or choice value (multi-select choices joined by `; `), None when empty."""
    if isinstance(value, ArrayObject):
        text = "; ".join(str(v.get_object()) for v in value)
    elif value is None or isinstance(value, DictionaryObject):
        return None
    elif hasattr(value, "get_data"):  # a stream (rich text in some producers)
        text = value.get_data().decode("utf-8", "replace")
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() or budget[0] <= 0:
        return None
    text = text[: budget[0]]
    budget[0] -= len(text)
    return text
