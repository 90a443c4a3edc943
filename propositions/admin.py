"""Interactions, propositions and how they do (`ModelPerformance`) for the owner to read (both are written by the services where things happen, so
the admin only lists them), and customers' sizes to see and edit (through `propositions.services.set_sizes`)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from propositions import services
from propositions.models import CustomerSizes, Interaction, ModelPerformance, Proposition


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "kind", "item", "message")
    list_filter = ("kind",)
    search_fields = ("customer__username", "customer__tiktok_user_id", "item__sku")
    list_select_related = ("customer", "item")
    raw_id_fields = ("customer", "item", "message")


@admin.register(Proposition)
class PropositionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "item", "reason", "confidence", "outcome")
    list_filter = ("reason", "outcome")
    search_fields = ("customer__username", "customer__tiktok_user_id", "item__sku")
    list_select_related = ("customer", "item")
    raw_id_fields = ("customer", "item", "instead_of", "message")


@admin.register(ModelPerformance)
class ModelPerformanceAdmin(ReadOnlyAdmin):
    """The week's figures per reason and each nightly re-fit (written by `propositions.refit`), newest first."""

    list_display = ("created_at", "kind", "week", "reason", "shown", "bought", "rate", "adopted", "precision",
                    "current_precision", "note")  # fmt: skip
    list_filter = ("kind", "adopted", "reason")


class CustomerSizesForm(forms.ModelForm):
    """Sizes as the owner types them ("M, L"), read by `propositions.services.clean_sizes`: what is not a size is
    a form error, nothing saved."""

    labels = forms.CharField(required=False, max_length=200, help_text="Size labels, separated by commas: M, L.")

    class Meta:
        model = CustomerSizes
        fields: tuple[str, ...] = ("customer", "labels", "waist", "measurements")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["labels"] = ", ".join(self.instance.labels)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        labels = [label for label in (data.get("labels") or "").split(",") if label.strip()]
        try:
            data["labels"], data["waist"], data["measurements"] = services.clean_sizes(
                labels=labels, waist=data.get("waist"), measurements=data.get("measurements") or {}
            )
        except services.InvalidSizes as error:
            raise forms.ValidationError(str(error)) from error
        return data


class CustomerSizesInlineForm(CustomerSizesForm):
    class Meta(CustomerSizesForm.Meta):
        fields = ("labels", "waist", "measurements")


class CustomerSizesFormSet(forms.BaseInlineFormSet):
    """Saved through `set_sizes`, as the sizes page saves them."""

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> CustomerSizes:
        return self._set_sizes(form)

    def save_existing(self, form: forms.ModelForm, obj: CustomerSizes, commit: bool = True) -> CustomerSizes:
        return self._set_sizes(form)

    def _set_sizes(self, form: forms.ModelForm) -> CustomerSizes:
        data = form.cleaned_data
        return services.set_sizes(
            customer=self.instance, labels=data["labels"], waist=data["waist"], measurements=data["measurements"]
        )


class CustomerSizesInline(admin.StackedInline):
    """The sizes a customer wears, on their own page (`conversations.admin.CustomerAdmin`): learned from what they
    say and buy, and editable by the owner."""

    model = CustomerSizes
    form = CustomerSizesInlineForm
    formset = CustomerSizesFormSet
    verbose_name = verbose_name_plural = "sizes they wear"
    extra = 1
    max_num = 1
    can_delete = False


@admin.register(CustomerSizes)
class CustomerSizesAdmin(admin.ModelAdmin):
    form = CustomerSizesForm
    list_display = ("customer", "labels", "waist", "measurements", "updated_at")
    search_fields = ("customer__username", "customer__tiktok_user_id")
    raw_id_fields = ("customer",)

    def save_model(self, request: HttpRequest, obj: CustomerSizes, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        saved = services.set_sizes(
            customer=data["customer"], labels=data["labels"], waist=data["waist"], measurements=data["measurements"]
        )
        obj.pk = saved.pk
