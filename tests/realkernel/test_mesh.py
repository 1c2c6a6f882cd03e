"""802.11s mesh through hwsim-mediumd: real wpa_supplicant mesh points on a line of
radios where each hears only its neighbours, so frames cross several hops on paths the
kernel's HWMP finds.  What hostap's test_wmediumd.py checks with wmediumd's `prob` model
(path_simple, path_ttl, path_rann), written for this project's CI, which cannot get
hostap's test sources: one boot, in phases.

1. The ends' path requests live 3 hops (mesh_element_ttl=3): the far end, 4 hops away,
   is not found (its path has no next hop) and pings are lost; with 4 they get through,
   and the far end pings back.
2. The ends forget their paths, and the middle node announces itself as a root (RANN,
   proactive): with no data sent, the ends find a path to it through their neighbour."""

from __future__ import annotations

import re

import pytest
from support.realkernel import Vm, VmResult, mediumd
from support.realkernel.initramfs import RESULTS_DIR

from .helpers import ping_received

pytestmark = pytest.mark.realkernel

NODES = 5
ROOT = 2
FREQ = 2462


def _addr(n: int) -> str:
    return f"02:00:00:00:{n:02x}:00"


def _ip(n: int) -> str:
    return f"10.81.0.{n + 1}"


def line_config(n: int) -> str:
    """wmediumd's `prob` model: neighbours on the line lose nothing, every other pair everything."""
    ids = ", ".join(f'"{_addr(i)}"' for i in range(n))
    links = ",\n".join(f"        ({i}, {i + 1}, 0.0)" for i in range(n - 1))
    return (f"ifaces : {{ ids = [ {ids} ]; }};\n"
            f'model : {{ type = "prob"; default_prob = 1.0;\n    links = (\n{links}\n    );\n}};\n')


def _job(n: int) -> str:
    conf = f"""ctrl_interface=/run/wpa_supplicant
network={{
    ssid="net80211-mesh"
    mode=5
    frequency={FREQ}
    key_mgmt=NONE
    mesh_basic_rates=60 120 240
}}
"""
    lines = [mediumd.start(line_config(n), mediumd.kernel_mode_args() or []),
             f"cat > /run/mesh.conf <<'CONF'\n{conf}CONF\n"]
    for i in range(n):
        lines.append(f"""ip netns add m{i}
iw phy "$(cat /sys/class/net/wlan{i}/phy80211/name)" set netns name m{i}
ip -n m{i} link set lo up
ip -n m{i} addr add {_ip(i)}/24 dev wlan{i}
ip netns exec m{i} wpa_supplicant -B -t -i wlan{i} -c /run/mesh.conf -f {RESULTS_DIR}/wpa_supplicant{i}.log
""")
    def iw(i: int, args: str) -> str:
        return f"ip netns exec m{i} iw dev wlan{i} {args}"

    # every node peers with its neighbours on the line: the ends with one, the others with two
    for i in range(n):
        want = 1 if i in (0, n - 1) else 2
        lines.append(f"wait_for 120 sh -c '[ $({iw(i, 'station dump')} "
                     f"| grep -c \"mesh plink:.*ESTAB\") -ge {want} ]' || true\n")
    far = n - 1
    ping = f"ping -c 5 -i 0.3 -W 3 {_ip(far)}"
    # both ends: the far end's path request for the ARP reply would otherwise teach node 0
    # the path back (the reverse path of a request)
    ends_ttl = "".join(iw(i, "set mesh_param mesh_element_ttl={ttl}") + "\n" for i in (0, far))
    lines.append(ends_ttl.format(ttl=3)
                 + f"ip netns exec m0 {ping} > {RESULTS_DIR}/ping_ttl3.txt 2>&1 || true\n"
                 f"{iw(far, 'mpath dump')} > {RESULTS_DIR}/mpath_ttl3.txt 2>&1\n"
                 + ends_ttl.format(ttl=4)
                 + f"ip netns exec m0 {ping.replace('-c 5', '-c 10')} "
                 f"> {RESULTS_DIR}/ping_end.txt 2>&1 || true\n"
                 f"ip netns exec m{far} ping -c 5 -i 0.3 -W 3 {_ip(0)} "
                 f"> {RESULTS_DIR}/ping_back.txt 2>&1 || true\n")
    for i in range(n):
        lines.append(f"{iw(i, 'mpath dump')} > {RESULTS_DIR}/mpath_{i}.txt 2>&1\n")
    # the ends forget every path; then the middle node announces itself as a root (RANN,
    # proactive): with no data sent, the ends' paths to it come back from its announcements
    for i in (0, far):
        lines.append(f"for a in $({iw(i, 'mpath dump')} | awk '/^[0-9a-f][0-9a-f]:/ {{print $1}}'); do "
                     f"{iw(i, 'mpath del')} $a; done\n"
                     f"{iw(i, 'mpath dump')} > {RESULTS_DIR}/mpath_flushed_{i}.txt 2>&1\n")
    lines.append(f"{iw(ROOT, 'set mesh_param mesh_hwmp_rootmode=4')}\n"
                 f"{iw(ROOT, 'set mesh_param mesh_hwmp_rann_interval=2000')}\n")
    for i in (0, far):
        lines.append(f"wait_for 60 sh -c '{iw(i, 'mpath dump')} | grep -q ^{_addr(ROOT)}' || true\n"
                     f"{iw(i, 'mpath dump')} > {RESULTS_DIR}/mpath_rann_{i}.txt 2>&1\n")
    for i in range(n):
        lines.append(f"{iw(i, 'station dump')} > {RESULTS_DIR}/peers_{i}.txt 2>&1\n")
    lines.append(mediumd.stop())
    return "".join(lines)


@pytest.fixture(scope="module")
def line(vm: Vm) -> VmResult:
    return vm.run(_job(NODES), radios=NODES, timeout_s=600).check()


def _next_hops(text: str) -> dict[str, str]:
    """`iw mpath dump`: destination -> next hop."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^([0-9a-f:]{17})\s+([0-9a-f:]{17})", text, re.M)}


def test_mesh_points_peer_only_with_their_neighbours(line: VmResult) -> None:
    for i in range(NODES):
        peers = set(re.findall(r"^Station ([0-9a-f:]{17})", line.text(f"peers_{i}.txt"), re.M))
        neighbours = {_addr(j) for j in (i - 1, i + 1) if 0 <= j < NODES}
        assert peers == neighbours, (i, line.text(f"peers_{i}.txt"), line.text("mediumd.log"))


def test_a_root_announcement_gives_every_node_a_path_to_the_root(line: VmResult) -> None:
    for i, toward in ((0, _addr(1)), (NODES - 1, _addr(NODES - 2))):
        flushed = line.text(f"mpath_flushed_{i}.txt")
        assert _addr(ROOT) not in _next_hops(flushed), flushed
        hops = _next_hops(line.text(f"mpath_rann_{i}.txt"))
        assert hops.get(_addr(ROOT)) == toward, line.text(f"mpath_rann_{i}.txt")


def test_path_requests_reach_as_far_as_their_ttl(line: VmResult) -> None:
    ttl3 = line.text("ping_ttl3.txt")
    assert ping_received(ttl3)[1] == 0, ttl3
    # node 0's ARP request reached the far end (broadcasts are flooded, not routed), whose
    # path request for the reply did not reach node 0: a path with no next hop
    assert _next_hops(line.text("mpath_ttl3.txt")).get(_addr(0)) == "00:00:00:00:00:00", \
        line.text("mpath_ttl3.txt")


def test_frames_cross_the_line_on_hwmp_paths(line: VmResult) -> None:
    """The ends reach each other over NODES - 1 hops, both ways, and every node's path to
    each other node goes through the neighbour towards it."""
    end = line.text("ping_end.txt")
    assert ping_received(end)[1] >= 7, end + line.text("mediumd.log")  # the first may wait for the path
    assert ping_received(line.text("ping_back.txt"))[1] >= 4, line.text("ping_back.txt")
    for i in (0, NODES - 1):
        hops = _next_hops(line.text(f"mpath_{i}.txt"))
        toward = _addr(1) if i == 0 else _addr(NODES - 2)
        far = _addr(NODES - 1) if i == 0 else _addr(0)
        assert hops.get(far) == toward, line.text(f"mpath_{i}.txt")
        assert _addr(i) not in hops  # no path to itself
    counters = dict(re.findall(r"(\w+) (\d+)", line.text("mediumd.log").split("done (SIGTERM):")[1]))
    assert counters["refused"] == counters["errors"] == "0", line.text("mediumd.log")
