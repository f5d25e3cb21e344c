"""Administrator pages: statistics, routing policy, accounts. Metadata only, never content.

Every view requires an administrator's session. Forms are plain HTML posts with the global
CSRF token; each change goes through a service that validates it and writes the audit log.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _babel_gettext
from flask_limiter import Limiter
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response as BaseResponse

from hotline import db, wiring
from hotline.http_errors import status_of
from hotline.services import accounts, policy, routing, stats
from hotline.services.errors import InvalidInput, ServiceError
from hotline.views.charts import bar_chart_svg
from hotline.views.handler_session import admin_required, current_handler_id

_MAX_SLUGS = 100
_SLUG_CHARS = 40


def _(text: str, **values: str) -> str:
    return str(_babel_gettext(text, **values))


def _admin_id() -> int:
    handler_id = current_handler_id()
    if handler_id is None:  # admin_required ran first; never reached
        abort(403)
    return handler_id


def _slugs(form: MultiDict[str, str], name: str) -> list[str]:
    values = form.getlist(name)
    if len(values) > _MAX_SLUGS or any(len(v) > _SLUG_CHARS for v in values):
        raise InvalidInput("the form has too many or too long fields", field="form")
    return values


def parse_policy_form(form: MultiDict[str, str]) -> policy.PolicyChange:
    """The routing form: hidden lists of the category and desk slugs it shows, then
    `cat-<category>` (desk slugs, repeated), `active-<desk>`, `exec-<desk>`, `esc-<desk>`."""
    categories = {slug: tuple(_slugs(form, f"cat-{slug}")) for slug in _slugs(form, "category")}
    desks = {
        slug: policy.DeskChange(
            active=form.get(f"active-{slug}") == "1",
            receives_executive_cases=form.get(f"exec-{slug}") == "1",
            escalates_to=(form.get(f"esc-{slug}") or "")[:_SLUG_CHARS] or None,
        )
        for slug in _slugs(form, "desk")
    }
    return policy.PolicyChange(categories=categories, desks=desks)


def _categories() -> dict[str, routing.CategoryInfo]:
    return {c.slug: c for c in routing.categories(db.session())}


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return _("%(days)s days", days=shown)


def make_admin_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    page_limit = limiter.limit(lambda: wiring.settings().page_rate_limit)

    @bp.get("/", strict_slashes=False)
    @page_limit
    @admin_required
    def index() -> str:
        figures = stats.compute(db.session())
        chart = bar_chart_svg(
            figures.by_month, _("Cases received per month, last 12 months"), "cases-per-month"
        )
        return render_template(
            "admin/index.html",
            figures=figures,
            chart=chart,
            categories=_categories(),
            median_ack=_days(figures.median_days_to_acknowledge),
            median_close=_days(figures.median_days_to_close),
        )

    def render_routing(
        error: str | None = None, notice: str | None = None, status: int = 200
    ) -> tuple[str, int]:
        current = policy.current(db.session())
        db.session().rollback()
        return render_template(
            "admin/routing.html",
            policy=current,
            internal=[d for d in current.desks if d.kind == "internal"],
            error=error,
            notice=notice,
        ), status

    @bp.get("/routing")
    @page_limit
    @admin_required
    def routing_page() -> tuple[str, int]:
        notice = _("The routing policy was saved.") if request.args.get("saved") == "1" else None
        if request.args.get("saved") == "0":
            notice = _("Nothing was changed.")
        return render_routing(notice=notice)

    @bp.post("/routing")
    @page_limit
    @admin_required
    def routing_save() -> BaseResponse | tuple[str, int]:
        try:
            changes = policy.update(db.session(), _admin_id(), parse_policy_form(request.form))
        except ServiceError as error:
            db.session().rollback()
            return render_routing(error=error.message, status=status_of(error))
        return redirect(url_for("admin.routing_page", saved="1" if changes else "0"))

    def render_handlers(
        error: str | None = None, notice: str | None = None, status: int = 200
    ) -> tuple[str, int]:
        rows = accounts.account_rows(db.session())
        db.session().rollback()
        return render_template(
            "admin/handlers.html", rows=rows, me=_admin_id(), error=error, notice=notice
        ), status

    @bp.get("/handlers")
    @page_limit
    @admin_required
    def handlers_page() -> tuple[str, int]:
        done = request.args.get("done")
        notice = {
            "activated": _("The account was activated."),
            "deactivated": _("The account was deactivated."),
        }.get(done or "")
        return render_handlers(notice=notice)

    @bp.post("/handlers/<int:handler_id>/active")
    @page_limit
    @admin_required
    def handler_active(handler_id: int) -> BaseResponse | tuple[str, int]:
        wanted = request.form.get("active")
        if wanted not in ("0", "1"):
            return render_handlers(error=_("The request could not be understood."), status=400)
        try:
            accounts.set_active(
                db.session(),
                wiring.services().context.keys,
                _admin_id(),
                handler_id,
                wanted == "1",
            )
        except ServiceError as error:
            db.session().rollback()
            return render_handlers(error=error.message, status=status_of(error))
        return redirect(
            url_for("admin.handlers_page", done="activated" if wanted == "1" else "deactivated")
        )

    return bp
