"""hwsim-wmediumd run as wmediumd is: its command line, output and exit codes,
and Mininet-WiFi's way of using it (`wmediumd -l 0 -s -c CFG -x TABLE`, then a
control connection) against a driver's external medium."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hwsim.external.wmconfig import ConfigError
from drivers.hwsim.external.wmediumd_cli import kernel_per_table, read_signal_table
from drivers.hwsim.kernel import model
from ic.sched import MS

from .helpers import data, mac
from .test_external import World

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(sys.executable).parent / "hwsim-wmediumd"
CFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };
model : { type = "snr"; default_snr = 40; links = ( (0, 1, 35), (0, 2, 25), (1, 2, 30) ); };
"""
HELP_HEAD = ("wmediumd v0.3.1 - a wireless medium simulator\n"
             "wmediumd [-h] [-V] [-s] [-l LOG_LVL] [-x FILE] -c FILE\n")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("WMEDIUMD_DRIVER_SOCKET", None)


@pytest.fixture(scope="module")
def wmediumd(tmp_path_factory) -> str:
    """The console script, installed under the name wmediumd (the documented drop-in)."""
    assert SCRIPT.exists(), "make venv installs hwsim-wmediumd"
    bindir = tmp_path_factory.mktemp("bin")
    (bindir / "wmediumd").symlink_to(SCRIPT)
    return str(bindir / "wmediumd")


def run(wmediumd: str, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([wmediumd, *args], capture_output=True, text=True, env=kw.pop("env", ENV),
                          timeout=60, **kw)


def test_help_and_version(wmediumd):
    r = run(wmediumd, "-h")
    assert r.returncode == 0 and r.stdout.startswith(HELP_HEAD)
    assert "  -s              start the server on a socket\n" in r.stdout
    r = run(wmediumd, "-V")
    # hostap's test_wmediumd.py reads the version as the second word, less its "v"
    assert (r.returncode, r.stdout) == (0, "wmediumd v0.3.1 - a wireless medium simulator for "
                                           "mac80211_hwsim\n")


@pytest.mark.parametrize("args, out, err", [
    ((), "", "This program needs arguments....\n"),
    (("-z",), "wmediumd: Error - No such option: `z'\n", "wmediumd: invalid option -- 'z'\n"),
    (("-s", "-c"), "wmediumd: Error - No such option: `c'\n",
     "wmediumd: option requires an argument -- 'c'\n"),
    (("-l", "8", "-c", "x.cfg"), "wmediumd: Error - Invalid RFC 5424 severity level: 8\n", ""),
    (("-l", "high", "-c", "x.cfg"), "wmediumd: Error - Invalid RFC 5424 severity level: high\n", ""),
    (("-s", "-l", "0"), "wmediumd: config file must be supplied\n", ""),
    (("-d", "-c", "x.cfg"), "wmediumd: cannot use dynamic complex mode with config file\n", ""),
    (("-d",), "wmediumd: dynamic complex mode requires the server option\n", ""),
    (("-c", "x.cfg", "extra"), "", ""),
])
def test_bad_command_lines_print_the_help_and_exit_1(wmediumd, args, out, err):
    r = run(wmediumd, *args)
    assert r.returncode == 1
    assert r.stdout.startswith(out) and HELP_HEAD in r.stdout
    assert r.stderr.startswith(err)


def test_refusals_say_why(wmediumd, tmp_path):
    r = run(wmediumd, "-d", "-s")
    assert r.returncode == 1 and "dynamic complex mode (-d) is not supported" in r.stderr
    r = run(wmediumd, "-c", str(tmp_path / "none.cfg"))
    assert r.returncode == 1 and r.stderr.startswith(f"Error loading file {tmp_path / 'none.cfg'}")
    (tmp_path / "bad.cfg").write_text("ifaces : { ids = [ ")
    r = run(wmediumd, "-l", "0", "-c", str(tmp_path / "bad.cfg"))
    assert r.returncode == 1 and r.stdout == r.stderr == ""  # -l 0: not even errors are logged
    (tmp_path / "ok.cfg").write_text(CFG)
    r = run(wmediumd, "-c", str(tmp_path / "ok.cfg"), "--driver", str(tmp_path / "gone.sock"))
    assert r.returncode == 1 and f"Error connecting to the driver: {tmp_path / 'gone.sock'}" in r.stderr
    assert r.stdout.startswith(f"Input configuration file: {tmp_path / 'ok.cfg'}\n#_if = 3\n"
                               "Added station 0: 02:00:00:00:00:00\n")
    r = run(wmediumd, "-x", str(tmp_path / "table"), "-c", str(tmp_path / "ok.cfg"), "--driver", "/none")
    assert r.returncode == 1 and r.stdout.startswith(f"Input packet error rate file: {tmp_path / 'table'}\n")
    assert "fopen failed No such file or directory" in r.stderr
    (tmp_path / "prob.cfg").write_text(CFG.replace('"snr"', '"prob"').replace("35", "0.5")
                                       .replace("25", "0.1").replace("30)", "0.2)"))
    r = run(wmediumd, "-x", str(tmp_path / "ok.cfg"), "-c", str(tmp_path / "prob.cfg"))
    assert r.returncode == 1 and "per_file and error_probs could not be used at the same time" in r.stderr
    r = run(wmediumd, "-c", str(tmp_path / "ok.cfg"), "--driver", str(tmp_path / "no.sock"))
    assert r.returncode == 1 and "Error connecting to the driver" in r.stderr


# -- the signal table (-x) -----------------------------------------------------------------------
def table_text(threshold_dbm: int) -> str:
    """PER 1 below `threshold_dbm`, 0 from it on, for every rate, -100..-40 dBm."""
    lines = ["# RSSI vs MCS vs PER", "# RSSI [dBm]\t0\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11"]
    for s in range(-100, -39):
        per = "1.00E+00" if s < threshold_dbm else "0.00E+00"
        lines.append("\t".join([str(s)] + [per] * 12))
    return "\n".join(lines) + "\n"


def test_the_kernel_is_served_unless_a_driver_is_named(tmp_path, monkeypatch, capsys):
    from drivers.hwsim.external import wmediumd_cli

    asked = []

    def no_kernel(netns=None):
        asked.append(netns)
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(wmediumd_cli, "open_kernel", no_kernel)
    monkeypatch.delenv("WMEDIUMD_DRIVER_SOCKET", raising=False)
    (tmp_path / "ok.cfg").write_text(CFG)
    assert wmediumd_cli.main(["-l", "3", "-c", str(tmp_path / "ok.cfg")]) == 1
    assert asked == [None]
    assert "Error connecting to the kernel: generic netlink: No such file" in capsys.readouterr().err


def test_signal_table_reading(tmp_path):
    f = tmp_path / "t"
    f.write_text(table_text(-70))
    lo, table = read_signal_table(str(f))
    assert lo == -100 and table.shape == (61, 12)
    assert table[29].tolist() == [1.0] * 12 and table[30].sum() == 0
    kt, step = kernel_per_table(lo, table)
    assert step == 1.0 and kt.shape[0] == 12
    # SNR 20 dB is -71 dBm: lost whatever the length; 21 dB (-70 dBm) gets through
    assert model.per_from_table(kt, 20.0, 0, 100, 1.0) == 1.0
    assert model.per_from_table(kt, 21.0, 0, 100, 1.0) == 0.0
    f.write_text("-90 1 1 1\n")
    with pytest.raises(ValueError, match="Not enough rate"):
        read_signal_table(str(f))
    f.write_text("-90 " + " ".join(["2"] * 12) + "\n")
    with pytest.raises(ValueError, match="within"):
        read_signal_table(str(f))


# -- Mininet-WiFi's use, end to end ------------------------------------------------------------------
class Connector:
    """Like mn_wifi's w_server: a blocking stream socket, one send per request, recv(size)."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)

    def request(self, msg: bytes, size: int) -> bytes:
        self.sock.send(msg)
        got = b""
        while len(got) < size:
            chunk = self.sock.recv(size - len(got))
            assert chunk, "the server closed the connection"
            got += chunk
        return got


def start(wmediumd, tmp_path, *extra, env=None):
    w = World(4)  # the config names three; the fourth comes with ADD
    drv = str(tmp_path / "driver.sock")
    ctl = str(tmp_path / "wmediumd.sock")
    ext = w.medium.serve(drv)
    (tmp_path / "mn_wmd_config.cfg").write_text(CFG)
    table = tmp_path / "signal_table_ieee80211"
    (tmp_path / "signal_table_ieee80211ax").write_text(table_text(-70))  # wmediumd appends "ax"
    args = ["-l", "0", "-s", "-c", str(tmp_path / "mn_wmd_config.cfg"), "-x", str(table), *extra,
            "--control-socket", ctl]
    proc = subprocess.Popen([wmediumd, *args], env=env or {**ENV, "WMEDIUMD_DRIVER_SOCKET": drv},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert ext.wait_for_client(30), proc.communicate(timeout=30) if proc.poll() is not None else "no client"
    return w, ext, proc, ctl


def unicast(w, src: int, dst: int, n: int = 3) -> list:
    before = len(w.rx[dst])
    for k in range(n):
        w.sched.call_later(k * MS, lambda: w.ports[src].transmit(data(mac(dst), mac(src), mac(dst))))
    w.run((n + 5) * MS)
    return [info for f, info in w.rx[dst][before:] if f[0] == 0x08]


def test_mininet_wifi_command_line_and_control_socket(wmediumd, tmp_path):
    w, ext, proc, ctl = start(wmediumd, tmp_path)
    try:
        assert [i.signal for i in unicast(w, 0, 1)] == [35 - 91] * 3
        c = Connector(ctl)
        snr = struct.pack("!B6s6si", 1, mac(0), mac(1), 20)
        assert c.request(snr, 19) == b"\x02" + snr + b"\x00"
        # -71 dBm: the signal table (not the PER formula, which passes 20 dB) loses everything
        assert unicast(w, 0, 1) == [] and unicast(w, 1, 0) == []
        snr = struct.pack("!B6s6si", 1, mac(1), mac(0), 21)
        assert c.request(snr, 19) == b"\x02" + snr + b"\x00"
        assert [i.signal for i in unicast(w, 1, 0)] == [21 - 91] * 3
        add = struct.pack("!B6s", 7, mac(3))
        assert c.request(add, 13) == b"\x08" + add + struct.pack("!i", 3) + b"\x00"
        snr = struct.pack("!B6s6si", 1, mac(3), mac(0), 22)
        assert c.request(snr, 19) == b"\x02" + snr + b"\x00"
        assert [i.signal for i in unicast(w, 3, 0)] == [22 - 91] * 3  # the radio is that station now
        assert [i.signal for i in unicast(w, 0, 3)] == [22 - 91] * 3
        pos = struct.pack("!B6sfff", 13, mac(0), 1.0, 2.0, 0.0)
        assert c.request(pos, 21) == b"\x0e" + pos + b"\x03"  # an SNR matrix has no positions
        delete = struct.pack("!B6s", 3, mac(2))
        assert c.request(delete, 9) == b"\x04" + delete + b"\x00"
        assert unicast(w, 0, 2) == []
        assert ext.pending == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == "Input packet error rate file: " + str(tmp_path / "signal_table_ieee80211") + \
        "\n\nW_SRV: shutting down wserver\n"
    assert not os.path.exists(ctl)


def test_startup_messages_at_notice_level(wmediumd, tmp_path):
    drv = tmp_path / "x"
    w, ext, proc, ctl = start(wmediumd, tmp_path, "-l", "5", "--driver", str(tmp_path / "driver.sock"),
                              env={**ENV, "WMEDIUMD_DRIVER_SOCKET": str(drv)})
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(ctl) and time.monotonic() < deadline:
            w.sched.poll_io(0.05)
        c = Connector(ctl)
        height = struct.pack("!B6si", 19, mac(0), 2)
        assert c.request(height, 13) == b"\x14" + height + b"\x03"
        snr = struct.pack("!B6s6si", 1, mac(0), mac(2), 20)
        assert c.request(snr, 19) == b"\x02" + snr + b"\x00"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[:7] == [f"Input packet error rate file: {tmp_path / 'signal_table_ieee80211'}",
                         f"Input configuration file: {tmp_path / 'mn_wmd_config.cfg'}", "#_if = 3",
                         "Added station 0: 02:00:00:00:00:00", "Added station 1: 02:00:00:00:01:00",
                         "Added station 2: 02:00:00:00:02:00", "REGISTER SENT!"]
    assert lines[-1] == "W_SRV: shutting down wserver"
    # each update at NOTICE, as wmediumd logs them; connections (INFO) are not shown at 5
    assert "W_SRV: Could not perform Height update: for=02:00:00:00:00:00, height=2 (wrong mode)" in lines
    assert "W_SRV: Performing SNR update: from=02:00:00:00:00:00, to=02:00:00:00:02:00, snr=20" in lines
    assert not [line for line in lines if "Client connected" in line]


# -- what Mininet-WiFi's configs carry ---------------------------------------------------------------
MN_CFG = """
ifaces:
{
	ids = [
		"02:00:00:00:00:00",
		"02:00:00:00:01:00",
		"02:00:00:00:02:00",
		"02:00:00:00:03:00"
	];
	medium_array = ((0, 1), (2, 3));
	enable_interference = true;
};
model:
{
	type = "path_loss";
	positions = (
		(0.0, 0.0, 0.0),
		(5.0, 0.0, 0.0),
		(0.0, 5.0, 0.0),
		(5.0, 5.0, 0.0)
	);
	fading_coefficient = 0;
	noise_threshold = -95;
	isnodeaps = (1, 0, 1, 0);
	tx_powers = (14, 14, 14, 14);
	model_name = "log_normal_shadowing";
	path_loss_exp = 3.0;
	sL = 1;
};
"""


def test_mininet_wifi_config_mediums_noise_and_shadowing(tmp_path):
    from drivers.hwsim.external.wmediumd_cli import load
    from ic.sched import Scheduler

    conf = tmp_path / "mn.cfg"
    conf.write_text(MN_CFG)
    daemon, ctl = load(str(conf), sched=Scheduler())
    med = daemon.medium
    assert med.model.noise_dbm == -95.0 and med.model.path_loss == "log_distance"
    assert [p.shadowing_db for p in ctl.stations] == [1.0] * 4
    p0, p1, p2, p3 = ctl.stations
    assert p0.group == p1.group != p2.group == p3.group and p0.group & p2.group == 0
    pl = float(model.path_loss("log_distance", 5.0, exponent=3.0, xg=0.0))
    assert med.link_snr(p0, p1) == pytest.approx(14 + 1.0 - pl + 95)
    # medium 1 hears itself, not medium 2
    got = []
    p1.rx = lambda f, info: got.append(1)
    p2.rx = lambda f, info: got.append(2)
    p0.transmit(data(b"\xff" * 6, mac(0), b"\xff" * 6))
    daemon.sched.run_for(5 * MS)
    assert got == [1]
    conf.write_text(MN_CFG.replace("(2, 3)", "(2, 9)"))
    with pytest.raises(ConfigError, match="no interface 9"):
        load(str(conf), sched=Scheduler())
    conf.write_text(MN_CFG.replace("-95", '"loud"'))
    with pytest.raises(ConfigError, match="noise_threshold must be a number"):
        load(str(conf), sched=Scheduler())
    conf.write_text(MN_CFG.replace("-95", "3"))  # not a noise floor: wmediumd keeps -91 dBm
    assert load(str(conf), sched=Scheduler())[0].medium.model.noise_dbm == -91.0


_WORDS = st.one_of(st.sampled_from(["-90", "-60", "1.00E+00", "0.5", "0", "#", "\n", "nan", "inf", "1e400",
                                    "-1e9", "x", "2"]), st.text(max_size=6))


_ROWS = st.lists(st.tuples(st.integers(-250, 150), st.lists(st.floats(-0.2, 1.2), min_size=12, max_size=12))
                 .map(lambda r: " ".join([str(r[0]), *map(str, r[1])]) + "\n"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_WORDS, max_size=60).map(" ".join), _ROWS.map("".join)))
def test_signal_table_parser_takes_any_text(tmp_path_factory, text):
    f = tmp_path_factory.mktemp("t") / "table"
    f.write_text(text, encoding="utf-8")
    try:
        lo, table = read_signal_table(str(f))
    except ValueError:
        return  # refused with a reason: wmediumd exits 1 then too
    assert -200 <= lo <= 100 and table.shape[1] == 12 and len(table) <= 301
    assert ((table >= 0) & (table <= 1)).all()
    kt, step = kernel_per_table(lo, table)
    assert kt.shape[0] == 12 and np.isfinite(kt).all() and (kt <= 0).all()


def test_hwsim_mediumd_serves_the_control_api_too(tmp_path):
    w = World(3)
    drv, ctl = str(tmp_path / "driver.sock"), str(tmp_path / "control.sock")
    ext = w.medium.serve(drv)
    (tmp_path / "w.cfg").write_text(CFG)
    proc = subprocess.Popen([sys.executable, "-m", "drivers.hwsim.external.mediumd",
                             "-c", str(tmp_path / "w.cfg"), "-s", drv, "--control", ctl], env=ENV,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert ext.wait_for_client(30)
        deadline = time.monotonic() + 30
        while not os.path.exists(ctl) and time.monotonic() < deadline:
            w.sched.poll_io(0.05)
        c = Connector(ctl)
        snr = struct.pack("!B6s6si", 1, mac(1), mac(2), 12)
        assert c.request(snr, 19) == b"\x02" + snr + b"\x00"
        assert [i.signal for i in unicast(w, 1, 2)] == [12 - 91] * 3
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert not os.path.exists(ctl)
