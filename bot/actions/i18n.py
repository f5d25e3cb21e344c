"""Bot messages that are built in code (the form questions are responses in domain.yml).

A message may have a channel-specific variant, keyed "en@sms" / "ja@sms": over SMS the bot
never speaks of "this chat".
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

MESSAGES: Dict[str, Dict[str, str]] = {
    "greet": {
        "en": "Hello. This is the speak-up hotline chat. You do not have to give your name. "
              "Tell me what happened, say \"check my report\", or ask a question (who reads "
              "it, is it anonymous, deadlines).",
        "en@sms": "Hello. This is the speak-up hotline. You do not have to give your name. "
                  "Tell me what happened, text \"check my report\", or ask a question.",
        "ja": "こんにちは。こちらは内部通報窓口のチャットです。名前を伝える必要はありません。"
              "何があったかをそのまま書くか、「通報の状況を確認したい」、または質問（誰が読むのか、"
              "匿名か、期限など）をどうぞ。",
        "ja@sms": "こんにちは。内部通報窓口です。名前を伝える必要はありません。何があったかを"
                  "そのまま送るか、「通報の状況を確認したい」、または質問をどうぞ。",
    },
    "menu": {
        "en": "I can take a report (just tell me what happened), check an earlier report with "
              "its receipt (\"check my report\"), or answer questions such as \"is it "
              "anonymous?\".",
        "ja": "通報の受付（何があったかをそのまま書いてください）、受付番号での状況確認"
              "（「通報の状況を確認したい」）、「匿名ですか」などの質問にお答えできます。",
    },
    "noted_story": {
        "en": "Thank you for telling me. I have noted this as what happened:\n\"{text}\"\n"
              "I will ask a few short questions; you can correct anything before it is sent.",
        "ja": "お話しいただきありがとうございます。「何があったか」として次の内容を記録しました。"
              "\n「{text}」\nいくつか短い質問をします。送信前にどこでも訂正できます。",
    },
    "guess_category": {
        "en": "This sounds like: {label}. Is that right? Answer \"yes\", or pick a number:\n{menu}",
        "ja": "内容は「{label}」に当たると思われます。よろしいですか？「はい」か、番号で"
              "選んでください。\n{menu}",
    },
    "ask_category": {
        "en": "What is it about? Answer with a number.\n{menu}\n(Say \"cancel\" at any time to "
              "stop.)",
        "ja": "どのような内容ですか？番号で答えてください。\n{menu}\n（いつでも「キャンセル」で"
              "中止できます）",
    },
    "summary_title": {"en": "Here is your report:", "ja": "通報内容の確認です："},
    "field_category": {"en": "Category", "ja": "種類"},
    "field_what_happened": {"en": "What happened", "ja": "何があったか"},
    "field_when": {"en": "When", "ja": "いつ"},
    "field_where": {"en": "Where", "ja": "どこで"},
    "field_who": {"en": "Who is involved", "ja": "関係者"},
    "field_how_known": {"en": "How you know", "ja": "知った経緯"},
    "field_external_only": {"en": "Sent to", "ja": "送り先"},
    "route_external": {"en": "external ombudsperson only", "ja": "社外窓口（外部弁護士）のみ"},
    "route_internal": {"en": "the responsible internal desk", "ja": "社内の担当窓口"},
    "unknown": {"en": "(not given)", "ja": "（未回答）"},
    "ask_confirm": {
        "en": "Your answers will be sent to the handlers as an encrypted written record of "
              "this chat. Shall I send this report? Answer \"yes\" to send it, \"no\" to "
              "discard it, or \"change\" to correct something.",
        "en@sms": "Your answers will be sent to the handlers as an encrypted written record. "
                  "Shall I send this report? Reply YES to send it, NO to discard it, or CHANGE "
                  "to correct something.",
        "ja": "回答はこのチャットの暗号化された記録として担当者に送られます。この内容で送信"
              "しますか？送信は「はい」、破棄は「いいえ」、訂正は「変更」と答えてください。",
        "ja@sms": "回答は暗号化された記録として担当者に送られます。この内容で送信しますか？"
                  "送信は「はい」、破棄は「いいえ」、訂正は「変更」と返信してください。",
    },
    "confirm_unclear": {
        "en": "I will only send the report on a clear yes. Please answer \"yes\" to send it, "
              "\"no\" to discard it, or \"change\" to correct something (for example "
              "\"change when\").",
        "ja": "はっきりしたお返事がない限り送信しません。送信は「はい」、破棄は「いいえ」、"
              "訂正は「変更」（例：「日付を直したい」）と答えてください。",
    },
    "which_field": {
        "en": "What would you like to change? Answer with one of: what happened, category, "
              "when, where, who, how you know, recipient.",
        "ja": "どこを変更しますか？次のいずれかで答えてください：何があったか、種類、いつ、"
              "どこで、関係者、知った経緯、送り先。",
    },
    "will_change": {
        "en": "All right, let's change \"{field}\".",
        "ja": "「{field}」を変更します。",
    },
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
    "discarded": {
        "en": "All right. Nothing was sent, and everything you typed has been discarded.",
        "ja": "わかりました。何も送信していません。入力された内容はすべて破棄しました。",
    },
    "nothing_to_cancel": {
        "en": "All right, nothing has been sent. You can start again whenever you like.",
        "ja": "わかりました。何も送信していません。いつでも改めてどうぞ。",
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
              "digit. Please check it and type it again (or \"cancel\").",
        "ja": "受付番号が正しくないようです。16桁で、最後の1桁は確認用の数字です。もう一度"
              "確認して入力してください（中止は「キャンセル」）。",
    },
    "not_found": {
        "en": "No report matches this receipt. Please check the 16 digits and type it again "
              "(or \"cancel\").",
        "ja": "この受付番号に該当する通報はありません。16桁をご確認のうえ、もう一度入力して"
              "ください（中止は「キャンセル」）。",
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
    "you_reported": {"en": "You reported ({category}): {body}",
                     "ja": "あなたの通報（{category}）：{body}"},
    "no_replies": {"en": "There are no replies from the handler yet.",
                   "ja": "担当者からの返信はまだありません。"},
    "handler_said": {"en": "Handler ({date}): {body}", "ja": "担当者（{date}）：{body}"},
    "you_said": {"en": "You ({date}): {body}", "ja": "あなた（{date}）：{body}"},
    "reply_sent": {"en": "Your message was sent to the handler.",
                   "ja": "担当者にメッセージを送りました。"},
    "reply_failed": {"en": "Sorry, your message could not be sent. Please try again later.",
                     "ja": "申し訳ありません。送信できませんでした。後でもう一度お試しください。"},
    "no_reply_wanted": {"en": "All right. You can check again with your receipt at any time.",
                        "ja": "承知しました。受付番号でいつでも確認できます。"},
    "rephrase": {
        "en": "Sorry, I did not understand that. You can tell me what happened, say \"check my "
              "report\", or ask a question.",
        "ja": "すみません、よくわかりませんでした。何があったかをそのまま書くか、「通報の状況を"
              "確認したい」、または質問をどうぞ。",
    },
    "handoff": {
        "en": "Sorry I could not help. You can also use the web form (/report); it encrypts "
              "your report in your browser. Or simply tell me what happened.",
        "en@sms": "Sorry I could not help. You can also use the web form at /report. Or simply "
                  "tell me what happened.",
        "ja": "うまくお手伝いできずすみません。ウェブの通報フォーム（/report）もご利用いただけ"
              "ます。ブラウザ内で暗号化して送信できます。何があったかをそのまま書いていただいても"
              "構いません。",
        "ja@sms": "うまくお手伝いできずすみません。ウェブの通報フォーム（/report）もご利用いただけ"
                  "ます。何があったかをそのまま送っていただいても構いません。",
    },
    "faq_who_reads": {
        "en": "Your report is encrypted so that only the handlers of the responsible desk can "
              "read it (compliance office, harassment consultation desk, audit committee or "
              "data protection office). You can send it only to the external ombudsperson "
              "instead. Administrators cannot read it.",
        "ja": "通報は、内容に応じた担当窓口（コンプライアンス室、ハラスメント相談窓口、監査委員会、"
              "個人情報保護管理室）の担当者だけが読めるよう暗号化されます。社外窓口（外部弁護士）"
              "だけに届けることもできます。システム管理者は読めません。",
    },
    "faq_anonymous": {
        "en": "Yes. We do not ask for your name and store no IP address, device details or "
              "exact time. This chat conversation is deleted as soon as your report is sent.",
        "en@sms": "Yes. We do not ask for your name, and your phone number is never stored. "
                  "This conversation is deleted from the assistant as soon as your report is "
                  "sent.",
        "ja": "はい。名前は聞きません。IPアドレスや端末の情報、正確な時刻は保存しません。"
              "このチャットの会話は、通報の送信後すぐに消去されます。",
        "ja@sms": "はい。名前は聞かず、電話番号も保存しません。このやり取りは、通報の送信後"
                  "すぐにアシスタントから消去されます。",
    },
    "faq_deadlines": {
        "en": "We confirm receipt within 7 days, and tell you what we have done within 3 "
              "months of that. You can check progress with your receipt.",
        "ja": "7日以内に受付を確認し、その後3か月以内に対応状況をお知らせします。受付番号で"
              "状況を確認できます。",
    },
    "faq_channels": {
        "en": "Besides this chat, you can use the web form (/report), or a text message (SMS) "
              "line where your company has set one up.",
        "en@sms": "Besides this text line, you can use the web form (/report) on the "
                  "hotline's website.",
        "ja": "このチャットのほか、ウェブの通報フォーム（/report）や、会社が用意している場合は"
              "SMS（ショートメッセージ）でも通報できます。",
        "ja@sms": "このSMSのほか、ウェブの通報フォーム（/report）でも通報できます。",
    },
    "faq_back": {
        "en": "Now, back to your report.",
        "ja": "では、通報の続きです。",
    },
    "goodbye": {"en": "Thank you for getting in touch.", "ja": "ご連絡ありがとうございました。"},
    "welcome": {"en": "You're welcome. Is there anything else?",
                "ja": "どういたしまして。ほかにご用件はありますか？"},
}

STATUS = {
    "received": {"en": "received", "ja": "受付"},
    "acknowledged": {"en": "acknowledged", "ja": "受付確認済み"},
    "assessing": {"en": "being assessed", "ja": "検討中"},
    "investigating": {"en": "under investigation", "ja": "調査中"},
    "closed": {"en": "closed", "ja": "対応終了"},
}


def detect_language(text: str) -> Optional[str]:
    """The language a message is clearly written in, else None.
    A word or two of English ("OK", "CEO") in Japanese does not switch."""
    if text and (_KANA.search(text) or len(_KANJI.findall(text)) >= 2):
        return "ja"
    if text and len(_LATIN_WORD.findall(text)) >= 3:
        return "en"
    return None


def page_language(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    if metadata and metadata.get("language") in ("en", "ja"):
        return str(metadata["language"])
    return None


def language_of(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in ("en", "ja") else "en"


def channel_of(tracker: Tracker) -> str:
    """The channel the conversation came in by (Flask's /sms view says so in metadata)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if metadata.get("channel") == "sms" or tracker.get_slot("channel") == "sms":
        return "sms"
    return "chat"


def say(tracker: Tracker, key: str, **values: Any) -> str:
    texts = MESSAGES[key]
    language = language_of(tracker)
    text = texts.get(f"{language}@{channel_of(tracker)}") or texts[language]
    return text.format(**values)
