"""The forms of the stock's admin pages: an item's measurements as boxes, photos straight from a phone, and a
new drop's pieces. They check and normalise; saving goes through the services."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from inventory.drops import check_drop
from inventory.models import MEASUREMENT_ORDER, Drop, Item, ItemPhoto
from inventory.photos import normalise_photo
from philia.errors import DomainError

MAX_PHOTOS_AT_ONCE = 12
PHOTO_INPUT_ATTRS = {"accept": "image/*"}  # the phone offers its camera and its library

# The statuses a new item may start in; held and sold only come from a hold or an order.
NEW_ITEM_STATUSES = [
    (Item.Status.AVAILABLE, Item.Status.AVAILABLE.label),
    (Item.Status.HIDDEN, Item.Status.HIDDEN.label),
]


def inches(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0.1"), max_digits=5, decimal_places=2)


class ItemForm(forms.ModelForm):
    """The measurements as a box per measurement, in inches, instead of JSON to type by hand."""

    pit_to_pit = inches("pit to pit")
    chest = inches("chest")
    shoulders = inches("shoulders")
    length = inches("length")
    sleeve = inches("sleeve")
    waist = inches("waist")
    hips = inches("hips")
    inseam = inches("inseam")
    rise = inches("rise")
    leg_opening = inches("leg opening")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.measurements if isinstance(self.instance.measurements, dict) else {}
        for name in self.boxes():
            self.initial.setdefault(name, stored.get(name))

    def boxes(self) -> list[str]:
        return [name for name in MEASUREMENT_ORDER if name in self.fields]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # Keys without a box (an import may add others) are kept as they were.
        stored = self.instance.measurements if isinstance(self.instance.measurements, dict) else {}
        measurements = {name: value for name, value in stored.items() if name not in self.boxes()}
        for name in self.boxes():
            value = cleaned.get(name)
            if value is not None:
                measurements[name] = int(value) if value == value.to_integral_value() else float(value)
        self.instance.measurements = measurements
        return cleaned


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one file box (pick them all at once from the phone's library), each normalised."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={**PHOTO_INPUT_ATTRS, "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_PHOTOS_AT_ONCE:
            raise ValidationError(f"At most {MAX_PHOTOS_AT_ONCE} photos at once; add more on the item's page.")
        errors, photos = [], []
        for file in files:
            try:
                photos.append(normalise_photo(super().clean(file, initial)))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return photos


class ItemAddForm(ItemForm):
    """The short way in, made for a phone: photos first, the SKU made up when left empty."""

    photos = MultiplePhotoField(required=False, help_text="Take them now or pick them from your library.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].required = False
        self.fields["sku"].help_text = "Leave empty to get one from the brand and category, e.g. VNT-NIKE-JKT-001."


class ItemPhotoForm(forms.ModelForm):
    """A photo row on the item's page: a new picture (normalised in `clean`), or an existing one to move."""

    upload = forms.FileField(
        label="photo", required=False, widget=forms.ClearableFileInput(attrs=PHOTO_INPUT_ATTRS), help_text=""
    )

    class Meta:
        model = ItemPhoto
        fields = ("position",)

    def clean_upload(self) -> object:
        upload = self.cleaned_data.get("upload")
        return normalise_photo(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (
            self.instance.pk is None
            and self.has_changed()
            and not cleaned.get("upload")
            and "upload" not in self.errors
        ):
            raise ValidationError({"upload": "Choose a photo (or leave the row empty)."})
        return cleaned


class ItemPhotoFormSet(forms.BaseInlineFormSet):
    """A post without the photo rows' management form (a script, or a page saved before photos existed) means
    "no change to the photos" instead of refusing the whole item: rows are only ever added or deleted when sent."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        super().__init__(data, *args, **kwargs)


class DropForm(forms.ModelForm):
    """A new drop: its name, time and pieces, scheduled through `services.schedule_drop` (same rules as the
    `schedule_drop` command)."""

    skus = forms.CharField(
        label="SKUs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The pieces in the drop, separated by spaces, commas or new lines.",
    )

    class Meta:
        model = Drop
        fields = ("name", "drops_at")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        cleaned["sku_list"] = [sku for sku in cleaned.get("skus", "").replace(",", " ").split() if sku]
        if cleaned.get("drops_at") and cleaned["sku_list"]:
            try:
                check_drop(drops_at=cleaned["drops_at"], skus=cleaned["sku_list"])
            except DomainError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned
