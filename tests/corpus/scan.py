"""Turn a PDF into what a scanner sends: grey page images, slightly rotated and noisy, no text layer."""
from __future__ import annotations

import random
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image


def scan_pdf(source: Path, path: Path, *, seed: int, angle: float, dpi: int = 200) -> int:
    """Rasterise `source` at `dpi`, rotate each page by `angle` degrees, add light noise; write an image-only PDF.

    Returns the page count.
    """
    rng = random.Random(seed)
    pages: list[Image.Image] = []
    pdf = pdfium.PdfDocument(str(source))
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
            noise = Image.frombytes("L", image.size, rng.randbytes(image.size[0] * image.size[1]))
            pages.append(Image.blend(image, noise, 0.06))
    finally:
        pdf.close()
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return len(pages)
