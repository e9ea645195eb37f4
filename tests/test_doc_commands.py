"""Every manage.py command in README.md and docs/*.md runs as written after
`make run`: from a fresh shell (none of the test run's variables), with the
.env that `make run` writes, against a scratch database. A command marked
--dry-run runs as written; any other runs with --help, and each option it
uses must be one the command knows."""

import os
import re
import shlex
import subprocess
import sys

import pytest
from django.conf import settings

from xsreform.env import write_demo_env

pytestmark = pytest.mark.django_db(transaction=False)

DOCS = [settings.BASE_DIR / "README.md", *sorted((settings.BASE_DIR / "docs").glob("*.md"))]
PYTHON = ".venv/bin/python"


def doc_commands() -> list[tuple[str, str]]:
    """(file, command) for each manage.py line of a sh/bash block and each
    inline `…manage.py …` span."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, re.S):
            for line in block.replace("\\\n", " ").splitlines():
                if "manage.py" in line:
                    found.append((path.name, line.split(" #")[0].strip()))
        for span in re.findall(r"`([^`\n]*manage\.py[^`\n]*)`", text):
            found.append((path.name, span.strip()))
    return sorted(set(found))


def fresh_env(tmp_path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env_file = tmp_path / ".env"
    write_demo_env(env_file)
    env["XSREFORM_ENV_FILE"] = str(env_file)
    env["XSREFORM_VAR_DIR"] = str(tmp_path / "var")  # the scratch database, broker and mail
    return env


def run(argv, env, assignments=()):
    return subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=settings.BASE_DIR,
        env={**env, **dict(assignments)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_it_finds_the_commands_of_the_docs():
    commands = [command for _, command in doc_commands()]
    assert len(commands) >= 10
    assert any("send_reminders" in c for c in commands) and any("export_report" in c for c in commands)


def test_it_runs_every_documented_command_as_written(tmp_path):
    env = fresh_env(tmp_path)
    (tmp_path / "var").mkdir()
    migrated = run([PYTHON, "manage.py", "migrate", "--noinput"], env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    failures = []
    helps = {}  # (assignments, command name) → the help text, asked once
    for name, command in doc_commands():
        words = shlex.split(command)
        assignments = []
        while words and re.match(r"^[A-Z_]+=", words[0]):
            assignments.append(words.pop(0).split("=", 1))
        if words[:2] != [PYTHON, "manage.py"]:
            failures.append(f"{name}: `{command}` does not start with {PYTHON} manage.py")
            continue
        if "--dry-run" in words:
            result = run(words, env, assignments)
        else:
            key = (tuple(map(tuple, assignments)), words[2])
            if key not in helps:
                helps[key] = run([*words[:3], "--help"], env, assignments)
            result = helps[key]
            unknown = [
                w.split("=")[0]
                for w in words[3:]
                if w.startswith("--") and w.split("=")[0] not in result.stdout
            ]
            if unknown:
                failures.append(f"{name}: `{command}`: unknown options {unknown}")
        if result.returncode != 0:
            failures.append(f"{name}: `{command}` exited {result.returncode}: {result.stderr.strip()[-500:]}")
    assert failures == []
