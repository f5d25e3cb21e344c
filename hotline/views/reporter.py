"""Reporter pages: landing, report form (no-JavaScript path posts here), receipt, follow-up.

With JavaScript on, the same pages are enhanced by web/js/reporter.js, which encrypts in the
browser and talks to /api/v1; these views then only serve the pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _babel_gettext
from flask_limiter import Limiter
from werkzeug.wrappers.response import Response as BaseResponse

from hotline import db, wiring
from hotline.app_services import service_context
from hotline.blobs.store import BlobStore
from hotline.http_errors import status_of
from hotline.limits import reporter_limits
from hotline.models import Channel
from hotline.services import exclusions, followup, intake, routing
from hotline.services.errors import ServiceError
from hotline.uploads import finished_uploads
from hotline.views import words
from hotline.views.json_input import ATTACHMENT_ID_MAX, path_id
from hotline.views.receipt_guard import guarded
from hotline.vocabulary import REPORT_FIELDS

LANGUAGES = ("en", "ja")


def _(text: str, **values: str) -> str:
    return str(_babel_gettext(text, **values))


def error_text(error: ServiceError) -> str:
    """The reporter-facing wording of a service error, in the page's language."""
    return words.error_text(
        error, _("Your request could not be accepted. Please check it and try again.")
    )


def safe_local_path(target: str) -> str:
    """Only a plain path on this site: no scheme, host, backslash or control character."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
        or urlsplit(target).scheme
        or urlsplit(target).netloc
    ):
        return "/"
    return target


def _blobs() -> BlobStore:
    store: BlobStore = wiring.services().blobs
    return store


def make_reporter_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("reporter", __name__)
    limits = reporter_limits(limiter)
    page_limit, report_limit, report_global = limits.page, limits.report, limits.report_global
    receipt_limit, receipt_global = limits.receipt, limits.receipt_global

    def render_form(
        error: str | None = None, values: dict[str, Any] | None = None, status: int = 200
    ) -> tuple[str, int]:
        return render_template(
            "reporter/report.html",
            categories=routing.categories(db.session()),
            handlers=exclusions.excludable_handlers(db.session()),
            error=error,
            values=values or {},
        ), status

    @bp.get("/")
    @page_limit
    def index() -> str:
        return render_template("reporter/index.html", saved=request.args.get("done") == "1")

    @bp.get("/language/<code>")
    @page_limit
    def language(code: str) -> BaseResponse:
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(safe_local_path(request.args.get("next", "/")))

    @bp.get("/report")
    @page_limit
    def report_form() -> tuple[str, int]:
        return render_form()

    @bp.post("/report")
    @report_global
    @report_limit
    def report_submit() -> tuple[str, int]:
        form = request.form
        values: dict[str, Any] = {name: form.get(name, "") for name in REPORT_FIELDS}
        values["category"] = form.get("category", "")
        values["external_only"] = form.get("external_only") == "1"
        values["involves_executive"] = form.get("involves_executive") == "1"
        try:
            excluded = tuple(int(v) for v in form.getlist("exclude"))
        except ValueError:
            excluded = ()
        values["exclude"] = excluded
        uploads, upload_errors = finished_uploads()
        if upload_errors:
            return render_form(error_text(upload_errors[0]), values, status_of(upload_errors[0]))
        fields = {k: v for k, v in values.items() if k in REPORT_FIELDS}
        try:
            result = intake.submit(
                db.session(),
                service_context(),
                intake.IntakeRequest(
                    category=values["category"],
                    channel=Channel.WEB,
                    language=str(session.get("lang") or "en"),
                    fields=fields,
                    external_only=values["external_only"],
                    excluded_handler_ids=excluded,
                    attachments=tuple(uploads),
                    involves_executive=values["involves_executive"],
                ),
                _blobs(),
            )
        except ServiceError as error:
            return render_form(error_text(error), values, status_of(error))
        return render_template(
            "reporter/receipt.html",
            receipt=result.receipt,
            case_id=result.case_id,
            acknowledge_by=result.acknowledge_by,
        ), 201

    @bp.post("/receipt/saved")
    @page_limit
    def receipt_saved() -> BaseResponse:
        if request.form.get("saved") != "1":
            return redirect(url_for("reporter.index"))
        return redirect(url_for("reporter.index", done="1"))

    def render_case(
        receipt: str, error: str | None = None, notice: str | None = None, status: int = 200
    ) -> tuple[str, int]:
        case = guarded(lambda: followup.open_case(db.session(), service_context(), receipt))
        return render_template(
            "reporter/case.html",
            case=case,
            receipt=receipt,
            error=error,
            notice=notice,
        ), status

    @bp.get("/followup")
    @page_limit
    def followup_form() -> str:
        return render_template("reporter/followup.html", error=None)

    @bp.post("/followup")
    @receipt_global
    @receipt_limit
    def followup_open() -> tuple[str, int]:
        receipt = request.form.get("receipt", "")
        try:
            return render_case(receipt)
        except ServiceError as error:
            return render_template("reporter/followup.html", error=error_text(error)), status_of(
                error
            )

    @bp.post("/followup/reply")
    @receipt_global
    @receipt_limit
    def followup_reply() -> tuple[str, int]:
        receipt = request.form.get("receipt", "")
        uploads, upload_errors = finished_uploads()
        try:
            if upload_errors:
                return render_case(
                    receipt, error=error_text(upload_errors[0]), status=status_of(upload_errors[0])
                )
            guarded(
                lambda: followup.add_message(
                    db.session(),
                    service_context(),
                    receipt,
                    request.form.get("body", ""),
                    tuple(uploads),
                    _blobs(),
                )
            )
            return render_case(receipt, notice=_("Your message was sent."))
        except ServiceError as error:
            if error.code in ("invalid_receipt", "receipt_not_found", "too_many_attempts"):
                return render_template(
                    "reporter/followup.html", error=error_text(error)
                ), status_of(error)
            return render_case(receipt, error=error_text(error), status=status_of(error))

    @bp.post("/followup/files/<attachment_id>")
    @receipt_global
    @receipt_limit
    def followup_file(attachment_id: str) -> Response | tuple[str, int]:
        receipt = request.form.get("receipt", "")
        try:
            attachment_id = path_id(attachment_id, "attachment", ATTACHMENT_ID_MAX)
            # The service checks the whole file (every block and the FINAL tag) before it
            # hands out the stream: a damaged file is an error page, never partial content.
            view, plain = guarded(
                lambda: followup.attachment_plaintext(
                    db.session(), service_context(), _blobs(), receipt, attachment_id
                )
            )
        except ServiceError as error:
            return render_template("reporter/followup.html", error=error_text(error)), status_of(
                error
            )
        safe_name = "".join(ch for ch in view.name if ch.isalnum() or ch in "._- ") or "file"
        return Response(
            stream_with_context(plain.chunks),
            mimetype="application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="{safe_name}"',
                "Content-Length": str(plain.length),
            },
        )

    return bp
