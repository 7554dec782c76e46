"""Importers of restricted-party list files, one module per published format, and the registry
that names them: ``parse(form, raw)`` reads a file of format ``form`` into a `ParsedList`.

Formats: ``csl`` (US Consolidated Screening List, CSV or JSON, compliance.screening.importers),
``un-xml`` (UN Security Council Consolidated List), ``eu-xml`` (EU consolidated financial sanctions
list), ``uk-xml`` (UK Sanctions List), ``jp-eul`` (METI End User List, .xlsx) and ``ftm-jsonl``
(FollowTheMoney entities, one JSON object per line, as OpenSanctions publishes them).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from compliance.screening.formats.common import ProgressCallback, RawSource, read_raw
from compliance.screening.importers import ListFormatError, ParsedList

# format -> (module, function); imported on first use.
_PARSERS: dict[str, tuple[str, str]] = {
    "csl": ("compliance.screening.importers", "parse_csl_bytes"),
    "un-xml": ("compliance.screening.formats.un", "parse_un_xml"),
    "eu-xml": ("compliance.screening.formats.eu", "parse_eu_xml"),
    "uk-xml": ("compliance.screening.formats.uk", "parse_uk_xml"),
    "jp-eul": ("compliance.screening.formats.jp", "parse_jp_eul"),
    "ftm-jsonl": ("compliance.screening.formats.ftm", "parse_ftm_jsonl"),
}
FORMATS: tuple[str, ...] = tuple(_PARSERS)


def parser(form: str) -> Callable[..., ParsedList]:
    if form not in _PARSERS:
        raise ListFormatError(f"unknown list format {form!r}; known: {', '.join(FORMATS)}")
    module, name = _PARSERS[form]
    func: Callable[..., ParsedList] = getattr(import_module(module), name)
    return func


def parse(form: str, source: RawSource, *, progress: ProgressCallback | None = None) -> ParsedList:
    """Read a list file (a path or its bytes; gzip or plain) of format ``form``."""
    return parser(form)(read_raw(source), progress=progress)


__all__ = ["FORMATS", "ListFormatError", "ParsedList", "parse", "parser"]
