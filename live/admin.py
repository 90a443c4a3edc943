"""The live stream's admin, made for the phone the owner holds while streaming (390 px, big buttons).

The list of streams, a new stream scheduled with its SKUs in line-up order (`services.schedule_stream`), and the
stream's page: its status, the piece on screen now with its claims and winner (refreshed every few seconds), the
line-up with lot numbers (more pieces found by SKU or name and lined up with one tap), and Start, Next, Skip and
End, each a POST calling one service; a service's no
(`DomainError`) is shown as an error message on the same page.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from inventory.models import DropClaim, ItemPhoto
from live import selectors, services
from live.models import Stream
from philia.errors import DomainError

REFRESH_SECONDS = 3  # how often the stream page asks again for the claims of the piece on screen


class ScheduleStreamForm(forms.Form):
    """A new stream: its title, its time (empty: now) and its pieces in line-up order."""

    title = forms.CharField(max_length=services.TITLE_LENGTH)
    scheduled_at = forms.DateTimeField(
        label="Starts at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: now.",
    )
    skus = forms.CharField(
        label="SKUs",
        widget=forms.Textarea(attrs={"rows": 5, "autocapitalize": "characters"}),
        help_text="The pieces in line-up order (lot 1, 2, …), separated by spaces, commas or new lines: scan them.",
    )

    def sku_list(self) -> list[str]:
        return self.cleaned_data["skus"].replace(",", " ").split()


def _tiktok_time(written_at_ms: int) -> str:
    moment = timezone.localtime(datetime.fromtimestamp(written_at_ms / 1000, tz=UTC))
    return f"{moment:%H:%M:%S}.{written_at_ms % 1000:03d}"


def on_screen_context(stream: Stream) -> dict:
    """The piece on screen now, its main photo, its claims in TikTok-time order and its winner."""
    span = selectors.on_screen(stream_id=stream.pk)
    if span is None:
        return {"span": None, "claims": [], "winner": None, "photo": None}
    drop_item = span.drop_item
    claims = []
    if drop_item is not None:
        drop_claims = DropClaim.objects.filter(drop_item=drop_item).select_related("customer")
        for claim in drop_claims.order_by("written_at_ms", "tiktok_message_id"):
            claims.append({"claim": claim, "written_at": _tiktok_time(claim.written_at_ms)})
    winner = drop_item.winner if drop_item is not None and drop_item.winner_id else None
    photo = ItemPhoto.objects.filter(item_id=span.item_id).order_by("position", "pk").first()
    return {"span": span, "claims": claims, "winner": winner, "photo": photo}


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = ("title", "scheduled_at", "status", "lots")
    list_filter = ("status",)
    search_fields = ("title",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stream]:
        return super().get_queryset(request).annotate(lot_count=Count("pieces"))

    @admin.display(description="lots", ordering="lot_count")
    def lots(self, stream: Stream) -> int:
        return getattr(stream, "lot_count", 0)

    def has_delete_permission(self, request: HttpRequest, obj: Stream | None = None) -> bool:
        return False  # a stream is the record of who won what; a scheduled one is called off with End

    def get_urls(self) -> list[URLPattern]:
        def route(action: str, view: Callable) -> URLPattern:
            return path(
                f"<int:stream_id>/{action}/",
                self.admin_site.admin_view(view),
                name=f"live_stream_{action.replace('-', '_')}",
            )

        return [
            route("start", self.start_view),
            route("next", self.next_view),
            route("skip", self.skip_view),
            route("line-up", self.line_up_view),
            route("end", self.end_view),
            route("on-screen", self.on_screen_view),
            *super().get_urls(),
        ]

    # --- Pages ------------------------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """A new stream through `services.schedule_stream`; its refusal is shown on the form, nothing written."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ScheduleStreamForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                stream = services.schedule_stream(
                    title=form.cleaned_data["title"], skus=form.sku_list(), at=form.cleaned_data["scheduled_at"]
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                lots = stream.pieces.count()
                self.message_user(request, f"Scheduled “{stream.title}” with {lots} lot(s).", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:live_stream_change", args=[quote(stream.pk)]))
        context = {**self._page_context(request, title="Schedule a stream"), "form": form}
        return TemplateResponse(request, "admin/live/stream/schedule.html", {**context, **(extra_context or {})})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """The stream page: status, the piece on screen with its claims, the line-up, and the buttons."""
        stream = self.get_object(request, object_id)
        if stream is None:
            self.message_user(request, f"No stream with id {object_id}.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:live_stream_changelist"))
        if not self.has_view_or_change_permission(request, stream):
            raise PermissionDenied
        find = request.GET.get("find", "").strip()[:100]  # "levis trucker": pieces to line up, by SKU or name
        context = {
            **self._page_context(request, title=stream.title),
            "stream": stream,
            "original": stream,
            "line_up": selectors.line_up(stream_id=stream.pk),
            "find": find,
            "found": selectors.pieces_to_line_up(stream_id=stream.pk, text=find) if find else [],
            "can_change": self.has_change_permission(request, stream),
            "refresh_seconds": REFRESH_SECONDS,
            "live_figures": selectors.stream_figures(stream_id=stream.pk),
            **on_screen_context(stream),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/live/stream/stream_page.html", context)

    def on_screen_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        """The piece on screen and its claims, as the part of the stream page the page fetches again and again."""
        stream = get_object_or_404(Stream, pk=stream_id)
        if not self.has_view_or_change_permission(request, stream):
            raise PermissionDenied
        context = {"stream": stream, **on_screen_context(stream)}
        return TemplateResponse(request, "admin/live/stream/on_screen.html", context)  # never cached: admin_view

    def _page_context(self, request: HttpRequest, *, title: str) -> dict:
        request.current_app = self.admin_site.name
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts}

    # --- Buttons: each a POST calling one service ---------------------------------------------------

    def _act(self, request: HttpRequest, stream_id: int, act: Callable[[int], str]) -> HttpResponse:
        """Call `act` (one service) for the stream; its answer, or its refusal, as a message on the stream page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        stream = get_object_or_404(Stream, pk=stream_id)
        if not self.has_change_permission(request, stream):
            raise PermissionDenied
        try:
            done = act(stream.pk)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:live_stream_change", args=[quote(stream.pk)]))

    def start_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        def start(pk: int) -> str:
            stream = services.start_stream(stream_id=pk)
            return f"“{stream.title}” is live: tap Next to show lot 1."

        return self._act(request, stream_id, start)

    def next_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        """The next lined-up piece on screen, or the piece with the SKU given."""
        sku = request.POST.get("sku", "").strip() or None

        def show_next(pk: int) -> str:
            shown = services.next_piece(stream_id=pk, sku=sku)
            said = f"On screen: lot {shown.piece.position}, {shown.piece.item.sku} {shown.piece.item.name}."
            if shown.skipped:
                said += " Skipped: " + "; ".join(f"{piece.item.sku} {piece.skip_reason}" for piece in shown.skipped)
            return said

        return self._act(request, stream_id, show_next)

    def skip_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        sku = request.POST.get("sku", "")

        def skip(pk: int) -> str:
            piece = services.skip_piece(stream_id=pk, sku=sku)
            return f"Skipped lot {piece.position}, {piece.item.sku}."

        return self._act(request, stream_id, skip)

    def line_up_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        """The piece with the SKU given, at the end of the line-up."""
        sku = request.POST.get("sku", "")

        def line_up(pk: int) -> str:
            piece = services.line_up_piece(stream_id=pk, sku=sku)
            return f"Lined up as lot {piece.position}: {piece.item.sku} {piece.item.name}."

        return self._act(request, stream_id, line_up)

    def end_view(self, request: HttpRequest, stream_id: int) -> HttpResponse:
        def end(pk: int) -> str:
            stream = services.end_stream(stream_id=pk)
            return f"“{stream.title}” has ended."

        return self._act(request, stream_id, end)
