"""Image metadata stripping: JPEG and PNG are re-encoded from their pixels alone.

Decoding is where memory goes (Pillow keeps 4 bytes a pixel), and a small file can declare a
huge canvas: an 8,900 x 8,900 single-colour PNG is 318 KiB on the wire and 317 MiB decoded.
So the pixel count is read from the header and checked before anything is decoded, and a
process-wide semaphore bounds how many images are decoded at once. A cleaning holds at most
two decoded copies (the decoded image and the fresh one the pixels are pasted into), so
memory for images stays under `concurrent x 2 x 4 x max_pixels` bytes: 320 MB at the
defaults (40 megapixels, one at a time).
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING

from hotline.services.errors import ImagesBusy, ImageTooLarge, UnreadableImage

if TYPE_CHECKING:
    from PIL import Image

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
BYTES_PER_PIXEL = 4  # Pillow's in-memory RGB/RGBA; L and LA take less


def sniff_image(head: bytes) -> str | None:
    """The image type by magic number, for the formats we re-encode."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


class ImageCleaner:
    """Strips metadata with bounded memory: a pixel limit checked before decoding, and at
    most `concurrent` images decoded at once in this process (the others wait their turn)."""

    def __init__(self, max_pixels: int = 40_000_000, concurrent: int = 1, wait_seconds: float = 60):
        if max_pixels < 1 or concurrent < 1:
            raise ValueError("image limits must be positive")
        self.max_pixels = max_pixels
        self.concurrent = concurrent
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrent)

    @property
    def ceiling_bytes(self) -> int:
        """The most memory decoded images may take in this process at once."""
        return self.concurrent * 2 * BYTES_PER_PIXEL * self.max_pixels

    def strip(self, data: bytes, content_type: str) -> bytes:
        """Re-encode the pixels only: EXIF (GPS, camera serials), XMP and comments are dropped."""
        from PIL import Image  # Pillow only when a picture arrives: ~2 MiB out of every worker

        try:
            with Image.open(io.BytesIO(data)) as opened:
                # The header alone gives the size: refuse before a single pixel is decoded.
                if opened.width * opened.height > self.max_pixels:
                    raise ImageTooLarge(self.max_pixels)
                if not self._slots.acquire(timeout=self.wait_seconds):
                    raise ImagesBusy(
                        "the server is busy with other pictures; please try again shortly",
                        field="attachments",
                    )
                try:
                    return _reencode(opened, IMAGE_TYPES[content_type])
                finally:
                    self._slots.release()
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(self.max_pixels) from exc
        except (OSError, ValueError) as exc:
            raise UnreadableImage("the image could not be read", field="attachments") from exc


def _reencode(opened: Image.Image, fmt: str) -> bytes:
    from PIL import Image, ImageOps

    ImageOps.exif_transpose(opened, in_place=True)
    image: Image.Image = opened
    wanted = ("RGB", "L") if fmt == "JPEG" else ("RGB", "RGBA", "L", "LA")
    if image.mode not in wanted:
        image = image.convert("RGBA" if fmt == "PNG" and "transparency" in image.info else "RGB")
    # A fresh image with the pixels pasted in carries no EXIF, XMP, ICC text or comments.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    image.close()
    opened.close()
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, format="JPEG", quality=90)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()
