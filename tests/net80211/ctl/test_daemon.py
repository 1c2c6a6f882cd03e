"""wlanctl against a live daemon (in a thread): commands, errors and their exit statuses."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket

import pytest
from support.wlanctl import QUEUE_CONFIG, ThreadDaemon, cleaning_wlanctl, short_tmpdir, thread_daemon, wlanctl

from net80211 import IEEE80211Vap

TWO_DRIVERS = QUEUE_CONFIG + """
[[devices]]
driver = "hwsim"
radios = 2

[[devices]]
driver = "hwsim:single"
radios = 1
"""


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon(TWO_DRIVERS) as d:
        yield d


@pytest.fixture
def w(daemon, capsys):
    with cleaning_wlanctl(capsys, daemon.sock) as run:
        yield run


def test_tree_lists_both_drivers(w):
    r = w()
    assert r.rc == 0, r.err
    assert "hwsim (profile default)" in r.out and "hwsim (profile single)" in r.out
    data = json.loads(w("list", "--json").out)
    devs = [[d["name"] for d in drv["devices"]] for drv in data["drivers"]]
    assert devs == [["hwsim0", "hwsim1"], ["hwsim2"]]


def test_create_show_list_destroy_round_trip(w):
    r = w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "net0", "channel", "6",
          "bssid", "-beacons", "netdev", "queue")
    assert r.rc == 0, r.err
    assert r.out == ""  # ifconfig prints nothing on success
    show = json.loads(w("wlan0", "--json").out)["vap"]
    assert show["mode"] == "hostap" and show["ssid"] == "net0" and show["channel"] == 6
    assert show["device"] == "hwsim0" and show["state"] == "INIT" and not show["running"]
    assert set(show["flags"]) == {"BSSID", "NOBEACONS"}
    assert show["netdev"]["kind"] == "queue"
    assert "wlan0" in w().out
    text = w("wlan0").out
    assert text.startswith("wlan0: flags=<> mode hostap state INIT") and "counters:" in text
    assert w("wlan0", "destroy").rc == 0
    assert "wlan0" not in w().out
    assert w("wlan0").rc == errno.ENXIO


def test_up_reaches_run_and_down_returns_to_init(w, daemon):
    assert w("wlan3", "create", "wlandev", "hwsim1", "wlanmode", "ap", "ssid", "x", "channel", "11",
             "up").rc == 0
    # The daemon runs in real time; the state change is queued on the device
    # and runs before its next event: ask until it shows (bounded).
    for _ in range(200):
        v = json.loads(w("wlan3", "--json").out)["vap"]
        if v["state"] == "RUN":
            break
    assert v["state"] == "RUN" and v["running"] and v["bssid"] == v["macaddr"]
    assert w("wlan3", "down").rc == 0
    v = json.loads(w("wlan3", "--json").out)["vap"]
    assert not v["running"] and v["state"] == "INIT"
    assert w("wlan3", "ssid", "renamed", "channel", "1").rc == 0
    v = json.loads(w("wlan3", "--json").out)["vap"]
    assert v["ssid"] == "renamed" and v["channel"] == 1


@pytest.mark.parametrize("words, code, text", [
    (("wlan5", "create", "wlandev", "hwsim9", "wlanmode", "hostap"), errno.ENXIO, "hwsim9: no such device"),
    (("wlan5", "create", "wlandev", "hwsim0", "wlanmode", "bogus"), errno.EINVAL, "unknown wlanmode"),
    (("wlan5", "create", "wlandev", "hwsim2", "wlanmode", "hostap"), errno.EOPNOTSUPP,
     "does not support hostap"),
    (("wlan5", "create", "wlanmode", "hostap"), errno.EINVAL, "create needs wlandev"),
    (("wlan5", "create", "wlandev", "hwsim0", "wlanmode", "wds"), errno.EINVAL, "wlanbssid"),
    (("wlan5", "create", "wlandev", "hwsim0", "netdev", "queue", "netns", "x"), errno.EINVAL,
     "netns needs netdev tap"),
    (("wlan5", "create", "wlandev", "hwsim0", "ssid", "x" * 33), errno.EINVAL, "at most 32"),
    (("wlan5", "create", "wlandev", "hwsim0", "channel", "15"), errno.EINVAL, "channel"),
    (("wlan9",), errno.ENXIO, "wlan9: no such interface"),
    (("wlan9", "destroy"), errno.ENXIO, "no such interface"),
    (("hwsim0", "destroy"), errno.EINVAL, "is a device"),
    (("hwsim0", "list", "sta"), errno.EINVAL, "is a device"),
    (("radio", "del", "hwsim9"), errno.ENXIO, "no such device"),
    (("radio", "add", "hwsim0"), errno.EEXIST, "already in use"),
    (("hwsim2", "check", "hostap"), errno.EOPNOTSUPP, "does not support hostap"),
])
def test_errors_are_one_line_with_errno_status(w, words, code, text):
    r = w(*words)
    assert r.rc == code, (r.rc, r.err)
    first = r.err.splitlines()[0]
    assert first.startswith("wlanctl: ") and text in first, r.err
    assert first.endswith(f"({errno.errorcode[code] if code != errno.EOPNOTSUPP else 'EOPNOTSUPP'})")
    assert "wlan5" not in w().out  # a refused create leaves nothing


def test_name_in_use_and_refused_mix(w):
    assert w("wlan0", "create", "wlandev", "hwsim2", "wlanmode", "sta").rc == 0
    r = w("wlan0", "create", "wlandev", "hwsim0")
    assert r.rc == errno.EEXIST and "name already in use" in r.err
    r = w("hwsim0", "create", "wlandev", "hwsim1")
    assert r.rc == errno.EEXIST
    # hwsim:single (iwn-like) takes one vap: the policy refuses the second with its reason.
    r = w("wlan1", "create", "wlandev", "hwsim2", "wlanmode", "monitor")
    assert r.rc == errno.EBUSY, r.err
    assert len(r.err.strip().splitlines()) == 1 and "(EBUSY)" in r.err
    assert "wlan1" not in w().out
    # Nothing of the refused vap stays: its name is free on another device.
    assert w("wlan1", "create", "wlandev", "hwsim0", "wlanmode", "monitor").rc == 0


def test_check_explains(w):
    r = w("hwsim0", "check", "hostap", "sta", "sta")
    assert r.rc == 0 and r.out.startswith("allowed: hostap sta sta")
    assert "create wlan1 (sta)" in r.out
    r = w("hwsim0", "check", "hostap", "sta", "channels", "1", "6")
    assert r.rc == errno.EBUSY
    assert "refused" in r.out  # the explanation, step by step
    assert "#channels" in r.err and len(r.err.strip().splitlines()) == 1
    data = json.loads(w("hwsim0", "check", "sta", "--json").out)
    assert data["allowed"] and data["modes"] == ["sta"]


def test_lists(w):
    caps = json.loads(w("hwsim0", "list", "caps", "--json").out)
    assert "HOSTAP" in caps["caps"] and "hostap" in caps["modes"]
    assert "policy hwsim" in w("hwsim0", "list", "combinations").out
    chans = json.loads(w("hwsim0", "list", "chan", "--json").out)["channels"]
    assert chans[0]["ieee"] == 1 and chans[0]["current"]
    assert w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "channel", "6").rc == 0
    vchans = json.loads(w("wlan0", "list", "chan", "--json").out)["channels"]
    assert [c["ieee"] for c in vchans if c["current"]] == [6]
    vcaps = json.loads(w("wlan0", "list", "caps", "--json").out)
    assert "HOSTAP" in vcaps["caps"] and "STA" not in vcaps["caps"] and vcaps["modes"] == ["hostap"]
    for what, key in (("sta", "stations"), ("scan", "results")):
        r = w("wlan0", "list", what, "--json")
        assert r.rc == 0, r.err
        assert json.loads(r.out)[key] == []
    assert w("wlan0", "list", "sta").out.strip() == "no stations"
    assert w("wlan0", "list", "combinations").rc == errno.EINVAL


def test_radio_add_and_del(w):
    r = w("radio", "add")
    assert r.rc == 0
    name = r.out.strip()
    assert name.startswith("hwsim")
    dev = json.loads(w(name, "--json").out)["device"]
    assert "p2p-device" not in dev["modes"]  # no p2p keyword: no P2P device, as HWSIM_CMD_NEW_RADIO
    assert w("radio", "add", "extra0", "p2p", "channels", "2").rc == 0
    dev = json.loads(w("extra0", "--json").out)["device"]
    assert "p2p-device" in dev["modes"] and dev["nchannels"] == 2 and dev["beacon_filter"] is True
    assert w("radio", "add", "extra1", "-beaconfilter").rc == 0
    assert json.loads(w("extra1", "--json").out)["device"]["beacon_filter"] is False
    assert w("radio", "del", "extra1").rc == 0
    assert w("wlan7", "create", "wlandev", "extra0", "wlanmode", "sta").rc == 0
    assert w("radio", "del", "extra0").rc == 0
    assert w("radio", "del", name).rc == 0
    tree = w().out
    assert "extra0" not in tree and "wlan7" not in tree and name not in tree


def test_capture(w, tmp_path):
    assert w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap").rc == 0
    r = w("wlan0", "capture", "start", str(tmp_path / "x.pcap"))
    assert r.rc == errno.EOPNOTSUPP and "monitor" in r.err
    assert w("wlan2", "create", "wlandev", "hwsim1", "wlanmode", "monitor", "up").rc == 0
    r = w("wlan2", "capture", "start", str(tmp_path / "m.pcap"))
    if not hasattr(IEEE80211Vap, "capture"):
        assert r.rc == errno.EOPNOTSUPP and "vap.capture" in r.err
        return
    assert r.rc == 0, r.err
    assert w("wlan2", "capture", "stop").rc == 0
    assert (tmp_path / "m.pcap").read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")


def test_help_needs_no_daemon(capsys):
    for words in (["-h"], ["wlan0", "create", "-h"], ["hwsim0", "check", "-h"], ["radio", "-h"],
                  ["wlan0", "-h"], ["list", "-h"], ["wlan0", "list", "-h"], ["wlan0", "capture", "-h"]):
        r = wlanctl(capsys, "/nonexistent/sock", *words)
        assert r.rc == 0 and r.out.startswith("usage: "), words


def test_no_daemon_is_a_clear_error(capsys):
    d = short_tmpdir()
    sock = os.path.join(d, "none.sock")
    r = wlanctl(capsys, sock, "list")
    assert r.rc == errno.ENOENT
    assert "is `wlanctl serve` running?" in r.err and len(r.err.strip().splitlines()) == 1
    # A stale socket file nobody listens on: connection refused, same hint.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    s.close()
    r = wlanctl(capsys, sock, "wlan0", "create", "wlandev", "hwsim0")
    assert r.rc == errno.ECONNREFUSED and "is `wlanctl serve` running?" in r.err
    shutil.rmtree(d)


def test_usage_error_exit_status(capsys):
    r = wlanctl(capsys, "/nonexistent", "wlan0", "create", "wlandev", "hwsim0", "channel", "x")
    assert r.rc == errno.EINVAL and "not a number" in r.err and "usage: wlanctl IFACE create" in r.err


def test_stale_socket_is_replaced_and_a_live_one_refused(capsys):
    d = short_tmpdir()
    sock = os.path.join(d, "ctl.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    s.close()  # a socket file left by a crashed daemon
    first = ThreadDaemon(QUEUE_CONFIG, directory=d).start()
    try:
        assert wlanctl(capsys, sock, "list").rc == 0
        assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
        second = ThreadDaemon(QUEUE_CONFIG, directory=d)
        second.thread.start()
        second.daemon.started.wait(30)
        second.thread.join(30)
        assert isinstance(second.error, OSError) and second.error.errno == errno.EADDRINUSE
        assert wlanctl(capsys, sock, "list").rc == 0  # the first one is untouched
    finally:
        first.stop()
    assert not os.path.exists(sock)
    shutil.rmtree(d)


def _await_state(w, name: str, state: str) -> dict:
    # The daemon runs in real time; ask until the queued transition shows (bounded).
    for _ in range(400):
        v = json.loads(w(name, "--json").out)["vap"]
        if v["state"] == state:
            break
    return v


def test_a_wds_vap_follows_its_ap_to_a_new_channel(w):
    # One-channel hwsim0: after `wlan0 channel 11` the WDS link beside the AP
    # runs on 11 too; it used to keep showing 6.
    assert w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "n", "channel", "6",
             "up").rc == 0
    assert _await_state(w, "wlan0", "RUN")["channel"] == 6
    assert w("wlan2", "create", "wlandev", "hwsim0", "wlanmode", "wds", "wlanbssid", "02:cf:00:00:00:01",
             "up").rc == 0
    assert _await_state(w, "wlan2", "RUN")["channel"] == 6
    assert w("wlan0", "channel", "11").rc == 0
    assert _await_state(w, "wlan0", "RUN")["channel"] == 11
    data = json.loads(w("list", "--json").out)
    dev = next(d for drv in data["drivers"] for d in drv["devices"] if d["name"] == "hwsim0")
    chans = {v["name"]: v["channel"] for v in dev["vaps"]}
    assert dev["channel"] == 11 and chans == {"wlan0": 11, "wlan2": 11}
    # A WDS vap configured for channel 11 holds the device there: EBUSY, naming it.
    assert w("wlan2", "channel", "11").rc == 0
    r = w("wlan0", "channel", "1")
    assert r.rc == errno.EBUSY and "wlan2 on 11" in r.err
    assert json.loads(w("wlan0", "--json").out)["vap"]["channel"] == 11
