from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Stock"

    def ready(self) -> None:
        from inventory.models import Item
        from inventory.selectors import forget_stock_facts

        # An item saved or deleted here may bring a brand or a drop: the stock facts are read again.
        post_save.connect(forget_stock_facts, sender=Item, dispatch_uid="inventory-stock-facts-saved")
        post_delete.connect(forget_stock_facts, sender=Item, dispatch_uid="inventory-stock-facts-deleted")
