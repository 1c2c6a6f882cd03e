"""The driver contract is declared, not duck-typed: net80211 reads only what
`IEEE80211Com` declares (an `ic_*` hook with a default, or device state),
and the bundled drivers read of the device and of a vap only what the
framework declares or what they declared themselves."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from ic import Caps, IEEE80211Com, Scheduler

ROOT = Path(__file__).resolve().parents[2]
DRIVER_FILES = ("drivers/hwsim/radio.py", "drivers/example/device.py")

# Driver reads of undeclared vap attributes still to go: none since per-mode
# state moved into slotted objects and HwsimVap declares addr_slot.
PENDING_VAP_READS: set[tuple[str, str]] = set()


def _declared_by_device() -> set[str]:
    ic = IEEE80211Com(Scheduler(), "contract0", macaddr="02:00:00:00:00:01", caps=Caps.STA)
    return set(dir(ic))


def _class_names(cls: ast.ClassDef) -> set[str]:
    """What a class declares: class attributes, __slots__, methods and
    properties, and the attributes its methods assign on `self`."""
    names: set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id == "self":
            names.add(node.attr)
    for node in cls.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            if isinstance(t, ast.Name):
                names.add(t.id)
                if t.id == "__slots__" and node.value is not None:
                    names |= {c.value for c in ast.walk(node.value)
                              if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return names


def _classes(path: str) -> list[ast.ClassDef]:
    tree = ast.parse((ROOT / path).read_text())
    return [n for n in tree.body if isinstance(n, ast.ClassDef)]


def _declared_by_vap() -> set[str]:
    (vap,) = [c for c in _classes("net80211/vap.py") if c.name == "IEEE80211Vap"]
    return _class_names(vap) | set(dir(object))


def _is_device(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "ic") or (
        isinstance(node, ast.Attribute) and node.attr == "ic")


def _string_lookups(tree: ast.AST, subject: Callable[[ast.expr], bool]) -> list[tuple[int, str]]:
    """getattr/hasattr/setattr(subject, "name", ...) calls: duck typing."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr", "setattr") and node.args and subject(node.args[0]):
            out.append((node.lineno, ast.unparse(node)))
    return out


def test_the_framework_reads_only_declared_device_attributes():
    declared = _declared_by_device()
    bad = []
    for path in sorted((ROOT / "net80211").rglob("*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(ROOT)
        bad += [f"{rel}:{n.lineno}: ic.{n.attr}" for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and _is_device(n.value) and n.attr not in declared]
        bad += [f"{rel}:{line}: {text}" for line, text in _string_lookups(tree, _is_device)]
    assert bad == []


@pytest.mark.parametrize("path", DRIVER_FILES)
def test_drivers_read_only_declared_device_attributes(path):
    declared = _declared_by_device()
    devices = [c for c in _classes(path) if "IEEE80211Com" in {ast.unparse(b).split("[")[0] for b in c.bases}
               or any(ast.unparse(b).endswith("Radio") for b in c.bases)]
    assert devices, path
    bad = []
    for cls in devices:
        own = _class_names(cls)
        bad += [f"{path}:{n.lineno}: self.{n.attr}" for n in ast.walk(cls)
                if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
                and isinstance(n.value, ast.Name) and n.value.id == "self"
                and n.attr not in declared and n.attr not in own]
    assert bad == []


@pytest.mark.parametrize("path", DRIVER_FILES)
def test_drivers_read_only_declared_vap_attributes(path):
    declared = _declared_by_vap()
    tree = ast.parse((ROOT / path).read_text())
    vap_classes = [c for c in _classes(path) if {ast.unparse(b) for b in c.bases} & {"IEEE80211Vap"}
                   or any(ast.unparse(b).endswith("Vap") for b in c.bases)]
    # The driver's own vap fields: what its vap class declares.
    for cls in vap_classes:
        declared |= _class_names(cls)

    def is_vap(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == "vap"

    reads = [(n.lineno, n.attr) for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and is_vap(n.value)]
    reads += [(line, text.split(",")[1].strip(" '\"")) for line, text in _string_lookups(tree, is_vap)]
    bad = [f"{path}:{line}: vap.{attr}" for line, attr in reads
           if attr not in declared and (path, attr) not in PENDING_VAP_READS]
    assert bad == []
