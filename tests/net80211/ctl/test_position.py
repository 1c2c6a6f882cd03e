"""`wlanctl DEV position X Y [Z]` against a live daemon on a modeled medium:
the daemon holds the radio's position and the medium's links follow it."""

from __future__ import annotations

import errno
import json

import pytest
from support.wlanctl import QUEUE_CONFIG, thread_daemon, wlanctl

MODELED = QUEUE_CONFIG + """
[[devices]]
driver = "hwsim"
radios = 2
model = "log_distance"
"""


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon(MODELED) as d:
        yield d


def _medium(daemon):
    return daemon.daemon.service.drivers[0].medium


def test_position_moves_the_radio_and_its_links(daemon, capsys):
    r = wlanctl(capsys, daemon.sock, "hwsim1", "position", "30", "40")
    assert r.rc == 0, r.err
    dev = json.loads(wlanctl(capsys, daemon.sock, "hwsim1", "--json").out)["device"]
    assert dev["position"] == [30.0, 40.0, 0.0]
    assert "position 30 40 0" in wlanctl(capsys, daemon.sock, "hwsim1").out
    assert "at 30 40 0" in wlanctl(capsys, daemon.sock, "list").out
    med = _medium(daemon)
    assert med.num_links == 2  # 50 m apart: they hear each other
    near = med.link_snr(med.ports[0], med.ports[1])
    assert wlanctl(capsys, daemon.sock, "hwsim1", "position", "50000", "0", "2.5").rc == 0
    assert json.loads(wlanctl(capsys, daemon.sock, "hwsim1", "--json").out)["device"]["position"] == \
        [50000.0, 0.0, 2.5]
    assert med.num_links == 0  # 50 km: no link either way
    assert wlanctl(capsys, daemon.sock, "hwsim1", "position", "-30", "-40").rc == 0
    assert med.num_links == 2 and med.link_snr(med.ports[0], med.ports[1]) == near
    assert med.links_rebuilt == 1  # each move redid one radio's links, not the world's


@pytest.mark.parametrize("words, code, text", [
    (("hwsim1", "position", "1"), errno.EINVAL, "expected X Y [Z]"),
    (("hwsim1", "position", "1", "2", "3", "4"), errno.EINVAL, "expected X Y [Z]"),
    (("hwsim1", "position", "east", "2"), errno.EINVAL, "position X: 'east' is not a number"),
    (("hwsim1", "position", "1", "nan"), errno.EINVAL, "position Y: 'nan' is not a finite number"),
    (("hwsim7", "position", "1", "2"), errno.ENXIO, "hwsim7: no such interface"),
])
def test_bad_positions_are_refused_with_the_word(daemon, capsys, words, code, text):
    r = wlanctl(capsys, daemon.sock, *words)
    assert r.rc == code and text in r.err, (r.rc, r.err)


def test_a_vap_has_no_position_of_its_own(daemon, capsys):
    assert wlanctl(capsys, daemon.sock, "wlan0", "create", "wlandev", "hwsim0", "wlanmode", "sta").rc == 0
    try:
        r = wlanctl(capsys, daemon.sock, "wlan0", "position", "1", "2")
        assert r.rc == errno.EINVAL and "wlan0 is a vap" in r.err and "hwsim0 position" in r.err, r.err
        r = wlanctl(capsys, daemon.sock, "wlan0", "roaming", "manual", "roam:rssi", "-70")
        assert r.rc == 0, r.err
        r = wlanctl(capsys, daemon.sock, "wlan0", "roaming", "often")
        assert r.rc == errno.EINVAL and "often" in r.err
    finally:
        wlanctl(capsys, daemon.sock, "wlan0", "destroy")
