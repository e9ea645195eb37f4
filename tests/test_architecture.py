"""Dependencies point one way (docs/architecture.md):

    dashboards ─┐
                ├─→ tasks ─→ indicators ─→ departments
    reminders ──┘

Every module of each app, its tests and migrations included, is read (not
imported) and each import, at the top or inside a function, checked against
the layers: an app may import itself and the apps below it, never one above
it or beside it. A lower app that must let a higher one know something sends
a signal (tasks.signals); the higher one listens."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

# app → the apps it may import (besides itself)
ALLOWED = {
    "departments": set(),
    "indicators": {"departments"},
    "tasks": {"indicators", "departments"},
    "reminders": {"tasks", "indicators", "departments"},
    "dashboards": {"tasks", "indicators", "departments"},
    # The demo (bootstrap_demo) builds a year through every app's services;
    # nothing imports it.
    "demo": {"dashboards", "reminders", "tasks", "indicators", "departments"},
}


def imported_modules(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source of
    `module`, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module
            # `from reminders import sweep` names the package; that is enough.
            found.append((node.lineno, name))
    return found


def violations(app: str, module: str, source: str, *, is_package: bool = False) -> list[str]:
    wrong = []
    for line, name in imported_modules(source, module, is_package=is_package):
        top = name.split(".")[0]
        if top in ALLOWED and top != app and top not in ALLOWED[app]:
            wrong.append(f"{module}:{line} imports {name}")
    return wrong


def app_modules(app: str):
    root = Path(settings.BASE_DIR)
    for path in sorted((root / app).rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        is_package = relative.name == "__init__"
        parts = relative.parts[:-1] if is_package else relative.parts
        yield ".".join(parts), path.read_text(encoding="utf-8"), is_package


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_it_imports_only_the_apps_below(app):
    wrong = []
    modules = 0
    for module, source, is_package in app_modules(app):
        modules += 1
        wrong += violations(app, module, source, is_package=is_package)
    assert modules > 3, f"no modules found for {app}"
    assert wrong == []


def test_it_knows_every_app_of_the_project():
    local = {name for name in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / name).is_dir()}
    assert local == set(ALLOWED)


@pytest.mark.parametrize(
    "app,module,source,expected",
    [
        ("tasks", "tasks.views", "from reminders import selectors\n", ["tasks.views:1 imports reminders"]),
        ("tasks", "tasks.services", "def f():\n    from dashboards.figures import Scope\n", 1),
        ("tasks", "tasks.views", "import dashboards.views as v\n", 1),
        ("reminders", "reminders.tests.test_x", "from dashboards.tests import plans\n", 1),
        ("departments", "departments.models", "from ..indicators import models\n", 1),
        ("indicators", "indicators.admin", "from tasks.models import Task\n", 1),
        ("reminders", "reminders.sweep", "from tasks.models import Task\nfrom . import delivery\n", 0),
        ("dashboards", "dashboards.templatetags.dashboard", "from ..figures import Overview\n", 0),
    ],
)
def test_it_catches_a_forbidden_import(app, module, source, expected):
    """The check itself: an upward or sideways import is reported, at the
    top or inside a function, absolute or relative; a downward one is not."""
    found = violations(app, module, source)
    if isinstance(expected, int):
        assert len(found) == expected, found
    else:
        assert found == expected
