# The newest pieces of a brand without walking the others: the pieces proposed in place of one a customer cannot
# have are the newest of its category and of its brand (propositions.selectors.candidates), each read from its own
# newest-first index, as "jackets in L" reads inventory_item_category_newest.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0008_drop_rules"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX inventory_item_brand_newest ON inventory_item (upper(brand), created_at DESC, id DESC)",
            reverse_sql="DROP INDEX inventory_item_brand_newest",
        ),
    ]
