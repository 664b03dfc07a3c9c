from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("notes/add/", views.add_note, name="add_note"),
    path("notes/", views.my_notes, name="my_notes"),
    path("who/", views.who, name="who"),
    path("threads/", views.which_threads),
]
