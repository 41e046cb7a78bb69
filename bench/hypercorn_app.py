"""hypercorn_app.py: app.py for Hypercorn 0.13, which serves ASGI only: its own
WSGI adapter runs the app in a thread pool (and buffers each response whole,
as that adapter does).  Kept apart so no other stack imports Hypercorn."""
from hypercorn.middleware import AsyncioWSGIMiddleware

from app import app as wsgi_app

# The adapter refuses bodies over its limit with 400; the bench posts 64 KiB.
app = AsyncioWSGIMiddleware(wsgi_app, max_body_size=1024 * 1024)
