"""The generic vap parameters have one check each, shared by create_vap and
the vap's own configure/set_ssid."""

from __future__ import annotations

import errno

import pytest
from support.testdriver import TestCom

from ic import InvalidArgument, Scheduler
from ic.vapparams import check_vap_params


def test_a_checked_value_checks_unchanged():
    ic = TestCom(Scheduler())
    once = check_vap_params(ic, "wlan0", {"ssid": "lab", "channel": 6, "bintval": 100, "hidessid": 1,
                                          "maxsta": 5, "netdev": "queue"})
    assert once["ssid"] == b"lab" and once["channel"] is ic.find_channel(6) and once["hidessid"] is True
    assert check_vap_params(ic, "wlan0", once) == once


def test_configure_checks_before_it_applies_anything():
    ic = TestCom(Scheduler())
    vap = ic.create_vap("wlan0", "hostap", ssid="lab", bintval=100)
    with pytest.raises(InvalidArgument, match="bintval must be 25..1000 TU") as e:
        vap.configure(ssid=b"other", bintval=5)
    assert e.value.errno == errno.EINVAL
    assert (vap.ssid, vap.bintval) == (b"lab", 100)
    vap.configure(channel=11)
    assert vap.des_chan is ic.find_channel(11)


def test_set_ssid_is_the_checked_setter():
    ic = TestCom(Scheduler())
    vap = ic.create_vap("wlan0", "sta")
    vap.set_ssid("net")
    assert vap.ssid == b"net"
    with pytest.raises(InvalidArgument, match="wlan0: ssid must be at most 32 bytes"):
        vap.set_ssid("x" * 33)
    assert vap.ssid == b"net"
