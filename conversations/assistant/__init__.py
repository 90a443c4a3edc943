"""The shop assistant: turns a customer's message into the shop's answer.

`answer()` is the one entry point the message pipeline calls, outside any transaction (it may call
OpenAI). It may act through the inventory and orders services for the customer who wrote, and
returns the text to send, or None when the shop should say nothing.
"""

from dataclasses import dataclass

from conversations.models import Customer, Message

TEXT_ONLY_REPLY = "I can only read text for now — what are you looking for?"


@dataclass(frozen=True)
class Answer:
    text: str
    ai_model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


def answer(*, customer: Customer, message: Message) -> Answer | None:
    """Placeholder until the assistant issue lands: a plain acknowledgement."""
    if message.content_type != "text":
        return Answer(text=TEXT_ONLY_REPLY)
    return Answer(text="Thanks for your message! The shop will get back to you shortly.")
