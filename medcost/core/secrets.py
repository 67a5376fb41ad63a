"""Secrets: read from the environment or an untracked .env, and masked wherever a URL or value is shown."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key")
"""A key holding one of these words is masked by :func:`redact`."""

UNPARSEABLE = "<unparseable URL>"


def load_dotenv_file(path: str | Path = ".env") -> None:
    """Read variables from an untracked .env; the environment wins over the file."""
    if Path(path).exists():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def mask_url(url: object, *, keep_path: bool = True) -> str:
    """``url`` safe to show: password replaced by ``***``, query and fragment dropped.

    With ``keep_path=False`` only ``scheme://host[:port]`` is kept: a webhook's user, path and
    query often are its token (Slack, Teams, ntfy). Works for SQLAlchemy URLs
    (``postgresql+psycopg2://user:***@host:5432/db``), file paths (``sqlite:///data/x.db``)
    and passwords holding ``@`` or ``/`` (everything up to the last ``@`` is credentials).
    """
    render = getattr(url, "render_as_string", None)  # a sqlalchemy URL object
    text = (render(hide_password=False) if callable(render) else str(url)).strip()
    base = text.split("#", 1)[0].split("?", 1)[0]
    scheme, separator, rest = base.partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return UNPARSEABLE
    credentials, at, location = rest.rpartition("@")
    if not keep_path:
        try:
            parts = urlsplit(f"{scheme}://{location}")
            host, port = parts.hostname or "", parts.port
        except ValueError:
            return UNPARSEABLE
        if not host:
            return UNPARSEABLE
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}{f':{port}' if port else ''}"
    if not at:
        return base
    user = credentials.split(":", 1)[0]
    shown = f"{user}:***@" if ":" in credentials else f"{user}@"
    return f"{scheme}://{shown}{location}"


def scrub(text: str) -> str:
    """``text`` with the credentials (``user:password@``) of any URL in it replaced by ``***@``."""
    return re.sub(r"(?<=://)[^/\s]*@", "***@", text)


def redact(value: Any) -> Any:
    """``value`` (nested mappings, lists, strings) with secret-looking keys masked and URLs credential-free."""
    if isinstance(value, Mapping):
        return {k: ("***" if any(w in str(k).lower() for w in SECRET_WORDS) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return scrub(value.split("?", 1)[0]) if "?" in value else scrub(value)
    return value


def env(name: str) -> str | None:
    """The stripped value of environment variable ``name``, or None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None
