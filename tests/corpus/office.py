"""Batch conversions with LibreOffice (`soffice`), one process per target format, private profile."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice() -> str | None:
    """The LibreOffice executable, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(sources: list[Path], target: str, out_dir: Path, *, timeout: float = 120.0) -> list[Path]:
    """Convert every source to `target` (`doc`, `pdf`) into `out_dir` in one soffice run; the new paths."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = Path(tempfile.mkdtemp(prefix="cpi-corpus-lo-"))
    try:
        subprocess.run(
            [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(out_dir), *(str(s) for s in sources)],
            check=True, timeout=timeout, capture_output=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    results = [out_dir / f"{s.stem}.{target}" for s in sources]
    missing = [p.name for p in results if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not produce {', '.join(missing)}")
    return results
