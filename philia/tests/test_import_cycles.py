"""No import cycles: between any two files of the project (tasks.py and admin.py included), and between the
apps when their domain modules and tasks.py are counted (docs/development.md, "How the apps fit together").

Every import statement counts, also those inside functions or under TYPE_CHECKING, as in
test_import_direction.py. Tests and migrations are left out: nothing imports them.
"""

import ast
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from philia.tests.test_import_direction import LAYERS, ROOT, _imported_names, is_entry_point, module_name

PACKAGES = (*LAYERS, "philia", "testing", "bench", "faults")
LEFT_OUT_FOLDERS = {"tests", "migrations"}

# Cycles still to be broken (issue 19), each as the sorted files or apps in it. The tests fail on one that is
# gone too, so this only shrinks.
KNOWN_FILE_CYCLES: set[frozenset[str]] = set()
KNOWN_APP_CYCLES: set[frozenset[str]] = set()


def project_modules() -> dict[str, Path]:
    """Module name → path (relative to the project root) of every project file but tests and migrations."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if not LEFT_OUT_FOLDERS.intersection(relative.parts[:-1]):
                modules[module_name(relative)] = relative
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (`from x import y` counts as x.y when that is a module, else x)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse((ROOT / path).read_text())
        targets = set()
        for node in ast.walk(tree):
            targets |= imported_modules(node, module=module, is_package=path.name == "__init__.py", modules=modules)
        graph[module] = targets
    return graph


def imported_modules(node: ast.AST, *, module: str, is_package: bool, modules: Collection[str]) -> set[str]:
    """The project modules one statement of `module` imports, itself left out. `from x import y` is x.y when that is
    a module, else x: a submodule taken from its package is an import of the submodule, as with `import x.y` (the
    package is loaded first either way, as it is for every module in it, and that is no edge)."""
    names = _imported_names(node, module=module, is_package=is_package)
    if isinstance(node, ast.ImportFrom) and len(names) > 1:
        package, members = names[0], names[1:]
        names = [member if member in modules else package for member in members]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: set[frozenset[str]] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = lowest[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    lowest[node] = min(lowest[node], index[successor])
            else:
                work.pop()
                if work:
                    lowest[work[-1][0]] = min(lowest[work[-1][0]], lowest[node])
                if lowest[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.add(frozenset(component))
    return found


def app_graph(modules: dict[str, Path], graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """App → the apps its domain modules and tasks.py import."""
    apps: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        app = module.split(".")[0]
        if app not in LAYERS or (is_entry_point(path) and path.name != "tasks.py"):
            continue
        apps[app] |= {target.split(".")[0] for target in graph[module] if target.split(".")[0] in LAYERS} - {app}
    return dict(apps)


def _files(cycle: frozenset[str], modules: dict[str, Path]) -> frozenset[str]:
    return frozenset(str(modules[module]) for module in cycle)


def test_no_two_files_of_the_project_import_each_other_round_a_circle():
    modules = project_modules()

    found = {_files(cycle, modules) for cycle in cycles(import_graph(modules))}

    assert found == KNOWN_FILE_CYCLES, "\n".join(" -> ".join(sorted(cycle)) for cycle in found ^ KNOWN_FILE_CYCLES)


def test_no_two_apps_import_each_other_round_a_circle_counting_tasks():
    modules = project_modules()

    found = cycles(app_graph(modules, import_graph(modules)))

    assert found == KNOWN_APP_CYCLES, "\n".join(" -> ".join(sorted(cycle)) for cycle in found ^ KNOWN_APP_CYCLES)


# --- The checker itself ------------------------------------------------------------------------------------


def test_a_circle_of_three_is_one_cycle_and_a_line_is_none():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset({"a", "b", "c"})}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == set()


def test_two_separate_circles_are_two_cycles():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}}

    assert cycles(graph) == {frozenset({"a", "b"}), frozenset({"c", "d"})}


def test_a_submodule_taken_from_its_package_is_that_submodule_and_any_other_name_the_package():
    modules = {"shop", "shop.offline", "shop.offline.browsing", "shop.offline.smalltalk"}

    def imported(source: str) -> set[str]:
        [node] = ast.parse(source).body
        return imported_modules(node, module="shop.offline.browsing", is_package=False, modules=modules)

    assert imported("from shop.offline import smalltalk") == {"shop.offline.smalltalk"}
    assert imported("from . import smalltalk") == {"shop.offline.smalltalk"}
    assert imported("from shop.offline import summarize, smalltalk") == {"shop.offline", "shop.offline.smalltalk"}
    assert imported("from shop.offline.smalltalk import greet") == {"shop.offline.smalltalk"}
    assert imported("import shop.offline.smalltalk") == {"shop.offline.smalltalk"}
    assert imported("from shop.offline import *") == {"shop.offline"}
