"""The sizes a customer wears on their own admin page (issue 21, item 3): shown, and edited through `set_sizes`
like the sizes page; what is not a size is a form error and nothing is saved."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from philia.tests.factories import make_customer
from propositions.models import CustomerSizes
from propositions.services import set_sizes

pytestmark = pytest.mark.django_db


def page_data(client: Client, url: str) -> tuple[dict[str, Any], str]:
    """The customer's change form as the page fills it in, and the sizes inline's prefix."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    prefix = ""
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({f"{formset.prefix}-{name}": value for name, value in management.initial.items()})
        if formset.model is CustomerSizes:
            prefix = formset.prefix
    return data, prefix


def test_the_customer_page_shows_the_sizes_they_wear(admin_client):
    customer = make_customer("anna-id", username="anna")
    set_sizes(customer=customer, labels=["M"], waist=30, measurements={"pit_to_pit": 21})

    page = admin_client.get(reverse("admin:conversations_customer_change", args=[customer.pk]))

    assert b"Sizes they wear" in page.content or b"sizes they wear" in page.content
    assert b'value="M"' in page.content and b'value="30"' in page.content


def test_the_owner_sets_a_customers_sizes_on_their_page(admin_client):
    customer = make_customer("anna-id", username="anna")
    url = reverse("admin:conversations_customer_change", args=[customer.pk])
    data, prefix = page_data(admin_client, url)
    data.update(
        {f"{prefix}-0-labels": "m, L", f"{prefix}-0-waist": "32", f"{prefix}-0-measurements": '{"pit_to_pit": 22}'}
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    sizes = CustomerSizes.objects.get(customer=customer)
    assert (sizes.labels, sizes.waist, sizes.measurements) == (["M", "L"], 32, {"pit_to_pit": 22.0})


def test_what_is_not_a_size_is_a_form_error_and_nothing_is_saved(admin_client):
    customer = make_customer("anna-id", username="anna")
    url = reverse("admin:conversations_customer_change", args=[customer.pk])
    data, prefix = page_data(admin_client, url)
    data.update({f"{prefix}-0-labels": "<script>alert(1)</script>", f"{prefix}-0-measurements": "{}"})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not CustomerSizes.objects.filter(customer=customer).exists()
