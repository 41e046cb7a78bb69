"""URLs of the Django test site."""
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path


def index(request):
    return HttpResponse("django says hi")


def info(request):
    return JsonResponse({"path": request.path, "secure": request.is_secure(),
                         "q": request.GET.get("q"), "host": request.get_host()})


def stream(request):
    n = int(request.GET.get("n", "3"))
    return StreamingHttpResponse((b"chunk %d\n" % i for i in range(n)), content_type="text/plain")


urlpatterns = [path("", index), path("info/", info), path("stream/", stream)]
