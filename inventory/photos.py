"""Checking and normalising item photos with Pillow, and writing them through Django's storage API.

Phones send 3-30 MB JPEGs (or PNG screenshots) with the camera's rotation in EXIF and the place it was taken
in GPS tags. What is stored is what TikTok and a phone's browser want: a JPEG upright, at most
`PHOTO_MAX_SIDE` px on its long side, under `PHOTO_MAX_BYTES`, with no EXIF at all, plus a small thumbnail.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image, ImageOps, UnidentifiedImageError

# What Pillow reads that a phone or a laptop sends. HEIC needs a plugin: iPhones convert to JPEG for uploads.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"}
JPEG_QUALITIES = (85, 78, 70, 62, 54, 46, 38, 30)


@dataclass(frozen=True)
class NormalisedPhoto:
    """A photo ready to store: JPEG bytes of the photo and of its thumbnail."""

    content: bytes
    width: int
    height: int
    thumbnail: bytes


def normalise_photo(upload: File) -> NormalisedPhoto:
    """Read an uploaded file as an image and return it normalised; raises `ValidationError` saying why not.

    EXIF rotation is applied, then every metadata block but the colour profile is dropped; transparency is
    flattened onto white; the long side is cut to `PHOTO_MAX_SIDE`; JPEG quality is lowered step by step until
    the file is under `PHOTO_MAX_BYTES`.
    """
    name = getattr(upload, "name", "") or "the file"
    size = getattr(upload, "size", None)
    if size is not None and size > settings.PHOTO_MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"{name} is {size / 1_000_000:.1f} MB; photos can be at most "
            f"{settings.PHOTO_MAX_UPLOAD_BYTES / 1_000_000:g} MB.",
            code="photo_too_large",
        )
    image = _open(upload, name)
    try:
        upright = ImageOps.exif_transpose(image)
        icc_profile = image.info.get("icc_profile")
        photo = _flatten(upright)
        photo.thumbnail((settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        content = _jpeg_under(photo, settings.PHOTO_MAX_BYTES, icc_profile=icc_profile, name=name)
        thumb = photo.copy()
        thumb.thumbnail((settings.PHOTO_THUMBNAIL_SIDE, settings.PHOTO_THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        thumbnail = _jpeg(thumb, quality=80, icc_profile=icc_profile)
    except (OSError, ValueError, SyntaxError) as exc:  # a truncated or corrupt file fails while decoding
        raise ValidationError(f"{name} could not be read as an image ({exc}).", code="photo_unreadable") from exc
    return NormalisedPhoto(content=content, width=photo.width, height=photo.height, thumbnail=thumbnail)


def store_photo(photo: NormalisedPhoto, *, storage: Storage) -> tuple[str, str]:
    """Write the photo and its thumbnail under `items/`; returns their names in the storage."""
    token = uuid.uuid4().hex
    image_name = storage.save(f"items/{token}.jpg", ContentFile(photo.content))
    thumbnail_name = storage.save(f"items/{token}_thumb.jpg", ContentFile(photo.thumbnail))
    return image_name, thumbnail_name


def _open(upload: File, name: str) -> Image.Image:
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 megapixels; PHOTO_MAX_PIXELS below is the shop's own limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(upload)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise ValidationError(
            f"{name} is not an image we can read; send a JPEG, PNG or WebP photo.", code="not_an_image"
        ) from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(f"{name} is a {image.format} image; send a JPEG, PNG or WebP photo.", code="photo_format")
    if image.width * image.height > settings.PHOTO_MAX_PIXELS:
        raise ValidationError(
            f"{name} is {image.width}×{image.height} px; photos can have at most "
            f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g} megapixels.",
            code="photo_too_many_pixels",
        )
    if image.format in ("JPEG", "MPO"):
        # Decode big camera JPEGs at a fraction of their size: much less memory and time, same result.
        image.draft("RGB", (settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE))
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency put onto white (JPEG has no alpha; black behind a cut-out looks broken)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")  # 16-bit greyscale PNGs
    return image.convert("RGB")


def _jpeg_under(image: Image.Image, limit: int, *, icc_profile: bytes | None, name: str) -> bytes:
    for quality in JPEG_QUALITIES:
        content = _jpeg(image, quality=quality, icc_profile=icc_profile)
        if len(content) <= limit:
            return content
    raise ValidationError(
        f"{name} stays over {limit / 1_000_000:g} MB even as a low-quality JPEG.", code="photo_too_large"
    )


def _jpeg(image: Image.Image, *, quality: int, icc_profile: bytes | None) -> bytes:
    buffer = io.BytesIO()
    # No exif= and no xmp=: Pillow writes neither unless asked, so rotation tags and GPS are gone.
    options = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    return buffer.getvalue()
