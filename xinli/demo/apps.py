from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "xinli.demo"
    label = "demo"
    verbose_name = "Demo data"
