"""Vaps without a channel of their own (a WDS link, a monitor) follow the
device: after the AP beside them changes channel they show the channel the
radio is on, never the one it left (issue: a WDS vap kept channel 6 after
`wlan0 channel 11` on a one-channel device)."""

from __future__ import annotations

import errno

import pytest

from drivers.hwsim import HwsimDriver
from ic import SEC, ConcurrencyError, Scheduler, State


@pytest.fixture
def radio():
    s = Scheduler()
    d = HwsimDriver(s, radios=1)
    yield s, d.devices[0]
    d.close()


def _run(s: Scheduler) -> None:
    s.run_for(SEC)


def test_a_wds_and_a_monitor_follow_their_ap_to_a_new_channel(radio):
    s, dev = radio
    ap = dev.create_vap("wlan0", "hostap", ssid="net", channel=6)
    ap.up()
    _run(s)
    wds = dev.create_vap("wlan2", "wds", bssid="02:cf:00:00:00:01")
    mon = dev.create_vap("mon0", "monitor")
    wds.up()
    mon.up()
    _run(s)
    assert ap.state == wds.state == mon.state == State.RUN
    assert ap.channel.ieee == wds.channel.ieee == mon.channel.ieee == dev.curchan.ieee == 6
    ap.set_channel(11)
    _run(s)
    assert ap.state == State.RUN and dev.curchan.ieee == 11
    assert wds.state == mon.state == State.RUN
    assert [v.describe()["channel"] for v in (ap, wds, mon)] == [11, 11, 11]


def test_a_wds_vap_configured_for_a_channel_holds_it(radio):
    s, dev = radio
    ap = dev.create_vap("wlan0", "hostap", ssid="net", channel=6)
    ap.up()
    wds = dev.create_vap("wlan2", "wds", bssid="02:cf:00:00:00:01", channel=6)
    wds.up()
    _run(s)
    with pytest.raises(ConcurrencyError) as ei:
        ap.set_channel(11)
    e = ei.value
    assert e.errno == errno.EBUSY
    assert "wlan0 (hostap) up on channel 11 (2462 MHz)" in str(e) and "wlan2 on 6" in str(e)
    _run(s)
    assert ap.channel.ieee == wds.channel.ieee == dev.curchan.ieee == 6  # nothing moved
    # Nor may a WDS link be made for another channel than its AP's.
    with pytest.raises(ConcurrencyError, match="wlan3 .wds.: 2 different channels exceed the 1"):
        dev.create_vap("wlan3", "wds", bssid="02:cf:00:00:00:02", channel=1)
    assert "wlan3" not in dev.names
