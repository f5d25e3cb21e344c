"""The only place where keys are made or used. Pure functions over PyNaCl and cryptography."""
