"""hwsim-mediumd as the medium of the real kernel's mac80211_hwsim radios (its kernel mode)."""

from __future__ import annotations

import re

import pytest
from conftest import require
from support.realkernel import Vm, initramfs, mediumd, wifi

from .helpers import ap_station_flags, keyvals, ping_received, sta_addr

pytestmark = pytest.mark.realkernel

SNR_DB = 37


def test_venv_entry_point_runs_in_the_vm(vm: Vm) -> None:
    """The venv's console script and interpreter link are host paths: they must resolve in the chroot."""
    r = vm.run(f"COLUMNS=80 {mediumd.MEDIUMD} --help > $RESULTS/help.txt\n", radios=0, timeout_s=150).check()
    assert r.text("help.txt") == mediumd.help_text()
    assert "-c" in r.text("help.txt")


def test_open_association_through_hwsim_mediumd(vm: Vm) -> None:
    """hostapd and wpa_supplicant associate and ping with every frame relayed by the daemon,
    which shows in the signal the AP reports: the link's SNR over wmediumd's noise floor,
    not the perfect medium's -30 dBm.  With an RTS threshold on the AP, its longer frames
    go through RTS/CTS exchanges on the medium."""
    kernel_mode = mediumd.kernel_mode_args()
    assert kernel_mode is not None, f"hwsim-mediumd --help shows no kernel mode:\n{mediumd.help_text()}"
    # then frames above an RTS threshold: the AP's echo replies to 1000-byte pings
    rts = ("iw phy \"$(cat /sys/class/net/wlan0/phy80211/name)\" set rts 500\n"
           f"ip netns exec sta1 ping -c 3 -i 0.2 -W 2 -s 1000 {wifi.AP_IP} > $RESULTS/ping_rts.txt 2>&1"
           " || true\n")
    script = (mediumd.start(mediumd.snr_config(2, SNR_DB), kernel_mode) + wifi.association(None) + rts
              + mediumd.stop())
    r = vm.run(script, radios=2, timeout_s=300).check()
    assert keyvals(r.text("status_1.txt"))["wpa_state"] == "COMPLETED", r.report()
    assert "[AUTHORIZED]" in ap_station_flags(r.text("ap_stations.txt"))[sta_addr(1)]
    sent, received = ping_received(r.text("ping_1.txt"))
    assert sent == received == 5
    signal = int(keyvals(r.text("ap_stations.txt"))["signal"])
    assert abs(signal - (mediumd.NOISE_DBM + SNR_DB)) <= 1, r.text("mediumd.log")
    assert r.text("mediumd_alive.txt").strip() == "running"
    # SIGTERM ends it cleanly, with the counters of what it relayed.
    assert r.text("mediumd_rc.txt").strip() == "0", r.text("mediumd.log")
    # root in the VM: the daemon runs ahead of every ordinary task (priority.py)
    assert "running at real-time priority (SCHED_FIFO 10)" in r.text("mediumd.log"), r.text("mediumd.log")
    frames = re.search(r"done \(SIGTERM\): frames (\d+)", r.text("mediumd.log"))
    assert frames and int(frames.group(1)) > 0, r.text("mediumd.log")
    # mac80211 flagged them USE_RTS_CTS (TX_INFO_FLAGS): the medium ran the exchanges
    assert ping_received(r.text("ping_rts.txt")) == (3, 3), r.text("ping_rts.txt")
    sent = re.search(r"the medium sent (\d+) RTS and (\d+) CTS", r.text("mediumd.log"))
    assert sent and int(sent.group(1)) >= 3 and int(sent.group(2)) >= 3, r.text("mediumd.log")


def test_vht_station_through_hwsim_mediumd(vm: Vm) -> None:
    """An 802.11ac AP (VHT80 on channel 36) and its station: mac80211 sends data at VHT MCS
    rates, which the daemon reads from TX_INFO_FLAGS (reading them as legacy indices, as
    wmediumd does, names no 5 GHz rate: association completes on legacy management frames,
    then every ping is lost), and every delivery carries an RX_RATE the kernel takes."""
    require(initramfs.REGDB.exists(), "Debian's wireless-regdb is not installed (5 GHz APs need it)")
    script = (mediumd.start(mediumd.snr_config(2, SNR_DB), mediumd.kernel_mode_args() or [])
              + wifi.association(None, mode="ac")
              + "ip netns exec sta1 iw dev wlan1 station dump > $RESULTS/sta_dump.txt\n"
              + mediumd.stop())
    r = vm.run(script, radios=2, timeout_s=300).check()
    status = keyvals(r.text("status_1.txt"))
    assert status["wpa_state"] == "COMPLETED" and status["freq"] == "5180", r.report()
    assert ping_received(r.text("ping_1.txt")) == (5, 5), r.text("mediumd.log")
    rate = re.search(r"tx bitrate:\s*(.*)", r.text("sta_dump.txt"))
    assert rate and "VHT-MCS" in rate.group(1), r.text("sta_dump.txt")
    counters = dict(re.findall(r"(\w+) (\d+)", r.text("mediumd.log").split("done (SIGTERM):")[1]))
    assert counters["refused"] == counters["errors"] == "0", r.text("mediumd.log")
    assert r.text("mediumd_rc.txt").strip() == "0", r.text("mediumd.log")
