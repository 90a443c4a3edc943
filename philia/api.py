"""The shop's one HTTP API (django-ninja): TikTok's and Stripe's webhooks, the health check and the metrics."""

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from orders.api import router as stripe_router
from philia.errors import DomainError
from philia.health import shop_health
from philia.observability import metrics as shop_metrics
from tiktok.api import router as tiktok_router

logger = logging.getLogger(__name__)

api = NinjaAPI(title="Philia Thrifts", version="1", docs_url=None, openapi_url=None)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.get("/health", tags=["health"])
def health(request: HttpRequest) -> HttpResponse:
    checks = shop_health()
    # The sweeps are "unknown" only when Redis does not answer, which the broker's "down" already reports.
    healthy = checks["database"] == "ok" and checks["broker"] == "ok" and checks["sweeps"] in ("ok", "unknown")
    status = 200 if healthy else 503
    return api.create_response(request, {"status": "ok" if status == 200 else "degraded", **checks}, status=status)


@api.get("/metrics", include_in_schema=False)
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape (philia/observability/metrics.py), for the holder of METRICS_TOKEN only."""
    refusal = shop_metrics.scrape_refusal(request.headers.get("Authorization", ""))
    if refusal is not None:
        response = api.create_response(request, {"detail": refusal.detail}, status=refusal.status)
        if refusal.status == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(shop_metrics.exposition(), content_type=shop_metrics.CONTENT_TYPE)


api.add_router("/webhooks", tiktok_router)
api.add_router("/webhooks", stripe_router)
