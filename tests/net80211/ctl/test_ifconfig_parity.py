"""ifconfig(8)/iw parity (issue #18 item 10): scan, list channels, txpower,
country/regdomain with the channel list and power limits following it,
bintval, dtimperiod, hidessid, rtsthreshold, authmode, bssid, roaming, and
zsh completion; each checked end to end against a live daemon."""

from __future__ import annotations

import errno
import json

import pytest
from support.hostile import wait_for
from support.wlanctl import THREE_RADIOS, cleaning_wlanctl, thread_daemon, wlanctl

from net80211.ctl import grammar
from net80211.ctl.cli import main


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon(THREE_RADIOS) as d:
        yield d


@pytest.fixture
def w(daemon, capsys):
    with cleaning_wlanctl(capsys, daemon.sock) as run:
        yield run
    for dev in ("hwsim0", "hwsim1", "hwsim2"):
        wlanctl(capsys, daemon.sock, dev, "country", "00", "txpower", "20")


def _state(w, name: str) -> str:
    return json.loads(w("--json", name).out)["vap"]["state"]


def _ap_and_sta(w) -> None:
    assert w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "lab", "channel", "6",
             "up").rc == 0
    assert w("wlan1", "create", "wlandev", "hwsim1", "ssid", "lab", "up").rc == 0
    wait_for(lambda: _state(w, "wlan1") == "RUN", "the station to associate")


def test_scan_prints_what_was_heard(w):
    _ap_and_sta(w)
    r = w("wlan1", "scan")
    assert r.rc == 0, r.err
    assert "lab" in r.out and "02:00:00:00:00:00" in r.out
    answer = json.loads(w("--json", "wlan1", "scan").out)
    results = answer["results"]
    assert answer["scanned"] is True
    assert [x["ssid"] for x in results] == ["lab"] and results[0]["channel"] == 6
    assert _state(w, "wlan1") == "RUN"  # back on its channel, still associated


def test_scan_beside_a_running_ap_does_not_leave_its_channel(w):
    _ap_and_sta(w)
    # A station on the AP's own device: scanning would silence the BSS.
    assert w("wlan2", "create", "wlandev", "hwsim0", "ssid", "lab", "channel", "6", "up").rc == 0
    r = json.loads(w("--json", "wlan2", "scan").out)
    assert r["scanned"] is False and "wlan0" in r["note"]
    assert _state(w, "wlan1") == "RUN" and _state(w, "wlan0") == "RUN"
    assert "serves a BSS" in w("wlan2", "scan").out


def test_scan_needs_an_up_vap_that_scans(w):
    assert w("wlan1", "create", "wlandev", "hwsim1").rc == 0
    r = w("wlan1", "scan")
    assert r.rc == errno.ENETDOWN and "wlan1 is down" in r.err
    assert w("mon0", "create", "wlandev", "hwsim2", "wlanmode", "monitor", "up").rc == 0
    assert w("mon0", "scan").rc == errno.EOPNOTSUPP


def test_beacon_parameters_reach_the_air(w):
    _ap_and_sta(w)
    assert w("wlan0", "bintval", "200", "dtimperiod", "3").rc == 0
    v = json.loads(w("--json", "wlan0").out)["vap"]
    assert v["bintval"] == 200 and v["dtimperiod"] == 3 and v["state"] == "RUN"
    heard = json.loads(w("--json", "wlan1", "scan").out)["results"]
    assert heard[0]["bintval"] == 200
    assert w("wlan0", "hidessid", "bintval", "100").rc == 0
    # A station looking for another network hears beacons without the SSID
    # (wlan1 asks for "lab" by name and is answered with it, as it should);
    # on one channel it listens a whole beacon interval.
    assert w("wlan2", "create", "wlandev", "hwsim2", "ssid", "other", "channel", "6", "up").rc == 0
    heard = json.loads(w("--json", "wlan2", "scan").out)["results"]
    assert [(x["ssid"], x["bssid"]) for x in heard] == [("", "02:00:00:00:00:00")]
    assert "hidessid" in w("wlan0").out
    for words, code in ((("bintval", "10"), errno.EINVAL), (("dtimperiod", "16"), errno.EINVAL)):
        r = w("wlan0", *words)
        assert r.rc == code and words[0].replace("dtimperiod", "dtim_period") in r.err


def test_rtsthreshold_is_set_shown_and_checked(w):
    """ifconfig's rtsthreshold: on create and on a running vap at once (no restart, as
    Linux's iw phy set rts), listed when not the default, 1..2346 else EINVAL."""
    _ap_and_sta(w)
    assert w("wlan2", "create", "wlandev", "hwsim2", "ssid", "lab", "rtsthreshold", "700").rc == 0
    assert json.loads(w("--json", "wlan2").out)["vap"]["rtsthreshold"] == 700
    assert "rtsthreshold 700" in w("wlan2").out
    assert "rtsthreshold" not in w("wlan1").out  # the default, 2346, is not listed
    assert w("wlan1", "rtsthreshold", "500").rc == 0
    v = json.loads(w("--json", "wlan1").out)["vap"]
    assert v["rtsthreshold"] == 500 and v["state"] == "RUN"
    for bad in ("0", "2347"):
        r = w("wlan1", "rtsthreshold", bad)
        assert r.rc == errno.EINVAL and "rtsthreshold must be 1..2346" in r.err
    assert json.loads(w("--json", "wlan1").out)["vap"]["rtsthreshold"] == 500


def test_bssid_pins_the_station(w):
    _ap_and_sta(w)
    assert w("wlan1", "bssid", "02:00:00:00:09:00").rc == 0  # no such AP: it cannot join
    wait_for(lambda: _state(w, "wlan1") != "RUN", "the station to leave")
    assert json.loads(w("--json", "wlan1").out)["vap"]["des_bssid"] == "02:00:00:00:09:00"
    assert w("wlan1", "-bssid").rc == 0
    wait_for(lambda: _state(w, "wlan1") == "RUN", "the station to join any BSS again")
    assert w("wlan1", "bssid", "02:00:00:00:00:00").rc == 0
    wait_for(lambda: _state(w, "wlan1") == "RUN", "the station to join that BSS")
    assert w("wlan1", "bssid", "nonsense").rc == errno.EINVAL


def test_authmode_and_roaming(w):
    _ap_and_sta(w)
    assert w("wlan0", "authmode", "open").rc == 0
    r = w("wlan0", "authmode", "shared")
    assert r.rc == errno.EOPNOTSUPP and "shared" in r.err
    assert w("wlan1", "roaming", "manual", "roam:rssi", "-70").rc == 0
    assert "roaming MANUAL roam:rssi -70dBm" in w("wlan1").out
    assert w("wlan1", "roaming", "auto").rc == 0
    assert "roaming AUTO" in w("wlan1").out
    assert w("wlan1", "roaming", "device").rc == errno.EINVAL  # no firmware roaming here
    assert w("wlan0", "roaming", "auto").rc == errno.EINVAL  # an AP does not roam
    r = w("wlan1", "roaming", "sometimes")
    assert r.rc == errno.EINVAL and "auto" in r.err


def test_country_sets_the_channels_and_their_power(w, daemon):
    chans = json.loads(w("--json", "hwsim2", "list", "channels").out)
    assert chans["regdomain"] == "DEBUG" and 14 in [c["ieee"] for c in chans["channels"]]
    assert w("hwsim2", "country", "US").rc == 0
    us = json.loads(w("--json", "hwsim2", "list", "chan").out)
    two = [c for c in us["channels"] if c["freq"] < 3000]
    assert [c["ieee"] for c in two] == list(range(1, 12)) and {c["maxpower"] for c in two} == {30}
    assert us["country"] == "US" and us["regdomain"] == "FCC"
    assert w("hwsim2", "regdomain", "etsi").rc == 0
    eu = json.loads(w("--json", "hwsim2", "list", "channels").out)
    assert eu["country"] == "DE" and max(c["ieee"] for c in eu["channels"] if c["freq"] < 3000) == 13
    # A vap on a channel the next domain does not allow: refused, nothing changed.
    assert w("wlan2", "create", "wlandev", "hwsim2", "channel", "13").rc == 0
    r = w("hwsim2", "country", "US")
    assert r.rc == errno.EINVAL and "channel 13" in r.err
    assert json.loads(w("--json", "hwsim2").out)["device"]["country"] == "DE"
    # ... and a channel the domain does not allow is refused by name.
    assert w("wlan2", "channel", "14").rc == errno.EINVAL
    # Not while a vap of the device is up.
    assert w("wlan2", "up").rc == 0
    r = w("wlan2", "country", "JP")
    assert r.rc == errno.EBUSY and "wlan2" in r.err
    r = w("hwsim2", "country", "XX")
    assert r.rc == errno.EINVAL and "XX" in r.err


def test_txpower_follows_the_domain_and_reaches_the_medium(w, daemon):
    dev = daemon.daemon.service.device("hwsim2")
    assert w("hwsim2", "txpower", "27").rc == 0
    assert dev.port.tx_power_dbm == 27 and json.loads(w("--json", "hwsim2").out)["device"]["txpower"] == 27
    # ETSI allows 20 dBm on 2.4 GHz: the power is capped there.
    assert w("hwsim2", "country", "DE").rc == 0
    assert dev.port.tx_power_dbm == 20
    r = w("hwsim2", "txpower", "25")
    assert r.rc == errno.EINVAL and "20 dBm" in r.err and "ETSI" in r.err
    assert dev.txpower == 27  # what was asked for stays, capped
    # Refused together with a bad value: nothing applied.
    assert w("wlan2", "create", "wlandev", "hwsim2").rc == 0
    r = w("wlan2", "country", "US", "ssid", "x" * 33)
    assert r.rc == errno.EINVAL
    assert json.loads(w("--json", "hwsim2").out)["device"]["country"] == "DE"
    r = w("hwsim2", "ssid", "x")
    assert r.rc == errno.EINVAL and "device" in r.err


def test_zsh_completion_beside_bash(capsys):
    assert main(["completion", "zsh"]) == 0
    z = capsys.readouterr().out
    assert z.startswith("#compdef wlanctl") and "compdef _wlanctl wlanctl" in z
    for word in ("scan", "txpower", "country", "hidessid", "channels", "create"):
        assert word in z, word
    assert main(["completion"]) == 0 and "complete -F _wlanctl wlanctl" in capsys.readouterr().out
    assert main(["completion", "fish"]) == errno.EINVAL
    assert "scan" in grammar.bash_completion()


def test_bssid_is_a_flag_of_create_and_takes_an_address_in_set():
    inv = grammar.parse(["wlan0", "create", "wlandev", "hwsim0", "bssid", "--json"])
    assert inv.args["bssid"] is True and inv.json
    inv = grammar.parse(["wlan0", "bssid", "02:00:00:00:00:01", "--json"])
    assert inv.command == "set" and inv.args["bssid"] == "02:00:00:00:00:01" and inv.json
    assert grammar.parse(["wlan0", "bssid", "any"]).args["bssid"] is None
    assert grammar.parse(["wlan0", "-bssid"]).args["bssid"] is None
    assert grammar.parse(["wlan0", "list", "channels"]).args["what"] == "chan"
