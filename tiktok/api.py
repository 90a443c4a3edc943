"""TikTok's webhook endpoint."""

from ninja import Router

router = Router(tags=["tiktok"])
