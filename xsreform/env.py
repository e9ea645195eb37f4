"""Strict readers for settings that come from the environment.

A value that cannot be parsed stops start-up with a message naming the
variable: a typo in production must not silently become a default. Any
variable may instead be given as ``NAME_FILE`` pointing at a file holding the
value (for secrets mounted by the orchestrator).
"""

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {e}") from e
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# What `make run` writes to .env (once; an existing file is kept), so that
# the commands of README.md and docs/ work when pasted after it: the demo's
# debug mode (its built-in secret key, SQLite, the on-disk broker).
DEMO_ENV = {"DJANGO_DEBUG": "1"}
_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$")


def load_env_file(path: Path) -> None:
    """Read NAME=value lines of `path` (if it exists) into the environment;
    a variable set in the real environment wins. Blank lines and # comments
    are skipped; any other line stops start-up with its line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value, not {line!r}")
        name, value = match.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(name, value)


def write_demo_env(path: Path, **extra: str) -> bool:
    """Write the demo's .env unless one exists; True if written."""
    if path.exists():
        return False
    lines = ["# Written by `make run`: the demo's settings for manage.py (README.md, Commands).", ""]
    lines += [f"{name}={value}" for name, value in {**DEMO_ENV, **extra}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":  # make run: python -m xsreform.env .env SITE_URL=http://…
    import sys

    target, *pairs = sys.argv[1:]
    written = write_demo_env(Path(target), **dict(pair.split("=", 1) for pair in pairs))
    print(f"{target}: {'written' if written else 'kept as it is'}")
