"""URLs of the Django test site."""
from django.http import HttpResponse, JsonResponse
from django.urls import path


def index(request):
    return HttpResponse("django says hi")


def info(request):
    return JsonResponse({"path": request.path, "secure": request.is_secure(),
                         "q": request.GET.get("q"), "host": request.get_host()})


urlpatterns = [path("", index), path("info/", info)]
