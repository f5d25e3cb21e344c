"""Typed failures of the crypto layer. Callers map them to messages at the edge."""


class CryptoError(Exception):
    """Base class: something could not be encrypted, decrypted or parsed."""


class DecryptionError(CryptoError):
    """A ciphertext did not open: wrong key, tampered data or wrong purpose."""


class InvalidReceipt(CryptoError):
    """A receipt code is malformed or its check digit is wrong."""
