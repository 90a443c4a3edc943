import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_home_lists_the_shop_and_not_an_always_empty_task_table(admin_client):
    page = admin_client.get("/admin/").content.decode()

    for section in ("Stock", "Orders", "Conversations", "TikTok"):
        assert f">{section}<" in page
    assert "/admin/django_dramatiq/task/" not in page
