"""wlanctl's security words against a live daemon: a protected AP and
station created from the command line complete their handshake; `list`
and the JSON show the negotiated suites and the keys in place; bad words
are refused naming the word."""

from __future__ import annotations

import errno
import json
import time

import pytest
from support.wlanctl import QUEUE_CONFIG, thread_daemon, wlanctl

CONFIG = QUEUE_CONFIG + """
[[devices]]
driver = "hwsim"
radios = 2
"""
DEADLINE_S = 60.0  # the daemon runs in real time; a bound on the wait, not a measure


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon(CONFIG) as d:
        yield d


def test_protected_ap_and_station_from_the_command_line(daemon, capsys):
    def w(*words):
        return wlanctl(capsys, daemon.sock, *words)

    r = w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "lab", "channel", "6",
          "security", "wpa2-psk", "passphrase", "secret12", "pmf", "optional", "up")
    assert r.rc == 0, r.err
    r = w("wlan1", "create", "wlandev", "hwsim1", "wlanmode", "sta", "ssid", "lab", "security", "wpa2-psk",
          "passphrase", "secret12", "up")
    assert r.rc == 0, r.err
    end = time.monotonic() + DEADLINE_S
    sec: dict = {}
    while time.monotonic() < end:
        sec = json.loads(w("wlan1", "--json").out)["vap"]["security"]
        if sec.get("state") == "completed":
            break
        time.sleep(0.05)  # polling a real-time daemon, not protocol timing
    assert sec["state"] == "completed", sec
    assert sec["akm"] == "PSK" and sec["pairwise_cipher"] == "CCMP_128" and sec["mfp"] is True
    assert sec["ptk"] and sec["gtk_keyid"] == 1 and sec["igtk_keyid"] == 4
    ap = json.loads(w("wlan0", "--json").out)["vap"]["security"]
    assert ap["security"] == "wpa2-psk" and ap["pmf"] == "optional" and ap["gtk_keyid"] == 1
    out = w("list").out
    assert "wpa2-psk PSK/CCMP_128/CCMP_128 keys ptk,gtk:1,igtk:4 pmf optional completed" in out
    assert "wpa2-psk PSK/CCMP_128/CCMP_128 keys gtk:1,igtk:4 pmf optional" in out
    show = w("wlan1").out
    assert "\tsecurity wpa2-psk" in show
    stations = json.loads(w("wlan0", "list", "sta", "--json").out)
    assert "ptkinitdone" in json.dumps(stations)
    for name in ("wlan1", "wlan0"):
        assert w(name, "destroy").rc == 0


@pytest.mark.parametrize(("words", "needle"), [
    (("security", "wpa9"), "security"),
    (("security", "wpa2-psk"), "passphrase"),
    (("security", "wpa2-psk", "passphrase", "short"), "passphrase"),
    (("security", "wpa2-psk", "passphrase", "secret12", "pmf", "often"), "pmf"),
    (("security", "wpa3-sae", "passphrase", "secret12", "pmf", "disabled"), "pmf"),
])
def test_bad_security_words_are_refused_by_name(daemon, capsys, words, needle):
    r = wlanctl(capsys, daemon.sock, "wlan5", "create", "wlandev", "hwsim0", "wlanmode", "hostap",
                "ssid", "x", "channel", "6", *words)
    assert r.rc == errno.EINVAL and needle in r.err, (r.rc, r.err)
    assert "wlan5" not in wlanctl(capsys, daemon.sock, "list").out


def test_sae_pwe_and_ptk_rekey_from_the_command_line(daemon, capsys):
    def w(*words):
        return wlanctl(capsys, daemon.sock, *words)

    r = w("wlan6", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "h2e", "channel", "6",
          "security", "wpa3-sae", "passphrase", "secret12", "sae_pwe", "1", "ptk_rekey", "30", "up")
    assert r.rc == 0, r.err
    r = w("wlan7", "create", "wlandev", "hwsim1", "wlanmode", "sta", "ssid", "h2e", "security", "wpa3-sae",
          "passphrase", "secret12", "sae_pwe", "2", "up")
    assert r.rc == 0, r.err
    end = time.monotonic() + DEADLINE_S
    sec: dict = {}
    while time.monotonic() < end:
        sec = json.loads(w("wlan7", "--json").out)["vap"]["security"]
        if sec.get("state") == "completed":
            break
        time.sleep(0.05)  # polling a real-time daemon, not protocol timing
    assert sec["state"] == "completed" and sec["sae_pwe"] == 2 and sec["sae_h2e"] is True, sec
    ap = json.loads(w("wlan6", "--json").out)["vap"]["security"]
    assert ap["sae_pwe"] == 1 and ap["ptk_rekey"] == 30
    r = w("wlan8", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "x", "channel", "6",
          "security", "wpa3-sae", "passphrase", "secret12", "sae_pwe", "4")
    assert r.rc == errno.EINVAL and "sae_pwe" in r.err
    for name in ("wlan7", "wlan6"):
        assert w(name, "destroy").rc == 0
