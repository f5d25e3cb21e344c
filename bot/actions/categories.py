"""The numbered category menu the bot offers, matched by number or keyword."""

from __future__ import annotations

import unicodedata
from typing import Dict, List, Optional, Tuple

CATEGORIES: List[Tuple[str, Dict[str, str], Tuple[str, ...]]] = [
    ("fraud_accounting", {"en": "Fraud or accounting irregularities", "ja": "不正・会計上の問題"},
     ("fraud", "accounting", "embezzle", "不正", "会計", "横領", "経理")),
    ("bribery_corruption", {"en": "Bribery or corruption", "ja": "贈収賄・汚職"},
     ("brib", "corrupt", "kickback", "賄賂", "汚職", "贈収賄")),
    ("harassment", {"en": "Harassment or bullying", "ja": "ハラスメント・いじめ"},
     ("harass", "bully", "ハラスメント", "パワハラ", "セクハラ", "いじめ")),
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


def match(text: str) -> Optional[str]:
    cleaned = unicodedata.normalize("NFKC", text or "").strip().lower().rstrip(".。")
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(CATEGORIES):
        return CATEGORIES[int(cleaned) - 1][0]
    for slug, labels, keywords in CATEGORIES:
        if cleaned in (labels["en"].lower(), labels["ja"]) or any(k in cleaned for k in keywords):
            return slug
    return None


def label(slug: str, language: str) -> str:
    for candidate, labels, _ in CATEGORIES:
        if candidate == slug:
            return labels.get(language, labels["en"])
    return slug
