"""Entry point for gunicorn and `flask --app wsgi`."""

from hotline import create_app

app = create_app()
