"""starlette_app.py: an ordinary Starlette app (Debian's python3-starlette),
unmodified for tandem's asgi worker."""
import contextlib

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute


async def index(request):
    return PlainTextResponse("starlette says hi")


async def echo_json(request):
    data = await request.json()
    return JSONResponse({"got": data, "method": request.method, "scheme": request.url.scheme,
                         "state": getattr(request.state, "greeting", None)})


async def stream(request):
    n = int(request.query_params.get("n", "3"))

    async def chunks():
        for i in range(n):
            yield b"chunk %d\n" % i

    return StreamingResponse(chunks(), media_type="text/plain")


async def ws_echo(websocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text("starlette: " + text)


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"greeting": "hello from lifespan"}


app = Starlette(routes=[Route("/", index), Route("/json", echo_json, methods=["POST"]),
                        Route("/stream", stream), WebSocketRoute("/ws", ws_echo)],
                lifespan=lifespan)
