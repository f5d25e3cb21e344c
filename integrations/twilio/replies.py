"""TwiML replies, with long texts split into SMS-sized parts at sentence boundaries.

GSM-7 text fits 153 characters per concatenated segment, anything else (Japanese) 67 in
UCS-2; we keep each message within four segments and number the parts.
"""

from __future__ import annotations

import re

from twilio.twiml.messaging_response import MessagingResponse

_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
_BREAKS = re.compile(r"(?<=[。．！？!?.\n])")
MAX_PARTS = 6


def is_gsm(text: str) -> bool:
    return all(ch in _GSM for ch in text)


def message_limit(text: str) -> int:
    return 4 * 153 if is_gsm(text) else 4 * 67


def split_sms(text: str) -> list[str]:
    limit = message_limit(text) - 8  # room for the "(1/3) " prefix
    parts: list[str] = []
    current = ""
    for sentence in (s for s in _BREAKS.split(text) if s):
        while len(sentence) > limit:  # a sentence longer than a message: hard split
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(current) + len(sentence) > limit:
            parts.append(current)
            current = ""
        current += sentence
    if current.strip():
        parts.append(current)
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) > MAX_PARTS:
        parts = parts[:MAX_PARTS]
    if len(parts) > 1:
        parts = [f"({i}/{len(parts)}) {p}" for i, p in enumerate(parts, 1)]
    return parts


def twiml(texts: list[str]) -> str:
    response = MessagingResponse()
    for text in texts:
        for part in split_sms(text):
            response.message(part)
    return str(response)
