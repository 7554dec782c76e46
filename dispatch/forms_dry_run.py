"""The dry-run page's form: a visit document to check, nothing stored."""

from __future__ import annotations

from django import forms


class DryRunForm(forms.Form):
    document = forms.CharField(
        widget=forms.Textarea(
            attrs={
                "rows": 22,
                "spellcheck": "false",
                "style": "font-family:monospace;max-width:100%",
            }
        ),
        help_text="A visit document (JSON) as described in the API documentation.",
    )
