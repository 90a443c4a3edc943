"""The shop's admin site: Today as its home (also at /admin/today/), the shop's own sections listed before the
technical ones, and "View site" leading to the shop (SHOP_URL, else its public front page at /). Every ModelAdmin and URL is the
same as on Django's default site: this class replaces it through `philia.admin_config.ShopAdminConfig`."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from live import selectors as live_selectors
from philia import today
from propositions.evaluation import weekly_figures

# The owner's own sections first, in the order of a working day; then the machinery. Apps not named go last.
SHOP_APPS = ("live", "orders", "conversations", "inventory", "propositions")
TECHNICAL_APPS = ("tiktok", "assistant", "notifications", "auth", "axes")


class ShopAdminSite(admin.AdminSite):
    site_header = "Philia Thrifts"
    site_title = "Philia Thrifts admin"
    index_title = "Today"
    index_template = "admin/today.html"
    # The list pages need the width on a phone; the breadcrumbs and Home lead everywhere the sidebar did.
    enable_nav_sidebar = False

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["site_url"] = settings.SHOP_URL or "/"  # the shop's public front page unless set elsewhere
        return context

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("today/", self.admin_view(self.index), name="today"), *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """Apps in the owner's order, each marked with its group ("The shop" or "Technical")."""
        apps = super().get_app_list(request, app_label)
        order = {label: position for position, label in enumerate((*SHOP_APPS, *TECHNICAL_APPS))}
        apps.sort(key=lambda app: (order.get(app["app_label"], len(order)), app["name"]))
        for app in apps:
            app["group"] = "The shop" if app["app_label"] in SHOP_APPS else "Technical"
        return apps

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """Today: what needs the owner, most urgent first, the figures of the last days, of the latest stream and of
        the week's propositions per reason (`propositions.evaluation.weekly_figures`, one query)."""
        figures = today.figures()
        stream = live_selectors.latest_stream()
        context = {
            "live_stream": stream,
            "live_figures": live_selectors.stream_figures(stream_id=stream.pk) if stream is not None else None,
            "sections": today.needs_attention(),
            "figures": figures,
            "chart": chart_svg(figures.days),
            "period_days": today.FIGURES_PERIOD.days,
            "proposition_figures": weekly_figures(now=timezone.now()),
            **(extra_context or {}),
        }
        return super().index(request, context)


CHART_WIDTH, ROW_HEIGHT, LABEL_HEIGHT = 420, 70, 16


def _number(value: float) -> str:
    return f"{value:.1f}"


def chart_svg(days: list[today.Day]) -> SafeString:
    """Two rows of bars, DMs and paid orders per day, as an inline SVG that scales to the screen's width."""
    slot = CHART_WIDTH / max(len(days), 1)
    bar = slot * 0.7

    def series(values: list[int], top: float, colour: str, name: str) -> SafeString:
        highest = max(values, default=0) or 1
        bars = []
        for index, (day, value) in enumerate(zip(days, values, strict=True)):
            height = ROW_HEIGHT * 0.85 * value / highest
            y = top + LABEL_HEIGHT + ROW_HEIGHT - height
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>'
                    '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
                    _number(index * slot + (slot - bar) / 2),
                    _number(y),
                    _number(bar),
                    _number(height),
                    colour,
                    day.day.isoformat(),
                    value,
                    name,
                    _number(index * slot + slot / 2),
                    _number(y - 2),
                    value or "",
                )  # fmt: skip
            )
        return format_html(
            '<text x="0" y="{}" font-size="11" font-weight="bold">{}</text>{}',
            _number(top + 11),
            name,
            format_html_join("", "{}", ((part,) for part in bars)),
        )

    dms = series([day.dms for day in days], 0, "#417690", "DMs")
    paid = series([day.paid_orders for day in days], ROW_HEIGHT + LABEL_HEIGHT + 8, "#2e7d32", "paid orders")
    axis_y = 2 * (ROW_HEIGHT + LABEL_HEIGHT) + 8 + 12
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>',
        ((_number(index * slot + slot / 2), axis_y, f"{day.day:%d}") for index, day in enumerate(days)),
    )
    summary = f"DMs and paid orders per day, {days[0].day} to {days[-1].day}" if days else "No days"
    return format_html(
        '<svg class="today-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "{}{}{}</svg>",
        CHART_WIDTH,
        axis_y + 4,
        summary,
        dms,
        paid,
        labels,
    )
