"""An item's photos on its admin page: the strip and thumbnails shown, and the photo rows, which are saved
through the photo services (`inventory.item_photos`) so files and rows never part."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from inventory import item_photos
from inventory.forms import ItemPhotoForm, ItemPhotoFormSet
from inventory.models import Item, ItemPhoto


class ItemPhotoInline(admin.TabularInline):
    model = ItemPhoto
    form = ItemPhotoForm
    formset = ItemPhotoFormSet
    fields = ("preview", "upload", "position")
    readonly_fields = ("preview",)
    extra = 1
    verbose_name = "photo"
    verbose_name_plural = "photos (the first is the main one; phone camera or library)"

    @admin.display(description="")
    def preview(self, photo: ItemPhoto) -> str:
        return thumbnail_tag(photo, size=120) if photo.pk else ""


def thumbnail_tag(photo: ItemPhoto, *, size: int) -> str:
    return format_html(
        '<a href="{}"><img src="{}" alt="" loading="lazy" style="max-width:{}px;max-height:{}px;'
        'object-fit:cover;border-radius:4px"></a>',
        photo.image.url,
        photo.thumbnail.url,
        size,
        size,
    )


class ItemPhotosAdmin(admin.ModelAdmin):
    """The photo parts of the item admin: its photo rows (only once the item exists), the thumbnails, and
    deleting an item's photo files with it."""

    inlines = (ItemPhotoInline,)

    def get_inlines(self, request: HttpRequest, obj: Item | None = None) -> Any:
        # The add page takes its photos in its own box at the top; rows to reorder come once the item exists.
        return self.inlines if obj is not None else ()

    def delete_model(self, request: HttpRequest, obj: Item) -> None:
        files = item_photos.photo_files_of(items=[obj])
        super().delete_model(request, obj)
        item_photos.delete_files_after_commit(files)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        files = item_photos.photo_files_of(items=queryset)
        super().delete_queryset(request, queryset)
        item_photos.delete_files_after_commit(files)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not ItemPhoto:
            super().save_formset(request, form, formset, change)
            return
        item = form.instance
        # What formset.save() would have noted, for the admin's history ("Added photo ...").
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for photo_form in formset.forms:
            photo = photo_form.instance
            if photo_form in formset.deleted_forms:
                if photo.pk is not None:
                    item_photos.remove_photo(photo=photo)
                    formset.deleted_objects.append(photo)
                continue
            if not photo_form.has_changed():
                continue
            upload = photo_form.cleaned_data.get("upload")
            position = photo_form.cleaned_data.get("position")
            if photo.pk is None:  # a new row keeps its default position: after the photos already there
                placed = position if "position" in photo_form.changed_data else None
                formset.new_objects.append(item_photos.add_photo(item=item, photo=upload, position=placed))
                continue
            if upload is not None:
                item_photos.replace_photo(photo=photo, new=upload)
            if "position" in photo_form.changed_data:
                item_photos.move_photo(photo=photo, position=position or 0)
            formset.changed_objects.append((photo, photo_form.changed_data))

    @admin.display(description="photo")
    def thumbnail(self, item: Item) -> str:
        photos = getattr(item, "ordered_photos", None)
        if photos:
            return thumbnail_tag(photos[0], size=48)
        if item.image_url:
            return format_html(
                '<img src="{}" alt="" loading="lazy" style="max-width:48px;max-height:48px">', item.image_url
            )
        return "—"

    @admin.display(description="photos")
    def photo_strip(self, item: Item) -> str:
        photos = getattr(item, "ordered_photos", None)
        if photos is None:
            photos = list(item.photos.order_by("position", "pk"))
        if not photos:
            return "No photos yet: add them below."
        return format_html_join(" ", "{}", ((thumbnail_tag(photo, size=160),) for photo in photos))
