from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The role home pages: the one place above every app, so it may import them all."""

    name = "home"
    label = "home"
