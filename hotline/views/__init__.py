"""Blueprints: they parse input, call one service, and render. No business rules here."""
