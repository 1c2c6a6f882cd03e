"""A vap has the fields it declares and no others (issue #15): per-mode
state lives in the mode's state object (`vap.sta`, `vap.ap`, ...), and
writing an undeclared attribute on a vap fails.

Two checks: every mode run through its states on hwsim radios with no vap
growing a `__dict__`, and a static scan of the project for assignments to
vap attributes nobody declared."""

from __future__ import annotations

import ast
import errno
from pathlib import Path

import pytest
from support.p2p import discover, has, setup_world

from drivers.example.device import ExampleVap
from drivers.hwsim.radio import HwsimVap
from ic import MS, SEC, Caps, CloneFlags, IEEE80211Com, Scheduler, State
from net80211 import IEEE80211Vap
from net80211.driver import open_driver
from net80211.modes.dwds import WdsDaemon
from net80211.scan import Scanner

ROOT = Path(__file__).resolve().parents[2]
STATES = ("sta", "ap", "ibss", "wds", "mon", "p2p", "mesh")
# The state object each mode's vaps carry (MBSS is built on AHDEMO).
MODE_STATE = {"sta": {"sta"}, "hostap": {"ap"}, "ibss": {"ibss"}, "ahdemo": {"ibss"}, "mesh": {"ibss"},
              "wds": {"wds"}, "monitor": {"mon"}, "p2p-device": {"p2p"}, "p2p-go": {"ap", "p2p"},
              "p2p-client": {"sta", "p2p"}}


def assert_closed(vap: IEEE80211Vap) -> None:
    """No per-instance dict, an undeclared name refused, the mode's state and no other."""
    assert not hasattr(vap, "__dict__"), (vap, vars(vap))
    with pytest.raises(AttributeError):
        vap.not_a_vap_field = 1  # type: ignore[attr-defined]
    have = {name for name in STATES if getattr(vap, name) is not None}
    if vap.attached:
        assert have == MODE_STATE[vap.opmode.word], vap
    else:
        assert have == set(), vap  # dropped at detach


def test_every_mode_through_its_states_keeps_to_its_declared_fields(tmp_path):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=7)
    ra, rb, rc, rd, re, rf, rg = d.devices
    vaps: list[IEEE80211Vap] = []

    def make(radio, name, mode, **kw):
        vap = radio.create_vap(name, mode, **kw)
        vaps.append(vap)
        return vap

    # AP + station with dynamic WDS: a daemon makes the WDS vap for the station.
    ap = make(ra, "ap0", "hostap", ssid="core", channel=6, dwds=True)
    sta = make(rb, "sta0", "sta", ssid="core", dwds=True)
    daemon = WdsDaemon(ap, on_create=vaps.append)
    # An IBSS pair, an ad-hoc demo vap, a legacy WDS link between two APs, a monitor.
    ibss = [make(r, f"ibss{i}", "ibss", ssid="adhoc", channel=6) for i, r in enumerate((rc, rd))]
    make(re, "demo0", "ahdemo", channel=6)
    ap1 = make(rf, "ap1", "hostap", ssid="other", channel=6)
    make(rf, "wds1", "wds", bssid=ap.macaddr, flags=CloneFlags.WDSLEGACY)
    mon = make(rg, "mon0", "monitor", channel=6)
    mon.capture(tmp_path / "mon.pcap")
    for vap in list(vaps):
        vap.up()
    assert s.run_until(lambda: sta.state == State.RUN, 3 * SEC)
    eth = b"\x0a\x00\x00\x00\x00\x01" + b"\x0a\x00\x00\x00\x00\x02" + b"\x08\x00" + b"x" * 50
    assert sta.netdev.send(eth)  # bridged: 4-address, discovered by the AP
    s.run_for(1 * SEC)
    assert daemon.created == 1 and all(v.state == State.RUN for v in vaps), vaps
    assert ibss[0].bssid == ibss[1].bssid and ap1.state == State.RUN
    assert mon.inject(_null_frame(ap.macaddr))
    for vap in vaps:
        assert_closed(vap)
    for radio in d.devices:
        # what the framework and the driver keep on a device and its port is
        # declared (slots); their `__dict__` is only for a test's wrapper
        assert vars(radio) == {} and vars(radio.port) == {}, (vars(radio), vars(radio.port))
        assert Scanner.peek(radio) is None or not hasattr(Scanner.peek(radio), "__dict__")
    sta.down()  # the station leaves: the daemon reaps its WDS vap
    assert s.run_until(lambda: daemon.destroyed == 1, 3 * SEC)
    daemon.close()
    for vap in list(vaps):
        if vap.attached:
            vap.ic.destroy_vap(vap)
    for vap in vaps:
        assert_closed(vap)


def _null_frame(bssid: bytes) -> bytes:
    """A null data frame to `bssid`, for injection."""
    return bytes((0x48, 0x01, 0, 0)) + bssid + b"\x02\x00\x00\x00\x00\x99" + bssid + b"\x00\x00"


def test_mesh_point_keeps_to_its_declared_fields():
    s = Scheduler()
    d = open_driver("hwsim:ath", s, radios=1)
    mesh = d.devices[0].create_vap("mesh0", "mesh", channel=6)
    mesh.up()
    s.run_for(200 * MS)
    assert mesh.state == State.RUN
    assert_closed(mesh)
    d.devices[0].destroy_vap(mesh)
    assert_closed(mesh)


def test_p2p_device_go_and_client_keep_to_their_declared_fields():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.connect(a.address, "pbc", auth=True)
    a.connect(b.address, "pbc")
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED"), 5 * SEC)
    groups = [*a.groups.values(), *b.groups.values()]
    vaps = [a.wdev.vap, b.wdev.vap, *(g.vap for g in groups)]
    assert sorted(v.opmode.word for v in vaps) == ["p2p-client", "p2p-device", "p2p-device", "p2p-go"]
    assert all(v.p2p_group is g for v, g in zip(vaps[2:], groups, strict=True))
    for vap in vaps:
        assert_closed(vap)
    for g in groups:
        g.remove()
    s.run_for(100 * MS)
    for vap in vaps:
        assert_closed(vap)


def test_the_device_keeps_to_its_declared_fields():
    ic = IEEE80211Com(Scheduler(), "slots0", macaddr="02:00:00:00:00:01", caps=Caps.STA)
    assert not hasattr(ic, "__dict__")
    with pytest.raises(AttributeError):
        ic.not_a_device_field = 1  # type: ignore[attr-defined]


def test_a_driver_subclass_declares_its_fields_too():
    assert set(HwsimVap.__slots__) == {"addr_slot"}
    assert set(ExampleVap.__slots__) == {"hw_port", "hw_transitions"}
    assert not set(HwsimVap.__slots__) & set(IEEE80211Vap.__slots__)


# -- the static check ----------------------------------------------------------------------
def _slots_of(tree: ast.Module) -> dict[str, set[str]]:
    """Class name -> the names its `__slots__` tuple declares, for the classes of a module."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__"
                                                         for t in stmt.targets)):
                    out[node.name] = {e.value for e in ast.walk(stmt.value)
                                      if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


def _vap_classes() -> dict[str, set[str]]:
    """Every vap class of the project -> the fields it may write: its own
    slots and IEEE80211Vap's."""
    base = _slots_of(ast.parse((ROOT / "net80211" / "vap.py").read_text()))["IEEE80211Vap"]
    classes = {"IEEE80211Vap": base}
    for path in sorted((ROOT / "drivers").rglob("*.py")):
        classes.update(_subclasses(ast.parse(path.read_text()), classes))
    return classes


def _subclasses(tree: ast.Module, classes: dict[str, set[str]]) -> dict[str, set[str]]:
    """The vap classes a module defines -> their fields (their bases' and their own slots)."""
    slots = _slots_of(tree)
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            known = {**classes, **out}
            bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in known]
            if bases:
                out[node.name] = set().union(*(known[b] for b in bases)) | slots.get(node.name, set())
    return out


def _annotation_class(ann: ast.expr | None, classes: dict[str, set[str]]) -> str | None:
    """The vap class an annotation names (`IEEE80211Vap`, `HwsimVap | None`, "ExampleVap")."""
    if ann is None:
        return None
    for n in ast.walk(ann):
        name = n.id if isinstance(n, ast.Name) else n.value if isinstance(n, ast.Constant) else None
        if isinstance(name, str) and name in classes:
            return name
    return None


def undeclared_vap_writes(path: Path, classes: dict[str, set[str]], root: Path = ROOT) -> list[str]:
    """`<vap>.<name> = ...` (also augmented, annotated, tuple targets) and
    `setattr(<vap>, "<name>", ...)` in a module where `<name>` is not a field
    of the vap's class.  A vap is: a name `vap`, an attribute `.vap`, a name
    annotated with a vap class, or `self` in a vap class."""
    tree = ast.parse(path.read_text())
    found: list[str] = []
    classes = {**classes, **_subclasses(tree, classes)}
    # In a driver, `vap` is the driver's own vap: its fields count too.
    own = [name for name in classes if name != "IEEE80211Vap" and _defined_in(name, path.parent)]
    default = own[0] if len(own) == 1 else "IEEE80211Vap"

    def check(target: ast.expr, scope: dict[str, str], line: int) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                check(elt, scope, line)
            return
        if not isinstance(target, ast.Attribute):
            return
        recv = target.value
        cls = None
        if isinstance(recv, ast.Name):
            cls = scope.get(recv.id)
        elif isinstance(recv, ast.Attribute) and recv.attr == "vap":
            cls = default
        if cls is not None and target.attr not in classes[cls]:
            found.append(f"{path.relative_to(root)}:{line}: {ast.unparse(target)}")

    def visit(node: ast.AST, scope: dict[str, str]) -> None:
        if isinstance(node, ast.ClassDef):
            inner = dict(scope)
            if node.name in classes:
                inner["self"] = node.name
            else:
                inner.pop("self", None)
            for child in node.body:
                visit(child, inner)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inner = dict(scope)
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                cls = _annotation_class(getattr(a, "annotation", None), classes)
                if cls is not None:
                    inner[a.arg] = cls
                elif a.arg == "vap":
                    inner[a.arg] = default
                elif a.arg != "self":
                    inner.pop(a.arg, None)
            body = node.body if isinstance(node.body, list) else [node.body]
            for child in body:
                visit(child, inner)
            return
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            cls = _annotation_class(node.annotation, classes)
            if cls is not None:
                scope[node.target.id] = cls
        if isinstance(node, ast.Assign):
            for t in node.targets:
                check(t, scope, node.lineno)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            check(node.target, scope, node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            check(ast.Attribute(value=node.args[0], attr=node.args[1].value), scope, node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, {"vap": default})
    return found


def _defined_in(cls: str, package: Path) -> bool:
    """Whether vap class `cls` is defined by a module of `package` (a driver's directory)."""
    if package == ROOT / "net80211" or not package.is_relative_to(ROOT / "drivers"):
        return False
    return any(f"class {cls}(" in p.read_text() for p in package.glob("*.py"))


def test_no_project_code_writes_an_undeclared_vap_attribute():
    classes = _vap_classes()
    assert {"IEEE80211Vap", "HwsimVap", "ExampleVap"} <= set(classes)
    found = [hit for pkg in ("net80211", "drivers") for path in sorted((ROOT / pkg).rglob("*.py"))
             for hit in undeclared_vap_writes(path, classes)]
    assert found == []


def test_the_static_check_finds_what_it_looks_for(tmp_path):
    classes = _vap_classes()
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(vap):\n    vap.swbmiss_count = 0\n"
        "def g(ap: IEEE80211Vap):\n    ap.dwds_listeners = []\n"
        "def h(w):\n    setattr(w.vap, 'p2p_started', True)\n    w.vap.state, w.vap.oops = 1, 2\n"
        "class V(IEEE80211Vap):\n    def m(self):\n        self.mine = 1\n        self.ssid = b''\n"
        "def ok(vap: HwsimVap, other):\n    vap.addr_slot = 1\n    vap.sta = None\n    other.x = 1\n")
    found = [h.split(": ", 1)[1] for h in undeclared_vap_writes(bad, classes, root=tmp_path)]
    assert found == ["vap.swbmiss_count", "ap.dwds_listeners", "w.vap.p2p_started", "w.vap.oops", "self.mine"]



def test_state_views_of_a_detached_or_other_mode_vap():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    r = d.devices[0]
    sta, mon = r.create_vap("sta0", "sta"), r.create_vap("mon0", "monitor")
    assert sta.last_status is None and sta.bss_node is None and sta.sta_fails == {}
    with pytest.raises(AttributeError, match="monitor vap has no 'last_status'"):
        mon.last_status  # noqa: B018
    for vap in (sta, mon):
        r.destroy_vap(vap)
    # Dropped with the vap: optional references read None, the rest are gone.
    assert sta.bss_node is None and mon.pcap is None and mon.stop_capture() == 0
    with pytest.raises(AttributeError):
        sta.last_reason  # noqa: B018
    with pytest.raises(OSError) as e:
        mon.capture("/nonexistent/x.pcap")
    assert e.value.errno == errno.ENXIO
