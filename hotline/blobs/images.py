"""Image metadata stripping: JPEG and PNG are re-encoded from their pixels alone."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
Image.MAX_IMAGE_PIXELS = 40_000_000


class UnreadableImage(ValueError):
    pass


def sniff_image(head: bytes) -> str | None:
    """The image type by magic number, for the formats we re-encode."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def strip_image_metadata(data: bytes, content_type: str) -> bytes:
    """Re-encode the pixels only: EXIF (GPS, camera serials), XMP and comments are dropped."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = ImageOps.exif_transpose(opened)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            # A fresh image from raw pixels carries no EXIF, XMP, ICC text or comments.
            pixels = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            fmt = IMAGE_TYPES[content_type]
            if fmt == "JPEG":
                pixels = pixels.convert("RGB")
                pixels.save(out, format="JPEG", quality=90)
            else:
                pixels.save(out, format="PNG")
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableImage("the image could not be read") from exc
