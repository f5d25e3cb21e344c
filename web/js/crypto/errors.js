// The browser twin of crypto/errors.py.

/** Something could not be encrypted, decrypted or parsed. */
export class CryptoError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'CryptoError';
  }
}

/** A ciphertext did not open: wrong key, tampered data or wrong purpose. */
export class DecryptionError extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** A receipt code is malformed or its check digit is wrong. */
export class InvalidReceipt extends CryptoError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InvalidReceipt';
  }
}
