"""ASGI entry point of the Django test site: Django's handler for HTTP and, as
projects without Channels do, a small consumer for the one WebSocket route
(Django itself serves only the http scope)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
django_app = get_asgi_application()


async def websocket_echo(scope, receive, send):
    while True:
        m = await receive()
        if m["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif m["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": "django: " + (m.get("text") or "")})
        else:
            return


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == "/ws":
        return await websocket_echo(scope, receive, send)
    return await django_app(scope, receive, send)
