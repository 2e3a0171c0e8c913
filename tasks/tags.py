"""
The rules of a task's tags, in one place for the API, the list's ``tag``
filter and the admin: each tag trimmed and lower-cased, then 1..32
characters with no comma (the filter's separator) and no control character;
duplicates dropped, keeping the first; at most 20.
"""

import unicodedata

from django.core.exceptions import ValidationError

MAX_TAG_LENGTH = 32
MAX_TAGS = 20


def normalize_tag(value) -> str:
    """One tag as stored, or ValidationError saying which rule it breaks."""
    if not isinstance(value, str):
        raise ValidationError("Each tag must be a string.")
    tag = value.strip().lower()
    if not tag:
        raise ValidationError("A tag may not be blank.")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValidationError(f"A tag may have at most {MAX_TAG_LENGTH} characters.")
    if "," in tag:
        raise ValidationError("A tag may not contain a comma.")
    if any(unicodedata.category(character) == "Cc" for character in tag):
        raise ValidationError("A tag may not contain a control character.")
    return tag


def normalize_tags(values) -> list[str]:
    if not isinstance(values, list):
        raise ValidationError("Tags must be a list of strings.")
    # dict.fromkeys drops later duplicates and keeps the order given.
    tags = list(dict.fromkeys(normalize_tag(value) for value in values))
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"A task may have at most {MAX_TAGS} tags.")
    return tags


def validate_tags(values) -> None:
    """The model field's validator (the admin's form): stored tags are already normal."""
    if normalize_tags(values) != values:
        raise ValidationError("Tags must be lower case, trimmed and without duplicates.")
