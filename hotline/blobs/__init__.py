"""Attachment ciphertext: where it is kept (`store`), the upload streams that fill it
(`streams`), and the image cleaner that runs before an image is encrypted (`images`)."""
