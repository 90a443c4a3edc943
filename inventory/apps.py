from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Stock"

    def ready(self) -> None:
        from inventory.models import Item
        from inventory.selectors import forget_known_brands

        # An item saved or deleted here may bring or take away a brand: known_brands reads them again.
        post_save.connect(forget_known_brands, sender=Item, dispatch_uid="inventory-brands-saved")
        post_delete.connect(forget_known_brands, sender=Item, dispatch_uid="inventory-brands-deleted")
