"""The services object `create_app` made, as request code reaches it. Not a view: the
blueprints each import it from here, never from one another."""

from __future__ import annotations

from hotline import wiring
from hotline.services.context import ServiceContext


def service_context() -> ServiceContext:
    ctx: ServiceContext = wiring.services().context
    return ctx
