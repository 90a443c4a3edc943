"""Images made by Pillow for the photo tests, as a phone or a laptop would send them."""

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

ORIENTATION = 0x0112
MAKE = 0x010F
GPS_IFD = 0x8825


def jpeg_bytes(size: tuple[int, int] = (800, 600), *, colour: tuple[int, int, int] = (200, 30, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def sideways_phone_jpeg() -> bytes:
    """400×200 px as stored by a phone held upright: EXIF orientation 6 (turn 90° clockwise to view), the left
    half red and the right half blue, with the camera's make and a GPS position in EXIF."""
    image = Image.new("RGB", (400, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def transparent_png() -> bytes:
    """300×300 px RGBA: a green square in the middle of a fully transparent background."""
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    image.paste((0, 160, 0, 255), (100, 100, 200, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def noise_png(size: tuple[int, int]) -> bytes:
    """Random pixels: the worst case for JPEG, so it needs a low quality to fit a small limit."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload(content: bytes, name: str = "IMG_0001.JPG", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
