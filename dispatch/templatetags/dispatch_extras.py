from django import template

register = template.Library()


@register.filter
def humanize_code(value: object) -> str:
    """``licence_required`` → ``Licence required`` (codes stay codes in the API)."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
