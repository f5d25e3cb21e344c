"""Typed models, one aggregate per file. Importing this package registers every table."""

from hotline.models.attachment import Attachment
from hotline.models.audit import AuditEvent, AuditHead
from hotline.models.base import Base
from hotline.models.blob import BlobChunk, PendingBlob
from hotline.models.cache_version import CacheVersion
from hotline.models.case import Case, CaseStatus, Channel
from hotline.models.desk import Desk, DeskKind
from hotline.models.exclusion import CaseExclusion
from hotline.models.grant import CaseGrant
from hotline.models.handler import Handler
from hotline.models.key_directory import KeyEntry, KeySigningRequest
from hotline.models.message import Author, Message
from hotline.models.note import Note
from hotline.models.pepper import PepperCheck
from hotline.models.routing import Category, category_desks
from hotline.models.sms import SmsDelivery, SmsOptOut, TwilioDeletion

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Author",
    "Base",
    "BlobChunk",
    "CacheVersion",
    "Case",
    "CaseExclusion",
    "CaseGrant",
    "CaseStatus",
    "Category",
    "Channel",
    "Desk",
    "DeskKind",
    "Handler",
    "KeyEntry",
    "KeySigningRequest",
    "Message",
    "Note",
    "PendingBlob",
    "PepperCheck",
    "SmsDelivery",
    "SmsOptOut",
    "TwilioDeletion",
    "category_desks",
]
