"""The layout's rules, read from the code: no runtime import circle inside
the project, and each layer imports only the layers below it
(docs/architecture.md lists them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ic", "net80211", "drivers")


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _runtime_imports(name: str, path: Path, annotations: bool = False) -> set[str]:
    """Project modules `name` imports when it runs (TYPE_CHECKING blocks
    excluded unless `annotations`)."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()

    def resolve(mod: str | None, level: int) -> str:
        if level == 0:
            return mod or ""
        base = name.split(".")
        if not is_pkg:
            base = base[:-1]
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([mod] if mod else []))

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not annotations:
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for a in child.names:
                    if a.name in MODULES:
                        out.add(a.name)
            elif isinstance(child, ast.ImportFrom):
                base = resolve(child.module, child.level)
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    if sub in MODULES:
                        out.add(sub)
                    elif base in MODULES:
                        out.add(base)
            visit(child)

    visit(tree)
    out.discard(name)
    return out


GRAPH = {name: _runtime_imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_checker_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_runtime_import_circle():
    assert _cycles(GRAPH) == []


def _imports_of(prefix: str) -> dict[str, set[str]]:
    return {m: deps for m, deps in GRAPH.items() if m == prefix or m.startswith(prefix + ".")}


def _violations(prefix: str, allowed: tuple[str, ...]) -> list[str]:
    bad = []
    for mod, deps in _imports_of(prefix).items():
        for d in sorted(deps):
            if not any(d == a or d.startswith(a + ".") for a in allowed):
                bad.append(f"{mod} imports {d}")
    return bad


@pytest.mark.parametrize(("layer", "allowed"), [
    ("ic", ("ic",)),
    ("net80211", ("ic", "net80211")),
    # the codec: ic's vocabulary and itself, nothing with a vap or a scheduler
    ("net80211.wire", ("ic", "net80211.wire")),
    # the protocol core and its modes never reach the I/O edges
    ("net80211.modes", ("ic", "net80211.wire", "net80211.modes", "net80211.vap", "net80211.proto",
                        "net80211.scan", "net80211.node", "net80211.input", "net80211.output",
                        "net80211.beacon", "net80211.beacon_filter", "net80211.bss", "net80211.mode",
                        "net80211.netdev",
                        "net80211.power", "net80211.security", "net80211.crypto", "net80211.rsn")),
    # frame protection: the codec below it, nothing with a vap
    ("net80211.crypto", ("ic", "net80211.wire", "net80211.crypto")),
    # the RSN handshakes: sans-IO over the codec and the crypto layer
    ("net80211.rsn", ("ic", "net80211.wire", "net80211.crypto", "net80211.rsn")),
    # WPS: sans-IO over the codec (and the cryptography package)
    ("net80211.wps", ("ic", "net80211.wire", "net80211.wps")),
    ("drivers.hwsim.kernel", ("drivers.hwsim.kernel",)),
    ("drivers.hwsim.external", ("ic", "net80211", "drivers.hwsim")),
])
def test_layers_import_only_below(layer, allowed):
    assert _violations(layer, allowed) == []


EDGES = ("net80211.ctl", "net80211.scenario", "net80211.conformance", "net80211.host", "net80211.sweep",
         "net80211.figures")


def test_core_does_not_import_edges():
    core = [m for m in GRAPH if m.count(".") == 1 and m.startswith("net80211.")
            and not m.startswith(EDGES + ("net80211.p2p",))]
    bad = [f"{m} imports {d}" for m in core for d in GRAPH[m] if d.startswith(EDGES)]
    assert bad == []


def test_importing_a_vap_does_not_load_every_mode():
    code = ("import sys, net80211.vap; "
            "print(sorted(m for m in sys.modules if m.startswith(('net80211', 'drivers'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    loaded = eval(out)  # a list literal we printed ourselves
    assert not [m for m in loaded if m.startswith(("net80211.p2p", "net80211.modes", "net80211.ctl",
                                                   "net80211.host", "drivers"))], loaded


def test_importing_a_vap_does_not_load_the_rsn_machines():
    # vap.rsn / node.rsn are reached through their slots: the handshakes,
    # SAE's pycryptodome and the cryptography package load with a mode
    code = ("import sys, net80211.vap; "
            "print(sorted(m for m in sys.modules if m.startswith(('net80211.rsn', 'net80211.crypto', "
            "'net80211.security', 'net80211.wps', 'cryptography', 'Crypto'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert eval(out) == []  # a list literal we printed ourselves


def test_the_medium_does_not_import_its_radios():
    radio_side = ("drivers.hwsim.radio", "drivers.hwsim.driver")
    assert not [d for d in GRAPH["drivers.hwsim.medium"] if d in radio_side]


def test_ic_names_nothing_of_the_layers_above_even_for_annotations():
    """The device layer knows its vaps as `ic.views.DeviceVap` (IEEE80211Com
    is generic in their class) and net80211's per-device state only as
    slots, so not even a TYPE_CHECKING import reaches up."""
    root = Path(__file__).resolve().parents[2]
    bad = []
    for path in sorted((root / "ic").glob("*.py")):
        name = "ic" if path.name == "__init__.py" else f"ic.{path.stem}"
        bad += [f"{name} imports {d}" for d in sorted(_runtime_imports(name, path, annotations=True))
                if not d.startswith("ic")]
    assert bad == []
