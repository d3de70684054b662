"""The package's import structure: no cycles between its modules, and each
layer imports only the layers below it."""

import ast
import os

import pytest

pytestmark = pytest.mark.single_path  # source files only

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "sparsezoo_tf"

# What a subpackage may import from the package besides itself; anything
# not listed here is unconstrained.
ALLOWED = {
    "patterns": set(),
    "ops": {"patterns"},
    "schemes": {"ops", "patterns"},
    "layers": {"ops", "patterns", "schemes", "keras_compat"},
    "analysis": {"layers", "ops", "patterns", "schemes"},
    "data": set(),
    "models": {"layers", "ops", "patterns", "schemes", "keras_compat",
               "data"},
    "conversion": {"analysis", "layers", "models", "schemes",
                   "keras_compat"},
}


def _module_name(path: str) -> str:
  relative = os.path.relpath(path, ROOT)[:-len(".py")].split(os.sep)
  if relative[-1] == "__init__":
    relative = relative[:-1]
  return ".".join(relative)


def _modules():
  found = {}
  for directory, _, files in os.walk(os.path.join(ROOT, PACKAGE)):
    for file in files:
      if file.endswith(".py"):
        path = os.path.join(directory, file)
        found[_module_name(path)] = path
  return found


def _imports(path: str, name: str, modules) -> set:
  """The package's modules `path` imports at module level."""
  tree = ast.parse(open(path, encoding="utf-8").read())
  is_package = path.endswith("__init__.py")
  targets = set()
  for node in tree.body:
    if isinstance(node, ast.Import):
      targets.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        parts = name.split(".")
        parts = parts[:len(parts) - node.level + (1 if is_package else 0)]
        base = ".".join(parts + ([base] if base else []))
      for alias in node.names:
        full = f"{base}.{alias.name}"
        targets.add(full if full in modules else base)
  return {t for t in targets if t in modules and t != name}


def _graph():
  modules = _modules()
  return {name: _imports(path, name, modules)
          for name, path in modules.items()}


def _cycle(graph):
  state = {}

  def visit(node, stack):
    state[node] = "open"
    for target in sorted(graph[node]):
      if state.get(target) == "open":
        return stack[stack.index(target):] + [target]
      if target not in state:
        found = visit(target, stack + [target])
        if found:
          return found
    state[node] = "done"
    return None

  for node in sorted(graph):
    if node not in state:
      found = visit(node, [node])
      if found:
        return found
  return None


def test_no_import_cycles():
  graph = _graph()
  # The root package imports its subpackages for registration; nothing in
  # the package imports the root back except through a subpackage.
  cycle = _cycle(graph)
  assert cycle is None, " -> ".join(cycle)


def test_the_cycle_check_can_fail():
  assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
  assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("subpackage", sorted(ALLOWED))
def test_layers_import_only_what_is_below_them(subpackage):
  prefix = f"{PACKAGE}.{subpackage}"
  wrong = []
  for name, targets in _graph().items():
    if name != prefix and not name.startswith(prefix + "."):
      continue
    for target in targets:
      top = target.split(".")[1] if "." in target else PACKAGE
      if top != subpackage and top not in ALLOWED[subpackage]:
        wrong.append(f"{name} imports {target}")
  assert not wrong, "\n".join(wrong)
