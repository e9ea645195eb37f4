from django.urls import path

from . import views

app_name = "departments"

urlpatterns = [
    path("", views.contacts, name="contacts"),
    path("<int:unit_pk>/add/", views.contact_create, name="contact_create"),
    path("contact/<int:pk>/", views.contact_edit, name="contact_edit"),
    path("contact/<int:pk>/remove/", views.contact_remove, name="contact_remove"),
]
