"""A job and a page that fail the way a bug does, for the tests of error reporting (test_sentry.py): each reads what
a customer wrote, logs it in `extra=` and keeps it in a local variable, then raises. Loaded only by the processes
those tests start, under philia/tests/failing_settings.py."""

import json
import logging

import dramatiq
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from conversations.models import Message
from philia.urls import urlpatterns as shop_urlpatterns

logger = logging.getLogger(__name__)

FAILING_QUEUE = "failing"


class OrderQuestionFailed(Exception):
    """What a bug raises: its message names no customer and quotes nothing they wrote."""


@dramatiq.actor(queue_name=FAILING_QUEUE, max_retries=0, time_limit=30_000)
def answer_order_question(order_id: int, conversation: str, message_id: int) -> None:
    message = Message.objects.get(pk=message_id)
    customer_text = message.text
    logger.info("order question read", extra={"message_id": message.pk, "text": customer_text})
    raise OrderQuestionFailed("the order question could not be answered")


@csrf_exempt
def order_question_page(request: HttpRequest, order_id: int) -> HttpResponse:
    question = json.loads(request.body)
    customer_text, username = question["text"], question["username"]
    logger.info("order question posted", extra={"text": customer_text, "customer": username})
    raise OrderQuestionFailed("the order question could not be answered")


urlpatterns = [path("failing/orders/<int:order_id>/question", order_question_page), *shop_urlpatterns]
