"""Imports between the apps flow one way (docs/development.md, "How the apps fit together").

From the top: assistant → live → orders → propositions → inventory → conversations → tiktok → notifications. A domain module (models,
services, selectors and every other module that is not an entry point) may import its own app, the apps below it
and, of philia, only its foundation: `philia.errors`, `philia.db`, `philia.inbox` and `philia.jobs`; nothing above
it, no other part of philia, and neither `testing` nor `bench`.

A tasks.py keeps the same order between apps: its own app and the apps below (and any part of philia). Work an app
above does is asked for by its actor's name through `philia.jobs`, never by importing that app's tasks; an actor
whose work spans apps lives in the highest of them (assistant/tasks.py handles TikTok events and sends the notices).
The other entry points (api.py, admin.py, management commands, migrations, tests) may import any app.

Every import statement counts, also those inside functions or under TYPE_CHECKING, and so do
`import_module("...")` / `import_string("...")` calls with a literal name. That no two files, and no two apps
counting tasks.py, import each other round a circle is test_import_cycles.py's.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Top to bottom: an app may import the ones after it.
LAYERS = ("assistant", "live", "orders", "propositions", "inventory", "conversations", "tiktok", "notifications")
# Project packages that are not apps; of philia only the errors every app raises, the bounded-lock
# transaction (philia.db) and the inbox every delivery's model is built on (philia.inbox) may be imported.
ALLOWED_FROM_PHILIA = ("philia.errors", "philia.db", "philia.inbox", "philia.jobs")
OTHER_PROJECT_PACKAGES = ("philia", "testing", "bench")

ENTRY_POINT_FILES = {"api.py", "admin.py", "tasks.py", "conftest.py"}
ENTRY_POINT_FOLDERS = {"management", "migrations", "tests"}
DYNAMIC_IMPORTS = {"import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class UpwardImport:
    line: int
    statement: str
    reason: str


def is_entry_point(path: Path) -> bool:
    """`path` relative to the project root, e.g. tiktok/management/commands/simulate.py."""
    return path.name in ENTRY_POINT_FILES or bool(ENTRY_POINT_FOLDERS.intersection(path.parts[:-1]))


def domain_modules(app: str) -> list[Path]:
    return sorted(
        path.relative_to(ROOT) for path in (ROOT / app).rglob("*.py") if not is_entry_point(path.relative_to(ROOT))
    )


def module_name(path: Path) -> str:
    parts = path.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(node: ast.AST, *, module: str, is_package: bool) -> list[str]:
    """The dotted names a statement imports (for `from x import y`, both x and x.y: y may be a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        names = [f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*"]
        return [base, *names] if base else names
    if isinstance(node, ast.Call):
        function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if function in DYNAMIC_IMPORTS and node.args and isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0].value, str):
                return [node.args[0].value]
    return []


def _why_not_allowed(name: str, *, app: str, layers_only: bool = False) -> str | None:
    top = name.split(".")[0]
    if top in LAYERS and LAYERS.index(top) < LAYERS.index(app):
        return f"{top} is above {app}"
    if layers_only:
        return None
    if top == "philia" and name != "philia" and not name.startswith(ALLOWED_FROM_PHILIA):
        return f"of philia, {app} may import only {', '.join(ALLOWED_FROM_PHILIA)}"
    if top in OTHER_PROJECT_PACKAGES and top != "philia":
        return f"{top} is not for domain modules"
    return None


def upward_imports(
    source: str, *, module: str, is_package: bool = False, layers_only: bool = False
) -> list[UpwardImport]:
    """Every import in `source` (the text of domain module `module`, e.g. "conversations.intake") that
    its app may not make, with the line and the statement as written. `layers_only` (a tasks.py): only
    imports of an app above count."""
    app = module.split(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt | ast.expr):  # imports are statements, dynamic ones calls
            continue
        for name in _imported_names(node, module=module, is_package=is_package):
            reason = _why_not_allowed(name, app=app, layers_only=layers_only)
            if reason is not None:
                statement = " ".join((ast.get_source_segment(source, node) or name).split())
                found.append(UpwardImport(node.lineno, statement, reason))
                break
    return sorted(found, key=lambda found_import: found_import.line)


def test_no_domain_module_imports_an_app_above_it():
    problems = [
        f"{path}:{found.line}: {found.statement}  ({found.reason})"
        for app in LAYERS
        for path in domain_modules(app)
        for found in upward_imports(
            (ROOT / path).read_text(), module=module_name(path), is_package=path.name == "__init__.py"
        )
    ]

    explained = "Upward imports (see docs/development.md, How the apps fit together):\n"
    assert problems == [], explained + "\n".join(problems)


def test_no_tasks_module_imports_an_app_above_it():
    problems = [
        f"{path}:{found.line}: {found.statement}  ({found.reason})"
        for app in LAYERS
        for path in [Path(app, "tasks.py")]
        if (ROOT / path).exists()
        for found in upward_imports((ROOT / path).read_text(), module=module_name(path), layers_only=True)
    ]

    explained = (
        "Send the work of an app above by actor name (philia.jobs), or move the actor up (docs/development.md):\n"
    )
    assert problems == [], explained + "\n".join(problems)


def test_the_foundation_modules_import_no_app_when_loaded():
    """philia.errors, philia.db, philia.inbox and philia.jobs sit below every app: none imports an app at module level (the
    inbox tells the owner through notifications from inside the function that does it)."""
    found = [
        f"{name}: {' '.join((ast.get_source_segment(source, node) or '').split())}"
        for name in ALLOWED_FROM_PHILIA
        for source in [(ROOT / Path(*name.split("."))).with_suffix(".py").read_text()]
        for node in ast.parse(source).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for imported in _imported_names(node, module=name, is_package=False)
        if imported.split(".")[0] in LAYERS
    ]

    assert found == []


def test_the_walk_covers_the_domain_modules_and_leaves_out_entry_points():
    walked = {str(path) for app in LAYERS for path in domain_modules(app)}

    assert {
        "assistant/services.py",
        "orders/services.py",
        "inventory/services.py",
        "conversations/intake.py",
        "tiktok/services.py",
        "tiktok/client.py",
    } <= walked
    assert not walked & {
        "tiktok/tasks.py",
        "tiktok/api.py",
        "inventory/admin.py",
        "inventory/management/commands/seed.py",
        "conversations/tests/test_intake.py",
    }


# --- The checker itself, on small sources ---------------------------------------------------------


def test_importing_an_app_above_is_reported_with_its_line_and_statement():
    source = "import logging\n\nfrom assistant.services import answer\n"

    assert upward_imports(source, module="tiktok.services") == [
        UpwardImport(3, "from assistant.services import answer", "assistant is above tiktok")
    ]


def test_an_upward_import_inside_a_function_is_reported_too():
    source = "def later():\n    import orders.services\n    return orders.services\n"

    assert upward_imports(source, module="inventory.selectors") == [
        UpwardImport(2, "import orders.services", "orders is above inventory")
    ]


@pytest.mark.parametrize(
    "source",
    [
        "from conversations.models import Customer",  # below
        "import tiktok.client",  # further below
        "from inventory import services",  # its own app
        "from . import selectors",  # its own app, relatively
        "from philia.errors import DomainError",
        "from philia import errors",
        "from django.db import transaction",
    ],
)
def test_own_app_apps_below_and_philia_errors_are_allowed(source):
    assert upward_imports(source, module="inventory.services") == []


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "from philia.admin_actions import customer_link",
            "of philia, inventory may import only philia.errors, philia.db, philia.inbox, philia.jobs",
        ),
        (
            "from philia import settings",
            "of philia, inventory may import only philia.errors, philia.db, philia.inbox, philia.jobs",
        ),
        ("from testing.tiktok import sign", "testing is not for domain modules"),
        ("from orders import services", "orders is above inventory"),
        ("import importlib\nimportlib.import_module('assistant.ai')", "assistant is above inventory"),
    ],
)
def test_the_rest_of_philia_testing_and_apps_above_are_not(source, reason):
    [found] = upward_imports(source, module="inventory.services")

    assert found.reason == reason


def test_relative_imports_are_resolved_from_the_module_and_its_package():
    assert upward_imports("from .. import assistant", module="tiktok.services") == [
        UpwardImport(1, "from .. import assistant", "assistant is above tiktok")
    ]
    assert upward_imports("from .models import WebhookEvent", module="tiktok", is_package=True) == []


def test_entry_points_are_told_apart_from_domain_modules():
    assert [
        is_entry_point(Path(path))
        for path in (
            "tiktok/tasks.py",
            "tiktok/api.py",
            "orders/admin.py",
            "inventory/management/commands/seed.py",
            "assistant/migrations/0001_initial.py",
            "conversations/tests/test_intake.py",
            "conversations/intake.py",
            "tiktok/services.py",
            "assistant/models.py",
        )
    ] == [True, True, True, True, True, True, False, False, False]


def test_a_tasks_module_is_held_to_the_order_of_the_apps_only():
    source = "from philia.sweeps import record_sweep\nfrom tiktok.limits import acquire_within\nfrom assistant import notices\n"

    assert upward_imports(source, module="inventory.tasks", layers_only=True) == [
        UpwardImport(3, "from assistant import notices", "assistant is above inventory")
    ]
