"""ASGI entry point of the Django test site, as django-admin startproject writes it."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
application = get_asgi_application()
