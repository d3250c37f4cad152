from django.urls import path

from home import views

# No app_name: the home page is the project's "home", as every template links it.
urlpatterns = [
    path("", views.home, name="home"),
    path("home/panels/<slug:key>/", views.panel, name="home-panel"),
]
