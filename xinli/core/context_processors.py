from django.conf import settings


def platform(request):
    from .views import nav_flags

    user = getattr(request, "user", None)
    flags = nav_flags(user) if user is not None and user.is_authenticated else {}
    return {"platform_name": settings.XINLI_PLATFORM_NAME, "xinli_demo": settings.XINLI_DEMO, "nav": flags}
