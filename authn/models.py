from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string

from todo_project.rows import fetch_instance


def new_user_id() -> str:
    """A random id shaped like Better Auth's own, for staff made locally."""
    return get_random_string(32)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username=None, email="", password=None, **extra_fields):
        user = self.model(username=username, email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def find(self, user_id: str):
        """
        The user with this id, or None: get(pk=...) in plain SQL, because on
        the authentication path composing the query cost more than running it.
        """
        return fetch_instance(self.model, "id = %s", [user_id])

    def create_superuser(self, username, email="", password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """
    A Better Auth user, keyed by the token's ``sub``, or a local staff account.

    Better Auth users never sign in here: their row is made on their first
    request and only mirrors ``email`` and ``name`` for the admin. Staff made
    by ``createsuperuser`` sign in to the admin with ``username``.
    """

    id = models.CharField("Better Auth id", primary_key=True, max_length=255, default=new_user_id)
    # Only staff have a username; NULLs do not collide in a unique column.
    username = models.CharField(max_length=150, unique=True, null=True, blank=True)
    # Not unique: after a Better Auth database reset the same email returns under a new id.
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=255, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField("first seen", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self):
        return self.email or self.username or self.id
