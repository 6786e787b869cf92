"""Everything of the window in one router for ``create_app``: console, cases, documents, citizen
page, ratings, rectification, special tickets, door-to-door visits, the live channel and the pages."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.web import pages

from . import cases, citizen, console, documents, door, live, ratings, rectification, special

router = APIRouter()
for _module in (console, cases, documents, citizen, ratings, rectification, special, door, live, pages):
    router.include_router(_module.router)
