"""hwsim-mediumd serving the kernel and drivers' sockets in one medium.

The kernel is the fake one (fakekernel.py); the drivers are real project
worlds (`HwsimMedium.serve`) on one virtual-time scheduler; the daemon runs
in real time in its own thread, as the process would.
"""

import threading
import time

import pytest

from drivers.hwsim.external import genl
from drivers.hwsim.external.genl import Attr, Cmd, Message
from drivers.hwsim.external.mediumd import MediumDaemon, MediumError
from drivers.hwsim.external.transport import open_unix
from ic import SEC, State
from ic.sched import MS, Scheduler
from net80211.driver import open_driver
from net80211.wire.pcap import read_pcap
from net80211.wire.radiotap import parse_radiotap_frame

from .fakekernel import FakeKernel
from .helpers import mac, probe_req

# kernel radio 0, project radios 100 and 200 (named by interface address), one modeled medium
CFG = """
ifaces : { ids = [ "42:00:00:00:00:00", "02:00:00:00:64:00", "02:00:00:00:c8:00" ]; };
model : { type = "snr"; default_snr = 30; links = ( (0, 1, 40), (0, 2, 38), (1, 2, 36) ); };
"""


def hw(i: int) -> bytes:
    return bytes((0x42, 0, 0, (i >> 8) & 0xFF, i & 0xFF, 0))


class Mixed:
    """A fake kernel and project worlds, all served by one daemon thread."""

    def __init__(self, tmp_path, firsts=(100,), nkernel: int = 2) -> None:
        cfg = tmp_path / "mixed.cfg"
        cfg.write_text(CFG)
        self.d = MediumDaemon(str(cfg))  # real time, as the process runs it
        self.fk = FakeKernel(nkernel)
        self.fk.handshake(self.d)
        self.fk.daemon = None  # the daemon runs in its own thread from now on: never poll it from here
        self.tmp = tmp_path
        self.s = Scheduler()
        self.drivers = []
        self.exts = []
        for k, first in enumerate(firsts):
            drv = open_driver("hwsim", self.s, radios=1, first_radio=first)
            ext = drv.medium.serve(str(tmp_path / f"drv{k}.sock"))
            t = threading.Thread(target=self.d.connect, args=(open_unix(ext.path),))
            t.start()
            assert ext.wait_for_client(10)
            t.join(10)
            self.drivers.append(drv)
            self.exts.append(ext)
        self.thread = threading.Thread(target=self.d.run)
        self.thread.start()

    def kernel_tx(self, radio_id: int, frame: bytes) -> int:
        return self.fk.tx(radio_id, frame)

    def run(self, ns: int, until=lambda: False) -> bool:
        """Run the project worlds (virtual time, held while the daemon owes statuses)
        and answer the fake kernel's side, until `until()` or `ns` of virtual time."""
        end = self.s.now_ns + ns
        while self.s.now_ns < end:
            self.s.run_for(min(5 * MS, end - self.s.now_ns))
            self.s.poll_io(0.002)
            self.fk._drain()
            if until():
                return True
        return until()

    def settle(self, until, timeout_s: float = 10) -> bool:
        """Wait in real time for what the daemon thread does (frames from the fake kernel)."""
        deadline = time.monotonic() + timeout_s
        while not until() and time.monotonic() < deadline:
            self.s.poll_io(0.005)
            self.fk._drain()
        return until()

    def close(self) -> None:
        self.d.done = True
        self.d.sched.stop()
        self.thread.join(10)
        for ext in self.exts:
            ext.close()
        for drv in self.drivers:
            drv.close()
        self.fk.close()


@pytest.fixture
def mixed(tmp_path):
    worlds = []

    def make(**kw):
        m = Mixed(tmp_path, **kw)
        worlds.append(m)
        return m

    yield make
    for m in worlds:
        m.close()


def test_one_daemon_serves_the_kernel_and_a_driver_in_one_medium(mixed):
    m = mixed()
    d = m.d
    assert [p.kind for p in d.peers] == ["kernel", "unix"] and d.peers[0].family != d.peers[1].family
    # the config places both sides: kernel radio 0 on station 0, the project's radio 100 on station 1
    radios = {(p, r.hw): r.station for (p, _), r in d.stations.radios.items()}
    assert radios[(0, hw(0))] == 0 and radios[(1, hw(100))] == 1
    assert radios[(0, hw(1))] >= 3  # a kernel radio the config does not list: a default station


def test_a_project_ap_s_beacons_reach_the_kernel_and_the_kernel_s_frames_reach_project_vaps(mixed):
    m = mixed(firsts=(100, 200))
    ap_radio, mon_radio = m.drivers[0].devices[0], m.drivers[1].devices[0]
    ap = ap_radio.create_vap("wlan0", "hostap", ssid="mixed", channel=1)
    mon = mon_radio.create_vap("mon0", "monitor", channel=1)
    pcap = m.tmp / "mon0.pcap"
    mon.capture(str(pcap))

    def seen() -> list[bytes]:
        mon.stop_capture()
        out = [parse_radiotap_frame(rec)[1] for _, rec, _ in read_pcap(str(pcap))[1]]
        mon.capture(str(pcap))
        return out

    ap.up()
    mon.up()
    # beacons of the project AP reach the kernel's radios, encoded in the kernel's family
    assert m.run(2 * SEC, lambda: any(x.attrs[Attr.FRAME][:1] == b"\x80" for x in m.fk.radios[0].rx))
    b = next(x for x in m.fk.radios[0].rx if x.attrs[Attr.FRAME][:1] == b"\x80")
    assert b.type == m.fk.family and b.attrs[Attr.ADDR_RECEIVER] == hw(0)
    assert b.attrs[Attr.FRAME][10:16] == ap.macaddr and b.attrs[Attr.FREQ] == 2412
    assert b.attrs[Attr.SIGNAL] == -91 + 40  # the config's link between station 1 and station 0
    # ... and their statuses go back to the driver, not to the kernel
    c = m.drivers[0].counters()
    assert c["tx_status"] > 0 and c.get("ext_timeouts", 0) == 0 and c.get("ext_unknown_cookie", 0) == 0
    assert all(r.status == [] for r in m.fk.radios.values())  # the kernel's radios sent nothing yet
    # the kernel's radio scans: its probe request reaches the project AP and the monitor,
    # the AP's probe response reaches the kernel radio, each status to its own sender
    cookie = m.kernel_tx(0, probe_req(mac(0)))
    assert m.run(SEC, lambda: any(x.attrs[Attr.FRAME][:1] == b"\x50" for x in m.fk.radios[0].rx))
    resp = next(x for x in m.fk.radios[0].rx if x.attrs[Attr.FRAME][:1] == b"\x50")
    assert resp.attrs[Attr.FRAME][4:10] == mac(0) and resp.attrs[Attr.FRAME][10:16] == ap.macaddr
    assert m.settle(lambda: bool(m.fk.radios[0].status))
    (st,) = m.fk.radios[0].status
    assert st.type == m.fk.family and st.attrs[Attr.COOKIE] == cookie
    assert st.attrs[Attr.ADDR_TRANSMITTER] == hw(0)
    assert m.fk.radios[0].pending == {} and m.fk.refused == []
    assert m.d.stats["unknown_sender"] == 0 and m.d.stats["refused"] == 0
    heard = seen()
    assert any(f[:1] == b"\x40" and f[10:16] == mac(0) for f in heard)  # the kernel's probe request
    assert any(f[:1] == b"\x80" and f[10:16] == ap.macaddr for f in heard)  # the other driver's AP
    # unicast reaches its receiver only, as with wmediumd: the answer was not for the monitor's radio
    assert not any(f[:1] == b"\x50" for f in heard)
    assert m.drivers[0].counters().get("ext_unknown_cookie", 0) == 0


def test_a_project_sta_associates_with_a_project_ap_of_another_driver_beside_the_kernel(mixed):
    m = mixed(firsts=(100, 200))
    ap = m.drivers[0].devices[0].create_vap("wlan0", "hostap", ssid="across", channel=1)
    sta = m.drivers[1].devices[0].create_vap("wlan1", "sta", ssid="across")
    ap.up()
    sta.up()
    assert m.run(10 * SEC, lambda: sta.state == State.RUN)
    assert sta.bss_chan is not None and sta.bss_chan.freq == 2412
    # the kernel's radios heard the AP's beacons but were never part of the exchange
    assert any(x.attrs[Attr.FRAME][:1] == b"\x80" for x in m.fk.radios[0].rx)
    for k in (0, 1):
        c = m.drivers[k].counters()
        assert c.get("ext_timeouts", 0) == 0 and c.get("ext_unknown_cookie", 0) == 0
    assert m.d.stats["refused"] == 0 and m.d.stats["unknown_sender"] == 0


def test_radios_with_one_address_on_two_sides_are_kept_apart_and_reported(mixed, caplog):
    m = mixed(firsts=(0,))  # the driver numbers its radio 0 like the kernel's radio 0
    keys = set(m.d.stations.radios)
    assert (0, hw(0)) in keys and (1, hw(0)) in keys  # two radios, not one
    assert m.d.stats["address_clashes"] == 1 and "first_radio" in caplog.text


def test_a_driver_that_leaves_takes_its_radios_and_the_kernel_is_still_served(mixed):
    m = mixed()
    m.exts[0].close()  # the project world stops serving: the daemon loses that peer only
    assert m.settle(lambda: m.d.peers[1].closed)
    assert not any(p == 1 for p, _ in m.d.stations.radios) and not m.d.done
    m.kernel_tx(0, probe_req(mac(0)))
    assert m.settle(lambda: bool(m.fk.radios[0].status))
    assert m.fk.radios[1].rx and m.fk.radios[1].rx[-1].attrs[Attr.FRAME][10:16] == mac(0)


def test_a_driver_refusing_registration_leaves_nothing_behind(tmp_path):
    cfg = tmp_path / "mixed.cfg"
    cfg.write_text(CFG)
    d = MediumDaemon(str(cfg), sched=Scheduler())
    fk = FakeKernel(1)
    fk.handshake(d)
    s = Scheduler()
    drv = open_driver("hwsim", s, radios=1, first_radio=100)
    ext = drv.medium.serve(str(tmp_path / "busy.sock"))
    try:
        first = open_unix(ext.path)  # a first medium registers with the driver: the daemon then gets EBUSY
        first.sock.send(genl.encode(Message(Cmd.REGISTER, type=genl.FAMILY_ID,
                                            flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK)))
        assert ext.wait_for_client(5)
        err: list[Exception] = []

        def connect():
            try:
                d.connect(open_unix(ext.path))
            except MediumError as e:
                err.append(e)

        t = threading.Thread(target=connect)
        t.start()
        deadline = time.monotonic() + 10
        while t.is_alive() and time.monotonic() < deadline:
            s.poll_io(0.01)
        t.join(1)
        assert err and "EBUSY" in str(err[0])
        assert len(d.peers) == 1 and all(p == 0 for p, _ in d.stations.radios)
        first.close()
    finally:
        ext.close()
        drv.close()
        fk.close()


def test_the_daemon_process_serves_two_drivers_in_one_medium(tmp_path):
    """`hwsim-mediumd -c CFG -s A -s B`: two project worlds' radios meet in the daemon's medium."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    cfg = tmp_path / "mixed.cfg"
    cfg.write_text(CFG)
    s = Scheduler()
    drvs = [open_driver("hwsim", s, radios=1, first_radio=first) for first in (100, 200)]
    exts = [d.medium.serve(str(tmp_path / f"{k}.sock")) for k, d in enumerate(drvs)]
    run = [sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", str(cfg)]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    twice = subprocess.run(run + ["-s", exts[0].path, "-s", exts[0].path], capture_output=True, text=True,
                           env=env)
    assert twice.returncode == 2 and "named twice" in twice.stderr
    proc = subprocess.Popen(run + ["-s", exts[0].path, "-s", exts[1].path], stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert exts[0].wait_for_client(20) and exts[1].wait_for_client(20)
        ap = drvs[0].devices[0].create_vap("wlan0", "hostap", ssid="two", channel=1)
        sta = drvs[1].devices[0].create_vap("wlan1", "sta", ssid="two")
        ap.up()
        sta.up()
        assert s.run_until(lambda: sta.state == State.RUN, 10 * SEC)
        assert all(d.counters().get("ext_timeouts", 0) == 0 for d in drvs)
        assert all(d.counters()["ext_rx"] > 0 for d in drvs)  # each got deliveries through the daemon
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        for e in exts:
            e.close()
        for d in drvs:
            d.close()
    assert proc.returncode == 0, err
    assert err.count("registered with") == 2 and "frames" in err and os.path.basename(exts[1].path) in err


SCENARIO = """
[scenario]
name = "served"
seconds = {seconds}

[medium]
socket = "{sock}"
first_radio = 100
wait = {wait}

[radios]
names = ["ap", "sta"]

[[vaps]]
name = "ap0"
radio = "ap"
mode = "hostap"
ssid = "served"
channel = 1

[[vaps]]
name = "sta0"
radio = "sta"
mode = "sta"
ssid = "served"
channel = 1

[[traffic]]
type = "ping"
from = "sta0"
to = "ap0"
count = 3
interval = 0.2
start = 1.0
"""


def test_a_scenario_served_to_an_external_medium_runs_in_real_time_through_it(tmp_path):
    """[medium] socket: the run waits for hwsim-mediumd, then every frame goes through it."""
    import os

    from net80211.scenario import loads_scenario, run_scenario

    cfg = tmp_path / "mixed.cfg"
    cfg.write_text(CFG)
    sock = str(tmp_path / "scenario.sock")
    d = MediumDaemon(str(cfg))
    seen: set = set()

    def daemon():
        # set-up: the socket appears once the scenario has built its world
        deadline = time.monotonic() + 20
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.01)
        d.connect(open_unix(sock))
        seen.update(hw for _, hw in d.stations.radios)
        d.run()

    t = threading.Thread(target=daemon)
    t.start()
    try:
        result = run_scenario(loads_scenario(SCENARIO.format(seconds=2.5, sock=sock, wait=20)))
        assert t.is_alive() or d.done
    finally:
        d.done = True
        d.sched.stop()
        t.join(10)
    assert result["medium_model"] == "external"
    vaps = {v["name"]: v for v in result["vaps"]}
    assert vaps["sta0"]["state"] == "RUN"
    (ping,) = result["traffic"]
    assert ping["received"] == 3, ping
    # the radios were numbered from 100, and every frame crossed the daemon
    assert seen == {hw(100), hw(101)}
    assert not d.stations.radios  # the world closed: its radios left the medium
    assert 0 < result["medium"]["ext_tx"] <= d.stats["frames"]  # the summary is taken before the end
    assert result["medium"].get("ext_timeouts", 0) == 0


def test_a_scenario_s_external_medium_is_checked(tmp_path):
    from net80211.scenario import ScenarioError, loads_scenario, run_scenario

    bad = SCENARIO.format(seconds=1, sock=tmp_path / "x.sock", wait=1).replace(
        "first_radio = 100", 'model = "snr"')
    with pytest.raises(ScenarioError, match="models the air itself"):
        loads_scenario(bad)
    alone = SCENARIO.format(seconds=1, sock="", wait=1).replace('socket = ""\n', "")
    with pytest.raises(ScenarioError, match="only with socket"):
        loads_scenario(alone)
    nobody = loads_scenario(SCENARIO.format(seconds=1, sock=tmp_path / "none.sock", wait=0.3))
    t0 = time.monotonic()
    with pytest.raises(ScenarioError, match="no external medium registered") as e:
        run_scenario(nobody)
    assert 0.3 <= time.monotonic() - t0 < 5 and "hwsim-mediumd -s" in str(e.value)
    assert not (tmp_path / "none.sock").exists()  # the world was closed, its socket with it


WLANCTL_CONFIG = """
[defaults]
netdev = "queue"

[[devices]]
driver = "hwsim"
radios = 1
first_radio = 100
medium_socket = "{sock}"

[[vaps]]
name = "wlan100"
wlandev = "hwsim100"
wlanmode = "hostap"
ssid = "lab"
channel = 1
up = true
"""


def test_a_wlanctl_daemon_and_another_world_share_the_daemon_s_medium(tmp_path):
    """The documented set-up: `wlanctl serve` with medium_socket and first_radio, and a
    world of the API, both served by one hwsim-mediumd process; a STA of one joins the AP of the other."""
    import json
    import os
    import shutil
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from support.wlanctl import short_tmpdir, start_process_daemon

    work = short_tmpdir()
    root = Path(__file__).resolve().parents[3]
    cfg = tmp_path / "mixed.cfg"
    cfg.write_text(CFG)
    ctl_medium = os.path.join(work, "wlanctl-medium.sock")
    wlanctl, ctl = start_process_daemon(work, WLANCTL_CONFIG.format(sock=ctl_medium))
    s = Scheduler(realtime=True)
    drv = open_driver("hwsim", s, radios=1, first_radio=200)
    ext = drv.medium.serve(os.path.join(work, "api-medium.sock"))
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    mediumd = subprocess.Popen([sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", str(cfg),
                                "-s", ctl_medium, "-s", ext.path], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert ext.wait_for_client(30)
        sta = drv.devices[0].create_vap("wlan200", "sta", ssid="lab")
        sta.up()
        assert s.run_until(lambda: sta.state == State.RUN, 10 * SEC)
        exe = os.path.join(os.path.dirname(sys.executable), "wlanctl")
        out = subprocess.run([exe, "--socket", ctl, "--json", "wlan100", "list", "sta"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        stations = json.loads(out.stdout)["stations"]
        assert [st["macaddr"] for st in stations] == ["02:00:00:00:c8:00"]
        assert sta.bssid == bytes.fromhex("020000006400")
    finally:
        wlanctl.send_signal(signal.SIGTERM)
        wlanctl.wait(60)
        mediumd.send_signal(signal.SIGTERM)
        _, err = mediumd.communicate(timeout=30)
        ext.close()
        drv.close()
        shutil.rmtree(work, ignore_errors=True)
    assert err.count("registered with") == 2, err


def test_the_daemon_captures_the_frames_of_every_peer(tmp_path):
    """--pcap: the whole medium, unicast included, kernel's and driver's radios alike."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from net80211.wire.ctrl import Ack
    from net80211.wire.decode import parse_frame
    from net80211.wire.mgmt import AssocReq, AssocResp, Beacon, MgmtFrame

    root = Path(__file__).resolve().parents[3]
    cfg = tmp_path / "mixed.cfg"
    cfg.write_text(CFG)
    pcap = tmp_path / "air.pcap"
    s = Scheduler()
    drvs = [open_driver("hwsim", s, radios=1, first_radio=first) for first in (100, 200)]
    exts = [d.medium.serve(str(tmp_path / f"{k}.sock")) for k, d in enumerate(drvs)]
    run = [sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", str(cfg)]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    bad = subprocess.run(run + ["--pcap", str(tmp_path / "no" / "x.pcap"), "-s", exts[0].path],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "x.pcap" in bad.stderr and not exts[0].registered
    proc = subprocess.Popen(run + ["--pcap", str(pcap), "-s", exts[0].path, "-s", exts[1].path],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert exts[0].wait_for_client(20) and exts[1].wait_for_client(20)
        ap = drvs[0].devices[0].create_vap("wlan0", "hostap", ssid="cap", channel=1)
        sta = drvs[1].devices[0].create_vap("wlan1", "sta", ssid="cap")
        ap.up()
        sta.up()
        assert s.run_until(lambda: sta.state == State.RUN, 10 * SEC)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        for e in exts:
            e.close()
        for d in drvs:
            d.close()
    assert proc.returncode == 0, err
    frames = [parse_frame(parse_radiotap_frame(rec)[1]) for _, rec, _ in read_pcap(str(pcap))[1]]
    mgmt = [f for f in frames if isinstance(f, MgmtFrame)]
    assert any(isinstance(f.body, Beacon) and f.sa == ap.macaddr for f in mgmt)
    assert any(isinstance(f.body, AssocReq) and f.sa == sta.macaddr and f.da == ap.macaddr for f in mgmt)
    assert any(isinstance(f.body, AssocResp) and f.da == sta.macaddr for f in mgmt)
    # Each acknowledged frame is followed by its ACK, as the kernel's hwsim0 shows them.
    acks = [f for f in frames if isinstance(f, Ack)]
    assert any(f.ra == sta.macaddr for f in acks) and any(f.ra == ap.macaddr for f in acks)
    # Timestamps are the wall clock (the daemon runs in real time), not 1970.
    assert all(ts > 1_600_000_000 * SEC for ts, _, _ in read_pcap(str(pcap))[1])
    assert "captured" in err and os.path.getsize(pcap) > 24
