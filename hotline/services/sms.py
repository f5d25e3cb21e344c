"""The SMS line: one inbound text in, the replies out. No phone number leaves this module.

The number becomes a keyed pseudonym at once. Keywords (STOP, START, HELP, STATUS, REPLY)
are handled here through the same follow-up services as every channel; anything else is a
conversation with the bot under a session id that expires, or, if the bot does not answer,
with the small built-in conversation below. Every report goes through the one intake path.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.kv import ExpiringStore
from hotline.models import Channel, SmsOptOut
from hotline.services import followup, intake, sms_records
from hotline.services.context import ServiceContext
from hotline.services.errors import ServiceError
from hotline.services.sms_drafts import DraftStore
from hotline.services.throttle import Throttled
from integrations.rasa import BotUnavailable, RasaGateway

log = logging.getLogger("hotline.sms")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
CATEGORIES = [
    "fraud_accounting",
    "bribery_corruption",
    "harassment",
    "discrimination",
    "personal_information",
    "safety_environment",
    "executive_misconduct",
    "other",
]

TEXT = {
    "intro": {
        "en": "Speak-up hotline: anonymous, your number is never stored. A report is filed only "
        "when you receive a receipt. Text HELP for help.",
        "ja": "内部通報窓口です。匿名で、電話番号は保存されません。受付番号が届いた時点で通報が"
        "受け付けられます。HELPで使い方を表示します。",
    },
    "help": {
        "en": "Speak-up hotline. Text what happened to make an anonymous report; you get a "
        "receipt. STATUS <receipt> shows the status and latest reply. REPLY <receipt> "
        "<text> answers the handler. STOP ends messages. Your number is never stored.",
        "ja": "内部通報窓口です。内容を送ると匿名で通報でき、受付番号が届きます。「STATUS "
        "受付番号」で状況と最新の回答、「REPLY 受付番号 本文」で担当者へ返信。STOPで"
        "配信停止。電話番号は保存されません。",
    },
    "stopped": {
        "en": "You will get no more messages from this line. Text START to resume.",
        "ja": "このラインからの送信を停止しました。再開するにはSTARTと送ってください。",
    },
    "started": {
        "en": "Messages resumed. Text HELP for help.",
        "ja": "送信を再開しました。HELPで使い方を表示します。",
    },
    "fallback_intro": {
        "en": "Our assistant is unavailable, so I will take your report directly. Nothing is "
        "filed until you receive a receipt. What happened? (CANCEL to stop)",
        "ja": "アシスタントが利用できないため、こちらで直接お受けします。受付番号が届くまで"
        "通報は受け付けられません。何がありましたか？（CANCELで中止）",
    },
    "fallback_category": {
        "en": "Which category? Reply with a number: 1 fraud/accounting 2 bribery 3 harassment "
        "4 discrimination 5 personal data 6 safety/environment 7 executive 8 other",
        "ja": "種類を番号で返信してください：1 不正・会計 2 贈収賄 3 ハラスメント 4 差別 "
        "5 個人情報 6 安全・環境 7 役員 8 その他",
    },
    "fallback_confirm": {
        "en": "Send this report now? YES or NO.",
        "ja": "この内容で送信しますか？YESかNOで。",
    },
    "fallback_number": {
        "en": "Please reply with a number from 1 to 8.",
        "ja": "1から8の番号で返信してください。",
    },
    "fallback_yes_no": {"en": "Please reply YES or NO.", "ja": "YESかNOで返信してください。"},
    "discarded": {
        "en": "Nothing was sent; your text was discarded.",
        "ja": "送信していません。入力内容は破棄しました。",
    },
    "receipt": {
        "en": "Report filed. Your receipt: {receipt} Keep it private and safe: it is the only "
        "way back. We confirm receipt by {ack}. Text STATUS {receipt} later.",
        "ja": "通報を受け付けました。受付番号：{receipt} 他人に知られないよう保管してください。"
        "{ack}までに受付を確認します。後日「STATUS 受付番号」で確認できます。",
    },
    "failed": {
        "en": "Sorry, the report could not be filed. Please try again later.",
        "ja": "申し訳ありません。通報を受け付けられませんでした。後でお試しください。",
    },
    "status": {
        "en": "{case}: {status}. Feedback due by {feedback}.",
        "ja": "{case}：{status}。対応状況のお知らせ期限 {feedback}。",
    },
    "latest": {"en": "Latest reply ({date}): {body}", "ja": "最新の回答（{date}）：{body}"},
    "no_reply": {
        "en": "No reply from the handler yet.",
        "ja": "担当者からの回答はまだありません。",
    },
    "long_reply": {
        "en": " (shortened; read it all with your receipt at {url})",
        "ja": "（一部のみ表示。全文は{url}で受付番号を入力して確認できます）",
    },
    "reply_sent": {"en": "Your reply was sent to the handler.", "ja": "担当者に返信を送りました。"},
    "bad_receipt": {
        "en": "That receipt is not valid or matches no report.",
        "ja": "受付番号が正しくないか、該当する通報がありません。",
    },
    "throttled": {
        "en": "Too many attempts. Please wait a few minutes.",
        "ja": "試行回数が多すぎます。数分お待ちください。",
    },
}
STATUS_NAMES = {
    "received": ("received", "受付"),
    "acknowledged": ("acknowledged", "受付確認済み"),
    "assessing": ("being assessed", "検討中"),
    "investigating": ("under investigation", "調査中"),
    "closed": ("closed", "対応終了"),
}
_YES = {"yes", "y", "ok", "はい", "うん"}
_NO = {"no", "n", "いいえ", "いや"}
_CANCEL = {"cancel", "キャンセル", "中止"}
MAX_REPLY_IN_SMS = 300


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    from_number: str
    body: str


@dataclass
class SmsLine:
    ctx: ServiceContext
    store: ExpiringStore
    gateway: RasaGateway
    drafts: DraftStore
    followup_url: str
    session_ttl: int = 1800
    records: sms_records.SmsPolicy = field(default_factory=sms_records.SmsPolicy)
    guard: Callable[[Callable[[], Any]], Any] = lambda attempt: attempt()

    # -- identities ----------------------------------------------------------------------
    def pseudonym(self, number: str) -> bytes:
        return pseudonym_of(self.ctx.keyring.pseudonym_key, number)

    def sender_id(self, pseudonym: bytes) -> tuple[str, bool]:
        """A Rasa sender id for this texter's current conversation (it changes on expiry), and
        whether this message starts a new conversation."""
        slot = "sms-session:" + hashlib.sha256(b"sms-session:" + pseudonym).hexdigest()
        nonce = self.store.get_int(slot)
        new = not nonce
        if new:
            nonce = secrets.randbelow(2**62) + 1
        self.store.set_int(slot, nonce, self.session_ttl)
        sender = hmac.new(
            self.ctx.keyring.pseudonym_key, pseudonym + nonce.to_bytes(8, "big"), hashlib.sha256
        ).hexdigest()[:40]
        return sender, new

    # -- the whole exchange -------------------------------------------------------------
    def handle(
        self, session: Session, message: InboundSms, queue_deletion: bool = False
    ) -> list[str]:
        """The replies to one inbound text. A retry of the same MessageSid within Twilio's
        retry window gets the same replies and nothing is done twice; a replay after it gets
        nothing. `queue_deletion`: the body can be deleted at Twilio (credentials set)."""
        pepper = self.ctx.keyring.pepper
        at = sms_records.now()
        earlier = sms_records.earlier_answer(session, pepper, message.message_sid, at)
        if earlier is not None:
            return earlier
        pseudonym = self.pseudonym(message.from_number)
        replies = self._respond(session, pseudonym, message)
        policy = replace(self.records, deletions_possible=queue_deletion)
        sms_records.record(session, pepper, message.message_sid, replies, at, policy)
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry of the same message won the race
            session.rollback()
            again = sms_records.earlier_answer(session, pepper, message.message_sid, at)
            return again or []
        return replies

    def _respond(self, session: Session, pseudonym: bytes, message: InboundSms) -> list[str]:
        text = unicodedata.normalize("NFKC", message.body).strip()
        lang = "ja" if _JAPANESE.search(text) else "en"
        word, _, rest = text.partition(" ")
        keyword = word.upper()
        opted_out = session.get(SmsOptOut, pseudonym) is not None
        if keyword in ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "停止"):
            if not opted_out:
                session.add(SmsOptOut(pseudonym=pseudonym))
            self.drafts.drop(normalise_number(message.from_number))
            return [TEXT["stopped"][lang]]
        if keyword in ("START", "UNSTOP", "再開"):
            if opted_out:
                session.delete(session.get(SmsOptOut, pseudonym))
            return [TEXT["started"][lang]]
        if opted_out:
            return []
        if keyword in ("HELP", "INFO", "ヘルプ"):
            return [TEXT["help"][lang]]
        if keyword == "STATUS":
            return self._status(session, rest, lang)
        if keyword == "REPLY":
            receipt, _, body = _split_receipt(rest)
            return self._reply(session, receipt, body, lang)
        try:
            sender, new = self.sender_id(pseudonym)
            reply = self.gateway.send(sender, text, lang, metadata={"channel": "sms"})
            self.drafts.drop(normalise_number(message.from_number))
            # Told up front, whatever the bot says first: only a receipt means it is filed.
            return [TEXT["intro"][lang], *reply.texts] if new else reply.texts
        except BotUnavailable:
            log.warning("sms.bot_unavailable")
            return self._builtin(session, message, text, lang)

    # -- keyword commands ---------------------------------------------------------------
    def _status(self, session: Session, receipt: str, lang: str) -> list[str]:
        try:
            case = self.guard(lambda: followup.open_case(session, self.ctx, receipt))
        except ServiceError as error:
            return [TEXT["throttled" if isinstance(error, Throttled) else "bad_receipt"][lang]]
        names = STATUS_NAMES.get(case.status, (case.status, case.status))
        out = [
            TEXT["status"][lang].format(
                case=case.case_id,
                status=names[0 if lang == "en" else 1],
                feedback=case.feedback_by.isoformat(),
            )
        ]
        replies = [m for m in case.messages if m.author == "handler" and m.readable]
        if not replies:
            out.append(TEXT["no_reply"][lang])
        else:
            body = replies[-1].body
            if len(body) > MAX_REPLY_IN_SMS:
                body = (
                    body[:MAX_REPLY_IN_SMS]
                    + "…"
                    + TEXT["long_reply"][lang].format(url=self.followup_url)
                )
            out.append(TEXT["latest"][lang].format(date=replies[-1].sent_on.isoformat(), body=body))
        return out

    def _reply(self, session: Session, receipt: str, body: str, lang: str) -> list[str]:
        try:
            self.guard(lambda: followup.add_message(session, self.ctx, receipt, body))
        except ServiceError as error:
            if isinstance(error, Throttled):
                return [TEXT["throttled"][lang]]
            if error.code in ("invalid_receipt", "receipt_not_found"):
                return [TEXT["bad_receipt"][lang]]
            return [TEXT["failed"][lang]]
        return [TEXT["reply_sent"][lang]]

    # -- the built-in conversation ------------------------------------------------------
    def _builtin(self, session: Session, message: InboundSms, text: str, lang: str) -> list[str]:
        number = normalise_number(message.from_number)
        draft = self.drafts.get(number)
        if draft is None:
            self.drafts.put(number, {"step": "what", "lang": lang, "key": secrets.token_hex(24)})
            return [TEXT["fallback_intro"][lang]]
        lang = str(draft.get("lang", lang))
        if text.lower() in _CANCEL:
            self.drafts.drop(number)
            return [TEXT["discarded"][lang]]
        step = draft["step"]
        if step == "what":
            draft.update(step="category", what=text)
            self.drafts.put(number, draft)
            return [TEXT["fallback_category"][lang]]
        if step == "category":
            if not (text.isdigit() and 1 <= int(text) <= len(CATEGORIES)):
                return [TEXT["fallback_number"][lang]]
            draft.update(step="confirm", category=CATEGORIES[int(text) - 1])
            self.drafts.put(number, draft)
            return [TEXT["fallback_confirm"][lang]]
        answer = text.lower()
        if answer in _NO:
            self.drafts.drop(number)
            return [TEXT["discarded"][lang]]
        if answer not in _YES:
            return [TEXT["fallback_yes_no"][lang]]
        try:
            result = intake.submit(
                session,
                self.ctx,
                intake.IntakeRequest(
                    category=str(draft["category"]),
                    channel=Channel.SMS,
                    language=lang,
                    fields={"what_happened": str(draft["what"])},
                    idempotency_key=str(draft["key"]),
                ),
            )
        except ServiceError:
            return [TEXT["failed"][lang]]
        self.drafts.drop(number)
        return [
            TEXT["receipt"][lang].format(
                receipt=result.receipt, ack=result.acknowledge_by.isoformat()
            )
        ]


def normalise_number(number: str) -> str:
    """E.164-ish: keep a leading + and the digits, so formatting never splits one texter."""
    cleaned = unicodedata.normalize("NFKC", number or "").strip()
    digits = re.sub(r"\D", "", cleaned)
    return ("+" if cleaned.startswith("+") else "") + digits


def pseudonym_of(key: bytes, number: str) -> bytes:
    return hmac.new(key, b"sms:" + normalise_number(number).encode(), hashlib.sha256).digest()


def _split_receipt(rest: str) -> tuple[str, str, str]:
    """'1234 5678 9012 3456 thanks' -> receipt digits (with their separators) and the text."""
    match = re.match(r"^([\d\s\-]{16,40}?\d)(?:\s+(.*))?$", rest.strip(), re.S)
    if not match:
        return rest, "", ""
    return match.group(1), " ", (match.group(2) or "")


__all__ = ["DraftStore", "InboundSms", "SmsLine", "normalise_number", "pseudonym_of"]
