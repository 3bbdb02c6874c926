"""Word 97-2003 (.doc), RTF and OpenDocument text (.odt) to DOCX with LibreOffice, run headless
in a locked-down child process.

The child gets a fresh temporary directory and throw-away profile (macros disabled, its proxy
pointed at a closed local port), an empty network namespace where the system allows one,
closed stdin, a memory/CPU/file-size rlimit and a wall-clock timeout after which its whole
process group is killed.
"""
from __future__ import annotations

import functools
import io
import math
import os
import resource
import shutil
import signal
import struct
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile

from .config import Limits
from .extraction import UnreadableDocument

NOT_INSTALLED = "Word 97-2003 (.doc) files need LibreOffice, which is not installed on this server"
RTF_MAGIC = b"{\\rtf"
MANIFEST_BYTES = 1024**2
ODT_MIMETYPES = frozenset({b"application/vnd.oasis.opendocument.text",
                           b"application/vnd.oasis.opendocument.text-template"})
# A small document converts within 0.5 GB of address space; 1.5 GB leaves room for large
# ones with pictures, not for runaways.
ADDRESS_SPACE_BYTES = 3 * 1024**3 // 2
OUTPUT_FILE_BYTES = 256 * 1024**2
WORD_IDENT = 0xA5EC  # FIB wIdent of a Word 97-2003 WordDocument stream
F_ENCRYPTED = 0x0100  # FIB base flags: the document is encrypted or obfuscated

# The throw-away profile's settings: no macros, and any HTTP(S)/FTP fetch goes to a closed
# local port. (path, property, value) for registrymodifications.xcu.
_PROFILE_SETTINGS = (
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("/org.openoffice.Inet/Settings", "ooInetProxyType", "1"),
    *(("/org.openoffice.Inet/Settings", f"ooInet{scheme}Proxy{part}", value)
      for scheme in ("HTTP", "HTTPS", "FTP")
      for part, value in (("Name", "127.0.0.1"), ("Port", "9"))),
)


def _profile_xcu() -> str:
    items = "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
                    f"<value>{value}</value></prop></item>\n"
                    for path, name, value in _PROFILE_SETTINGS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f"{items}</oor:items>\n")


@dataclass(frozen=True)
class _Kind:
    """A word-processor format LibreOffice converts: how handlers are told about it."""

    extension: str
    name: str  # as in "converting the <name> took too long"
    not_installed: str


_KINDS = {
    "doc": _Kind("doc", "Word 97-2003 (.doc) document", NOT_INSTALLED),
    "rtf": _Kind("rtf", "Rich Text Format (RTF) document",
                 "Rich Text Format (RTF) files need LibreOffice, which is not installed on this server"),
    "odt": _Kind("odt", "OpenDocument text (.odt) document",
                 "OpenDocument (.odt) files need LibreOffice, which is not installed on this server"),
}


def doc_to_docx(data: bytes, limits: Limits) -> bytes:
    """Convert a Word 97-2003 document to DOCX bytes (see `to_docx`)."""
    return to_docx(data, "doc", limits)


def to_docx(data: bytes, kind: str, limits: Limits) -> bytes:
    """Convert a document of `kind` ("doc", "rtf" or "odt", as `sniff` names them) to DOCX bytes.

    Raises `UnreadableDocument` (plain words) when the file is not of that kind, is
    password-protected, LibreOffice is missing, or the conversion fails or times out.
    """
    _CHECKS[kind](data)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise UnreadableDocument(_KINDS[kind].not_installed)
    workdir = Path(tempfile.mkdtemp(prefix="cpi-doc-"))
    try:
        return _convert(soffice, data, _KINDS[kind], workdir, limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_rtf(data: bytes) -> None:
    if not data.startswith(RTF_MAGIC):
        raise UnreadableDocument("the file is not a Rich Text Format (RTF) document")


def _check_odt(data: bytes) -> None:
    """Refuse what is not OpenDocument text, or is encrypted (ODF encrypts parts, not the zip)."""
    reason = "the file is not an OpenDocument text (.odt) document"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            mimetype = package.getinfo("mimetype")
            if mimetype.file_size > 128 or package.read(mimetype).strip() not in ODT_MIMETYPES:
                raise UnreadableDocument(reason)
            manifest = package.getinfo("META-INF/manifest.xml") \
                if "META-INF/manifest.xml" in package.namelist() else None
            if manifest is not None and manifest.file_size <= MANIFEST_BYTES \
                    and b"encryption-data" in package.read(manifest):
                raise UnreadableDocument("password-protected OpenDocument document")
    except UnreadableDocument:
        raise
    except KeyError:
        raise UnreadableDocument(reason) from None
    except Exception:  # zipfile raises many kinds of error on damaged input
        raise UnreadableDocument("the OpenDocument text (.odt) document is damaged") from None


def _check_word97(data: bytes) -> None:
    """Refuse what is not a Word 97-2003 compound file, or is one that is encrypted."""
    try:
        if not olefile.isOleFile(data=data):
            raise UnreadableDocument("the file is not a Word 97-2003 (.doc) document")
        with olefile.OleFileIO(data) as ole:
            if not ole.exists("WordDocument"):
                raise UnreadableDocument("the file is not a Word 97-2003 (.doc) document")
            with ole.openstream("WordDocument") as stream:
                fib = stream.read(12)
    except UnreadableDocument:
        raise
    except Exception:  # olefile raises many kinds of error on damaged input
        raise UnreadableDocument("the Word 97-2003 (.doc) document is damaged") from None
    if len(fib) < 12 or struct.unpack_from("<H", fib, 0)[0] != WORD_IDENT:
        raise UnreadableDocument("the Word 97-2003 (.doc) document is damaged")
    if struct.unpack_from("<H", fib, 10)[0] & F_ENCRYPTED:
        raise UnreadableDocument("password-protected Word document")


_CHECKS = {"doc": _check_word97, "rtf": _check_rtf, "odt": _check_odt}


def _convert(soffice: str, data: bytes, kind: _Kind, workdir: Path, limits: Limits) -> bytes:
    source = workdir / f"document.{kind.extension}"
    source.write_bytes(data)
    profile = workdir / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_profile_xcu())
    outdir = workdir / "out"
    command = [*_isolation_prefix(), soffice, f"-env:UserInstallation={profile.as_uri()}",
               "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(source)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
           "TMPDIR": str(workdir), "LANG": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"}
    cpu_seconds = math.ceil(limits.convert_seconds) + 5
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd=workdir, env=env,
                                   start_new_session=True,
                                   preexec_fn=functools.partial(_limit_child, cpu_seconds))
    except (OSError, subprocess.SubprocessError):
        raise UnreadableDocument(f"LibreOffice could not be started to convert the {kind.name}") \
            from None
    try:
        returncode = process.wait(timeout=limits.convert_seconds)
    except subprocess.TimeoutExpired:
        raise UnreadableDocument(f"converting the {kind.name} took too long") from None
    finally:
        _kill_group(process)
    result = outdir / "document.docx"
    if returncode != 0 or not result.is_file():
        raise UnreadableDocument(f"the {kind.name} could not be converted")
    return result.read_bytes()


def _limit_child(cpu_seconds: int) -> None:
    """In the child before exec: cap address space, CPU time and the size of files written.

    A limit already lower (e.g. set on a worker process) is kept.
    """
    for limit, value in ((resource.RLIMIT_AS, ADDRESS_SPACE_BYTES),
                         (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, OUTPUT_FILE_BYTES),
                         (resource.RLIMIT_CORE, 0)):
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the child's whole process group (LibreOffice starts helpers) and reap the child."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@functools.cache
def _isolation_prefix() -> tuple[str, ...]:
    """`unshare` into an empty network namespace where the system allows it, else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    prefix = (unshare, "--net", "--map-root-user")
    try:
        probe = subprocess.run([*prefix, "true"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return prefix if probe.returncode == 0 else ()
