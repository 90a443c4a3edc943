"""Template helpers for the shop's admin templates."""

import re

from django import template
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

COLUMN_CLASS = re.compile(r"\bcolumn-([\w-]+)")


@register.simple_tag
def column_labels_css(headers: list[dict]) -> SafeString:
    """A style block naming each changelist column on its cells (`td.field-price::before { content: "Price: " }`),
    for phones, where the rows become cards and the table's header is hidden. The cells' HTML stays Django's."""
    rules = []
    for header in headers:
        found = COLUMN_CLASS.search(str(header.get("class_attrib", "")))
        label = strip_tags(str(header.get("text", ""))).strip()
        if found and label and found.group(1) != "action_checkbox":
            rules.append(f'#result_list .field-{found.group(1)}::before {{ content: "{css_string(label)}: "; }}')
    if not rules:
        return mark_safe("")
    # Safe: column names are word characters and every other character of a label is a CSS escape.
    return mark_safe(f"<style>@media (max-width: 600px) {{ {' '.join(rules)} }}</style>")  # noqa: S308


CSS_NAME = re.compile(r"^[\w-]+$")


@register.simple_tag
def inline_labels_css(inline_admin_formsets: list) -> SafeString:
    """The same for the tabular inlines of an object's page (an order's items and history, an item's photos), which
    become cards on a phone: `#events-group td.field-who::before { content: "By: " }`, and "Delete: " before a row's
    delete box."""
    rules = []
    for inline in inline_admin_formsets:
        prefix = inline.formset.prefix
        if not CSS_NAME.match(prefix):
            continue
        for field in inline.fields():
            label = strip_tags(str(field.get("label") or "")).strip()
            if label and CSS_NAME.match(field["name"]) and not getattr(field.get("widget"), "is_hidden", False):
                rules.append(
                    f'#{prefix}-group td.field-{field["name"]}::before {{ content: "{css_string(label)}: "; }}'
                )
        if inline.formset.can_delete and inline.has_delete_permission:
            rules.append(f'#{prefix}-group td.delete:has(input)::before {{ content: "Delete: "; }}')
    if not rules:
        return mark_safe("")
    # Safe: prefixes and field names are word characters and hyphens; every other character of a label is escaped.
    return mark_safe(f"<style>@media (max-width: 600px) {{ {' '.join(rules)} }}</style>")  # noqa: S308


def css_string(text: str) -> str:
    """`text` capitalised, for inside a CSS string in a <style> block: letters, digits and spaces as they are,
    everything else as a CSS escape (so no quote, backslash or "</style>" can end the string or the block)."""
    text = text[:1].upper() + text[1:]
    return "".join(char if char.isalnum() or char == " " else f"\\{ord(char):x} " for char in text)
