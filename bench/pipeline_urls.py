"""The shop's URLs plus `POST /bench/pipeline-baseline`: the least a DM pipeline can do at intake — store the
delivery and enqueue its job after commit. Served only by bench/pipeline_settings.py."""

import uuid
from functools import partial

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.pipeline_tasks import baseline_reply
from philia.urls import urlpatterns as shop_urlpatterns
from tiktok.models import WebhookEvent


@csrf_exempt
def pipeline_baseline(request: HttpRequest) -> JsonResponse:
    event = WebhookEvent.objects.create(
        event="bench_pipeline", dedupe_key=f"bench:{uuid.uuid4().hex}", raw_body=request.body.decode("utf-8")
    )
    transaction.on_commit(partial(baseline_reply.send, event.pk))
    return JsonResponse({"status": "accepted"})


urlpatterns = [path("bench/pipeline-baseline", pipeline_baseline), *shop_urlpatterns]
