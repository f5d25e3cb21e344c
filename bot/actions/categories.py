"""The numbered category menu the bot offers, matched by number or keyword, and a guess
from the person's own story (always put to them for confirmation)."""

from __future__ import annotations

import unicodedata
from typing import Dict, List, Optional, Tuple

CATEGORIES: List[Tuple[str, Dict[str, str], Tuple[str, ...]]] = [
    ("fraud_accounting", {"en": "Fraud or accounting irregularities", "ja": "不正・会計上の問題"},
     ("fraud", "accounting", "embezzl", "不正", "会計", "横領", "経理")),
    ("bribery_corruption", {"en": "Bribery or corruption", "ja": "贈収賄・汚職"},
     ("brib", "corrupt", "kickback", "賄賂", "汚職", "贈収賄", "わいろ", "ワイロ")),
    ("harassment", {"en": "Harassment or bullying", "ja": "ハラスメント・いじめ"},
     ("harass", "bully", "ハラスメント", "パワハラ", "セクハラ", "いじめ", "モラハラ")),
    ("discrimination", {"en": "Discrimination", "ja": "差別"}, ("discriminat", "差別")),
    ("personal_information", {"en": "Personal information incident",
                              "ja": "個人情報の漏えい・不適切な取扱い"},
     ("personal", "privacy", "data leak", "個人情報", "漏えい", "漏洩")),
    ("safety_environment", {"en": "Health, safety or environment", "ja": "安全衛生・環境"},
     ("safety", "environment", "pollution", "安全", "環境", "事故")),
    ("executive_misconduct", {"en": "Misconduct by an executive", "ja": "役員による不正"},
     ("executive", "director", "board", "ceo", "役員", "社長", "取締役")),
    ("other", {"en": "Something else", "ja": "その他"}, ("other", "something else", "その他")),
]

# Words in a story that suggest a category (the person confirms or picks another).
_HINTS: List[Tuple[str, Tuple[str, ...]]] = [
    ("bribery_corruption", ("brib", "kickback", "kick-back", "backhander", "corrupt",
                            "under the table", "envelope of cash", "paid off", "payoff",
                            "賄賂", "わいろ", "ワイロ", "贈賄", "収賄", "汚職", "キックバック",
                            "裏金", "見返り", "接待")),
    ("harassment", ("harass", "bully", "bullie", "yell", "shout", "scream", "insult",
                    "humiliat", "intimidat", "groped", "grope", "touch", "sexual", "threaten",
                    "ハラスメント", "パワハラ", "セクハラ", "モラハラ", "いじめ", "怒鳴", "罵倒",
                    "暴言", "嫌がらせ", "触ら", "威圧", "無視され", "殴", "どなら", "どなっ",
                    "どなる")),
    ("discrimination", ("discriminat", "racis", "sexis", "because i'm a woman",
                        "because she is a woman", "pregnan", "差別", "妊娠", "外国人だから",
                        "女性だから", "国籍")),
    ("personal_information", ("personal data", "personal information", "customer data",
                              "customer list", "data leak", "privacy", "leaked", "gdpr",
                              "個人情報", "顧客情報", "顧客データ", "名簿", "漏えい", "漏洩",
                              "情報を持ち出", "マイナンバー", "顧客リスト")),
    ("safety_environment", ("safety", "unsafe", "injur", "accident", "fire exit", "chemical",
                            "toxic", "pollut", "dump", "brake", "helmet", "environment",
                            "安全", "事故", "怪我", "けが", "ケガ", "化学", "有害", "不法投棄",
                            "排水", "汚染", "危険", "ブレーキ", "非常口", "廃液", "廃棄物")),
    ("fraud_accounting", ("fraud", "embezzl", "steal", "stole", "stolen", "theft",
                          "expense", "invoice", "accounting", "books", "falsif", "fake",
                          "inflat", "overtime record", "cash", "money", "不正", "横領",
                          "着服", "経費", "請求書", "改ざん", "改竄", "粉飾", "水増し", "架空",
                          "会計", "経理", "盗", "お金", "現金")),
]
_EXECUTIVE = ("ceo", "cfo", "coo", "executive", "board member", "the director",
              "managing director", "president", "vice president", "社長", "役員", "取締役",
              "専務", "常務", "副社長", "会長")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower().rstrip(".。!！")


def match(text: str) -> Optional[str]:
    """The category an answer to the category question names (number, label or keyword)."""
    cleaned = _clean(text)
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(CATEGORIES):
        return CATEGORIES[int(cleaned) - 1][0]
    for slug, labels, keywords in CATEGORIES:
        if cleaned in (labels["en"].lower(), labels["ja"]) or any(k in cleaned for k in keywords):
            return slug
    return None


def guess(text: str) -> Optional[str]:
    """A suggestion from a free-text story, or None when nothing stands out."""
    cleaned = " " + _clean(text) + " "
    if any(word in cleaned for word in _EXECUTIVE):
        for slug, hints in _HINTS[:1]:  # bribery by an executive is still bribery
            if any(h in cleaned for h in hints):
                return slug
        return "executive_misconduct"
    for slug, hints in _HINTS:
        if any(h in cleaned for h in hints):
            return slug
    return None


def label(slug: str, language: str) -> str:
    for candidate, labels, _ in CATEGORIES:
        if candidate == slug:
            return labels.get(language, labels["en"])
    return slug


def menu(language: str) -> str:
    return "\n".join(f"{n} {labels.get(language, labels['en'])}"
                     for n, (_, labels, _) in enumerate(CATEGORIES, start=1))
