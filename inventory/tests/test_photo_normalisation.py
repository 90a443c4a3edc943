import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from inventory.photos import normalise_photo
from inventory.tests.photo_support import (
    GPS_IFD,
    jpeg_bytes,
    noise_png,
    sideways_phone_jpeg,
    transparent_png,
    upload,
)


def opened(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def test_a_sideways_phone_photo_is_turned_upright_and_its_exif_is_gone():
    photo = normalise_photo(upload(sideways_phone_jpeg()))

    image = opened(photo.content)
    assert (image.format, image.size, (photo.width, photo.height)) == ("JPEG", (200, 400), (200, 400))
    # Orientation 6 turns the stored left half (red) to the top, the right half (blue) to the bottom.
    red, green, blue = image.convert("RGB").getpixel((100, 50))
    assert red > 200 and green < 40 and blue < 40
    red, green, blue = image.convert("RGB").getpixel((100, 350))
    assert red < 40 and green < 40 and blue > 200
    assert len(image.getexif()) == 0 and len(image.getexif().get_ifd(GPS_IFD)) == 0
    assert "exif" not in image.info and "xmp" not in image.info


def test_a_huge_photo_is_cut_to_1600_px_on_its_long_side_with_a_small_thumbnail():
    photo = normalise_photo(upload(jpeg_bytes((4000, 3000), quality=95)))

    assert opened(photo.content).size == (1600, 1200)
    assert (photo.width, photo.height) == (1600, 1200)
    assert opened(photo.thumbnail).size == (320, 240)
    assert len(photo.content) < 3_000_000


def test_a_small_photo_keeps_its_size():
    photo = normalise_photo(upload(jpeg_bytes((640, 480))))

    assert opened(photo.content).size == (640, 480)


def test_a_png_with_transparency_becomes_a_jpeg_on_white():
    photo = normalise_photo(upload(transparent_png(), "cutout.png", "image/png"))

    image = opened(photo.content).convert("RGB")
    assert (opened(photo.content).format, image.size) == ("JPEG", (300, 300))
    assert all(channel >= 250 for channel in image.getpixel((10, 10)))  # was transparent: white, not black
    red, green, blue = image.getpixel((150, 150))
    assert red < 30 and 140 < green < 180 and blue < 30


def test_quality_is_lowered_until_the_jpeg_fits_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 250_000
    content = noise_png((600, 600))

    photo = normalise_photo(upload(content, "noise.png", "image/png"))

    at_best_quality = io.BytesIO()
    Image.open(io.BytesIO(content)).save(at_best_quality, "JPEG", quality=85)
    assert len(at_best_quality.getvalue()) > 250_000  # the first try does not fit...
    assert len(photo.content) <= 250_000  # ...a lower quality does
    assert opened(photo.content).size == (600, 600)


def test_a_photo_that_cannot_fit_the_limit_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 5_000

    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(noise_png((600, 600)), "noise.png", "image/png"))

    assert refused.value.messages == ["noise.png stays over 0.005 MB even as a low-quality JPEG."]


def test_a_file_that_is_not_an_image_is_refused_with_its_name():
    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(b"%PDF-1.4 not a photo at all", "receipt.pdf", "application/pdf"))

    assert refused.value.messages == ["receipt.pdf is not an image we can read; send a JPEG, PNG or WebP photo."]
    assert refused.value.error_list[0].code == "not_an_image"


def test_a_cut_off_jpeg_is_refused():
    content = jpeg_bytes((800, 600))

    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(content[: len(content) // 2], "half.jpg"))

    assert refused.value.error_list[0].code == "photo_unreadable"
    assert refused.value.messages[0].startswith("half.jpg could not be read as an image (")


def test_an_image_format_a_phone_does_not_send_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, "PPM")

    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(buffer.getvalue(), "scan.ppm", "image/x-portable-pixmap"))

    assert refused.value.messages == ["scan.ppm is a PPM image; send a JPEG, PNG or WebP photo."]


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000

    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(jpeg_bytes((1200, 1000)), "big.jpg"))

    assert refused.value.messages == ["big.jpg is 1200×1000 px; photos can have at most 1 megapixels."]


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 10_000

    with pytest.raises(ValidationError) as refused:
        normalise_photo(upload(jpeg_bytes((1600, 1200), quality=100), "heavy.jpg"))

    size = len(jpeg_bytes((1600, 1200), quality=100))
    assert refused.value.messages == [f"heavy.jpg is {size / 1_000_000:.1f} MB; photos can be at most 0.01 MB."]
