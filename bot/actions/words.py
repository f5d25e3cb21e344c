"""Exact words and small text tests the bot relies on instead of the classifier.

Sending and discarding a report never follow from a classifier's guess: both need one of the
fixed answers below (whole message, after normalising case, width and punctuation).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional, Tuple

_TRIM = " \t\r\n.!?,;:。！？、，…~〜-ー"

# "Shall I send this report?" - only these send it.
SEND = {
    "yes", "y", "yes please", "yes send", "yes send it", "yes, send it", "yes please send",
    "yes please send it", "send", "send it", "please send", "please send it", "send it please",
    "send the report", "yes send the report", "ok send it", "okay send it", "yes go ahead",
    "go ahead", "go ahead and send it", "confirm", "i confirm", "submit", "submit it",
    "はい", "はい送信", "はい送信して", "はい送信してください", "はいお願いします", "送信",
    "送信する", "送信します", "送信して", "送信してください", "送信お願いします",
    "送って", "送ってください", "お願いします", "はい送ってください", "送信で",
}
# Plain yes / no answers elsewhere (the route question, "reply to the handler?").
YES = SEND | {"yeah", "yep", "yup", "ok", "okay", "sure", "correct", "right", "that's right",
              "thats right", "うん", "ええ", "そうです", "はいそうです", "大丈夫です",
              "それで", "それでいい", "それでいいです", "合っています", "あってます", "正しい"}
NO = {"no", "n", "nope", "no thanks", "no thank you", "not now", "いいえ", "いや",
      "いいえ結構です", "結構です", "いえ", "いいえけっこうです", "しない", "しません",
      "違います", "ちがいます", "no need"}
# Exact messages that drop the conversation (a sentence of the report must never do so).
CANCEL = {"cancel", "stop", "abort", "quit", "restart", "start over", "discard",
          "discard it", "delete it", "don't send", "dont send", "do not send",
          "don't send it", "dont send it", "do not send it", "no don't send it",
          "no dont send it", "no, don't send it", "cancel it", "cancel the report",
          "forget it", "never mind", "nevermind", "i changed my mind",
          "i've changed my mind", "ive changed my mind", "no cancel", "no, cancel",
          "キャンセル", "中止", "やめる", "やめます", "取り消し", "取り消す", "やり直し",
          "最初からやり直す", "送信しない", "送信しないで", "送信しないでください",
          "送らないで", "送らないでください", "破棄", "破棄して", "破棄してください",
          "やっぱりやめます", "やっぱりやめる", "やめておきます", "取り消してください",
          "キャンセルします", "キャンセルして", "キャンセルしてください", "いいえキャンセル"}
UNKNOWN = {"don't know", "dont know", "do not know", "not sure", "unknown", "skip", "-",
           "no idea", "i don't know", "i dont know", "pass", "n/a", "na",
           "prefer not to say", "i'd rather not say", "rather not say", "不明", "わからない",
           "わかりません", "分からない", "分かりません", "なし", "スキップ", "答えたくない",
           "言いたくない", "知らない", "覚えていない", "覚えてない", "パス"}
CHANGE = {"change", "change something", "edit", "correct", "fix", "i want to change something",
          "something is wrong", "wrong", "not quite", "変更", "修正", "直したい", "訂正",
          "変更したい", "修正したい", "訂正したい", "間違っています", "違うところがある"}

# Field names people use when correcting the read-back.
FIELD_WORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("how_known", ("how i know", "how you know", "how i found", "how i learned",
                   "how known", "source", "知った経緯", "経緯", "どうやって知った",
                   "知ったきっかけ")),
    ("external_only", ("ombuds", "lawyer", "external", "recipient", "sent to", "send to",
                       "internal", "送り先", "送信先", "宛先", "社外", "弁護士", "社内")),
    ("category", ("category", "type", "種類", "カテゴリ", "分類")),
    ("when", ("date", "when", "time", "day", "month", "year", "日付", "いつ", "日時",
              "時期", "日にち", "年月", "月日")),
    ("where", ("place", "where", "location", "site", "場所", "どこ")),
    ("who", ("who", "person", "people", "name", "involved", "関係者", "誰", "だれ",
             "人物", "名前")),
    ("what_happened", ("what happened", "description", "story", "details", "the text",
                       "何があったか", "内容", "出来事", "説明", "詳細")),
)
_CORRECTION_CUES = ("change", "wrong", "correct", "fix", "edit", "mistake", "incorrect",
                    "not right", "isn't right", "update", "actually", "wait", "typo",
                    "直", "修正", "変更", "訂正", "違", "間違", "ちが", "まちが")

_RECEIPT = re.compile(r"(?<!\d)(\d(?:[\s\-\u2010-\u2015\u2212\u3000\u30fc\uff0d]*\d){15})(?!\d)")
_QUESTION_START = re.compile(
    r"^(who|what|when|where|why|how|is|are|can|could|will|would|do|does|did|should|may)\b")
_JA_QUESTION_END = re.compile(r"(か|かな|の|ですか|ますか|でしょうか)$")
_LATIN = re.compile(r"[A-Za-z]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
# Openings that announce a report without saying anything about it yet.
_GENERIC = re.compile(
    r"^(hi|hello|hey|um+|uh+|so|ok|okay|well|please|i|i'd|i'm|i’m|want|would|like|need|to|"
    r"make|file|a|an|the|report|reporting|something|some|thing|about|concern|complaint|issue|"
    r"problem|new|speak|up|whistle|blow|raise|tell|you|have|there|is|it|this|can|just|"
    r"anonymous|anonymously|hotline|help|me|my|im|wanna|gonna|am|here|for|good|morning|"
    r"evening|afternoon|thanks|thank|bye|goodbye|question|yes|no|okay|hello|hi|on|of|with|"
    r"in|at|and|or|that|what|who|how|do|does|did|will|would|should|could|be|been|was|were|"
    r"get|got|anyone|someone)$")
_JA_GENERIC = re.compile(
    r"(通報|相談|報告|告発|したい|したいです|したいのですが|があります|ことがあります|"
    r"こんにちは|こんばんは|おはようございます|もしもし|はじめまして|ありがとうございます|"
    r"ありがとう|すみません|あの|えっと|お願いします|したいことがあります|内部|です|ます|"
    r"匿名で|について|ちょっと|少し|いいですか|の|が|を|に|で|は|、|。)")


_JA_ABOUT = re.compile(r"(について|のこと|の件)で?(相談|通報|報告|話)")


def norm(text: object) -> str:
    """Lower-case, NFKC, outer punctuation and inner spaces collapsed."""
    cleaned = unicodedata.normalize("NFKC", str(text or "")).lower().strip(_TRIM)
    cleaned = cleaned.replace("’", "'")
    cleaned = re.sub(r"\s+", " ", cleaned)
    return re.sub(r"(?<=[^\x00-\x7f])[\s、,]+|[\s、,]+(?=[^\x00-\x7f])", "", cleaned)


def norm_spaces(text: object) -> str:
    """The person's words as typed, with runs of blank space made single."""
    return re.sub(r"[ \t\u3000]+", " ", str(text or "")).strip()


def _in(text: object, words: set) -> bool:
    cleaned = norm(text)
    return cleaned in words or cleaned.replace(",", "") in words


_FILLER_START = re.compile(r"^((ok|okay|alright|all right|right|well|fine|then|so|um+|uh+|"
                           r"and|ah|oh)[ ,]+)+")
_FILLER_END = re.compile(r"([ ,]+(please|thanks|thank you|now|then))+$")
_JA_FILLER = re.compile(r"^(では|じゃあ|それでは|うーん|えっと|わかりました)")


def is_send(text: object) -> bool:
    """An explicit yes to "Shall I send this report?" (fillers such as "ok, ..." aside);
    never a question ("send?")."""
    if "?" in unicodedata.normalize("NFKC", str(text or "")):
        return False
    if _in(text, SEND):
        return True
    cleaned = _FILLER_END.sub("", _FILLER_START.sub("", norm(text)))
    cleaned = _JA_FILLER.sub("", cleaned)
    return bool(cleaned) and (cleaned in SEND or cleaned.replace(",", "") in SEND)


def yes_no(text: object) -> Optional[bool]:
    if _in(text, YES):
        return True
    if _in(text, NO):
        return False
    return None


def is_cancel(text: object) -> bool:
    return _in(text, CANCEL)


def is_unknown(text: object) -> bool:
    return _in(text, UNKNOWN)


def correction(text: object) -> Optional[str]:
    """The field a read-back correction names ("the place is wrong" -> "where"), "" for a bare
    wish to change something, None when the message is not a correction."""
    cleaned = norm(text)
    if not cleaned:
        return None
    if cleaned in CHANGE:
        return ""
    words = set(_LATIN.findall(cleaned))
    found = []
    for field, keys in FIELD_WORDS:
        for key in keys:
            if (" " in key or _CJK.search(key)) and key in cleaned:
                found.append((cleaned.find(key), field))
                break
            if key in words:
                found.append((cleaned.find(key), field))
                break
    cue = any(c in cleaned for c in _CORRECTION_CUES)
    short = len(cleaned.split()) <= 3 if not _CJK.search(cleaned) else len(cleaned) <= 8
    for field, keys in FIELD_WORDS:
        if cleaned in keys:
            return field  # just the field's name, e.g. after "what would you like to change?"
    if found and (cue or (short and not is_question(text))):
        return sorted(found)[0][1]
    if cue and len(cleaned) <= 40:
        return ""
    return None


def receipt_in(text: object) -> Optional[str]:
    """A 16-digit receipt typed anywhere in the message, separators allowed."""
    match = _RECEIPT.search(unicodedata.normalize("NFKC", str(text or "")))
    return match.group(1) if match else None


def is_question(text: object) -> bool:
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    if raw.endswith("?"):
        return True
    cleaned = norm(raw)
    return bool(_QUESTION_START.match(cleaned) or (_CJK.search(cleaned) and
                                                    _JA_QUESTION_END.search(cleaned)))


_STATUS_CUES = ("status", "update", "news", "check on", "check my", "receipt", "reply",
                "answer", "respond", "already reported", "reported before", "sent a report",
                "filed a report", "my case", "my report", "状況", "返信", "回答", "返事",
                "受付番号", "進捗", "通報した件", "前に通報", "以前通報", "通報済", "前に送った",
                "その後どうなった", "確認したい")


def looks_like_status(text: object) -> bool:
    cleaned = norm(text)
    return any(cue in cleaned for cue in _STATUS_CUES)


def has_substance(text: object, hinted: bool = False) -> bool:
    """Does the message say something about what happened (rather than only announcing that
    the person wants to report)? `hinted`: a category cue was found in it."""
    cleaned = norm(text)
    if _CJK.search(cleaned):
        if _JA_ABOUT.search(cleaned):
            return False  # 「〇〇について相談したい」 announces, it does not tell
        rest = _JA_GENERIC.sub("", cleaned)
        rest = re.sub(r"[\sA-Za-z0-9!?]", "", rest)
        return len(rest) >= 6
    content = [w for w in re.findall(r"[a-z']+", cleaned) if not _GENERIC.match(w)]
    return len(content) >= 3 or (len(content) == 2 and hinted)
