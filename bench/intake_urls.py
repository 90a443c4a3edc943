"""The shop's URLs plus `POST /bench/baseline`: the least an intake can do — insert a row and enqueue a job
after commit — to measure the real webhook against. Served only by bench/intake_settings.py."""

import uuid
from functools import partial

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from philia.urls import urlpatterns as shop_urlpatterns
from tiktok.models import WebhookEvent
from tiktok.services import enqueue_event


@csrf_exempt
def baseline(request: HttpRequest) -> JsonResponse:
    # The plainest way: one INSERT in autocommit, then enqueue (on_commit runs at once outside a transaction).
    event = WebhookEvent.objects.create(
        event="bench_baseline", dedupe_key=f"bench:{uuid.uuid4().hex}", raw_body=request.body.decode("utf-8")
    )
    transaction.on_commit(partial(enqueue_event, event_id=event.pk))
    return JsonResponse({"status": "accepted"})


urlpatterns = [path("bench/baseline", baseline), *shop_urlpatterns]
