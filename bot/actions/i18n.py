"""Bot messages that are built in code (the rest are responses in domain.yml)."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_KANA_KANJI = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")

MESSAGES: Dict[str, Dict[str, str]] = {
    "summary_title": {"en": "Here is your report:", "ja": "通報内容の確認です："},
    "field_category": {"en": "Category", "ja": "種類"},
    "field_what_happened": {"en": "What happened", "ja": "何があったか"},
    "field_when": {"en": "When", "ja": "いつ"},
    "field_where": {"en": "Where", "ja": "どこで"},
    "field_who": {"en": "Who is involved", "ja": "関係者"},
    "field_how_known": {"en": "How you know", "ja": "知った経緯"},
    "field_route": {"en": "Sent to", "ja": "送り先"},
    "route_external": {"en": "external ombudsperson only", "ja": "社外窓口（外部弁護士）のみ"},
    "route_internal": {"en": "the responsible internal desk", "ja": "社内の担当窓口"},
    "unknown": {"en": "(not given)", "ja": "（未回答）"},
    "receipt": {
        "en": "Your report has been sent. Your receipt is:\n\n{receipt}\n\nWrite it down now: "
              "it is shown only once, we do not keep it, and it is the only way back to your "
              "report. We will confirm receipt by {ack}.",
        "ja": "通報を送信しました。受付番号は次のとおりです。\n\n{receipt}\n\n今すぐ書き留めて"
              "ください。一度しか表示されず、窓口側でも保管していません。{ack}までに受付を"
              "確認します。",
    },
    "submit_failed": {
        "en": "Sorry, the report could not be sent right now, and nothing was filed. Please "
              "try again in a moment, or use the web form (/report).",
        "ja": "申し訳ありません。現在送信できず、通報は受け付けられていません。少し待って"
              "からもう一度お試しいただくか、ウェブフォーム（/report）をご利用ください。",
    },
    "bad_category": {
        "en": "Please answer with a number from 1 to 8.",
        "ja": "1から8の番号で答えてください。",
    },
    "too_short": {
        "en": "Please describe it in a little more detail (at least a sentence).",
        "ja": "もう少し詳しく書いてください（一文以上）。",
    },
    "too_long": {
        "en": "That is too long for one message. Please shorten it, or use the web form.",
        "ja": "1回のメッセージとしては長すぎます。短くするか、ウェブフォームをご利用ください。",
    },
    "yes_no": {"en": "Please answer yes or no.", "ja": "「はい」か「いいえ」で答えてください。"},
    "bad_receipt": {
        "en": "That receipt does not look right: it has 16 digits and the last one is a check "
              "digit. Please check it and type it again.",
        "ja": "受付番号が正しくないようです。16桁で、最後の1桁は確認用の数字です。もう一度"
              "確認して入力してください。",
    },
    "not_found": {
        "en": "No report matches this receipt. Please check the 16 digits.",
        "ja": "この受付番号に該当する通報はありません。16桁をご確認ください。",
    },
    "throttled": {
        "en": "Too many attempts. Please wait a few minutes and try again.",
        "ja": "試行回数が多すぎます。数分待ってからもう一度お試しください。",
    },
    "status": {
        "en": "Status of {case}: {status}. We confirm receipt by {ack}; feedback is due by "
              "{feedback}.",
        "ja": "{case}の状況：{status}。受付確認の期限は{ack}、対応状況のお知らせの期限は"
              "{feedback}です。",
    },
    "no_replies": {"en": "There are no replies from the handler yet.",
                   "ja": "担当者からの返信はまだありません。"},
    "handler_said": {"en": "Handler ({date}): {body}", "ja": "担当者（{date}）：{body}"},
    "reply_sent": {"en": "Your message was sent to the handler.",
                   "ja": "担当者にメッセージを送りました。"},
    "reply_failed": {"en": "Sorry, your message could not be sent. Please try again later.",
                     "ja": "申し訳ありません。送信できませんでした。後でもう一度お試しください。"},
    "no_consent": {
        "en": "Understood. Without your agreement nothing is sent; everything you typed has "
              "been discarded. You can use the web form (/report) instead.",
        "ja": "承知しました。同意がない場合は送信しません。入力内容はすべて破棄しました。"
              "ウェブフォーム（/report）もご利用いただけます。",
    },
}

STATUS = {
    "received": {"en": "received", "ja": "受付"},
    "acknowledged": {"en": "acknowledged", "ja": "受付確認済み"},
    "assessing": {"en": "being assessed", "ja": "検討中"},
    "investigating": {"en": "under investigation", "ja": "調査中"},
    "closed": {"en": "closed", "ja": "対応終了"},
}


def detect_language(text: str, metadata: Optional[Dict[str, Any]] = None) -> Optional[str]:
    if metadata and metadata.get("language") in ("en", "ja"):
        return str(metadata["language"])
    if text and _KANA_KANJI.search(text):
        return "ja"
    if text and _LATIN_WORD.search(text):
        return "en"
    return None


def language_of(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in ("en", "ja") else "en"


def say(tracker: Tracker, key: str, **values: Any) -> str:
    return MESSAGES[key][language_of(tracker)].format(**values)
