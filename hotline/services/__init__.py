"""All business logic. Services take plain arguments and return plain dataclasses."""
