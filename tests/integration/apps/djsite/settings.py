"""Minimal Django settings for tandem's integration tests."""
SECRET_KEY = "tandem-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "djsite.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
