"""The owner sees and edits a customer's sizes in the admin; what is not a size is a form error and nothing is
saved (issue 21, items 3 and 7)."""

import pytest
from django.urls import reverse

from philia.tests.factories import make_customer
from propositions.models import CustomerSizes
from propositions.services import set_sizes

pytestmark = pytest.mark.django_db

ADD = reverse("admin:propositions_customersizes_add")


def test_the_owner_adds_sizes_in_the_shops_spelling(admin_client):
    customer = make_customer()

    response = admin_client.post(
        ADD, {"customer": customer.pk, "labels": "large, m", "waist": "32", "measurements": '{"pit_to_pit": 22}'}
    )

    assert response.status_code == 302
    stored = CustomerSizes.objects.get(customer=customer)
    assert (stored.labels, stored.waist, stored.measurements) == (["L", "M"], 32, {"pit_to_pit": 22.0})


@pytest.mark.parametrize(
    ("labels", "measurements", "error"),
    [
        ("<script>alert(1)</script>", "{}", "is not a size."),
        ("M" * 150, "{}", "is not a size."),
        ("M", '{"pit_to_pit": "wide"}', "pit_to_pit must be a number of inches."),
        ("M", "[1, 2]", "Measurements are names and inches"),
    ],
)
def test_what_is_not_a_size_is_a_form_error_and_nothing_is_saved(admin_client, labels, measurements, error):
    customer = make_customer()

    response = admin_client.post(
        ADD, {"customer": customer.pk, "labels": labels, "waist": "", "measurements": measurements}
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not CustomerSizes.objects.exists()


def test_the_owner_changes_sizes_already_known(admin_client):
    customer = make_customer()
    set_sizes(customer=customer, labels=["M"])
    change = reverse("admin:propositions_customersizes_change", args=[customer.pk])

    page = admin_client.get(change).content.decode()
    response = admin_client.post(change, {"customer": customer.pk, "labels": "XL", "waist": "", "measurements": "{}"})

    assert 'value="M"' in page
    assert response.status_code == 302
    assert CustomerSizes.objects.get(customer=customer).labels == ["XL"]
