"""What a customer is looking for, as structured filters: the `ItemQuery` the assistant reads from a message
(`assistant.language.parse_search`) and `inventory.search` runs."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from inventory.models import Item


@dataclass(frozen=True)
class ItemQuery:
    """What a customer is looking for. Empty fields do not filter; `words` rank and match loosely."""

    words: tuple[str, ...] = ()
    sku: str = ""
    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    kind_words: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    waist: int | None = None
    colours: tuple[str, ...] = ()
    eras: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    measurements_min: tuple[tuple[str, float], ...] = ()
    measurements_max: tuple[tuple[str, float], ...] = ()
    cheapest: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    def has_filters(self) -> bool:
        return bool(
            self.brands
            or self.categories
            or self.sizes
            or self.waist
            or self.colours
            or self.eras
            or self.min_price is not None
            or self.max_price is not None
            or self.measurements_min
            or self.measurements_max
        )

    def is_empty(self) -> bool:
        return not (self.has_filters() or self.words or self.sku)

    def without_words(self) -> "ItemQuery":
        return replace(self, words=(), sku="")

    def without_kind(self) -> "ItemQuery":
        """The same description with no garment: "the mickey mouse shirt" when the Mickey piece is a tee."""
        return replace(self, categories=(), kind_words=())

    def describe(self) -> str:
        """A short phrase for replies: "Nike jackets in L under $50"."""
        parts: list[str] = []
        if self.colours:
            parts.append("/".join(self.colours))
        if self.eras:
            parts.append("/".join(self.eras))
        if self.brands:
            parts.append("/".join(self.brands))
        if self.kind_words:
            parts.append("/".join(self.kind_words))
        elif self.categories:
            parts.append("/".join(dict(Item.Category.choices)[c].split(" / ")[0].lower() for c in self.categories))
        elif self.words:
            parts.append(" ".join(self.words))
        else:
            parts.append("pieces")
        if self.sizes:
            parts.append("in " + "/".join(self.sizes))
        if self.waist:
            parts.append(f"in waist {self.waist}")
        for key, value in self.measurements_min:
            parts.append(f'with {key.replace("_", " ")} at least {value:g}"')
        for key, value in self.measurements_max:
            parts.append(f'with {key.replace("_", " ")} at most {value:g}"')
        if self.min_price is not None and self.max_price is not None:
            parts.append(f"between ${self.min_price:g} and ${self.max_price:g}")
        elif self.max_price is not None:
            parts.append(f"under ${self.max_price:g}")
        elif self.min_price is not None:
            parts.append(f"over ${self.min_price:g}")
        return " ".join(parts)
