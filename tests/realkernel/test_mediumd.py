"""hwsim-mediumd as the medium of the real kernel's mac80211_hwsim radios.

The association test runs only once `hwsim-mediumd --help` advertises a
kernel mode; when that mode is on main, the skipif goes and the test runs
unconditionally (in CI it must).
"""

from __future__ import annotations

import pytest
from support.realkernel import Vm, mediumd, wifi

from .helpers import ap_station_flags, keyvals, ping_received, sta_addr

pytestmark = pytest.mark.realkernel

SNR_DB = 37
KERNEL_MODE = mediumd.kernel_mode_args()


def test_venv_entry_point_runs_in_the_vm(vm: Vm) -> None:
    """The venv's console script and interpreter link are host paths: they must resolve in the chroot."""
    r = vm.run(f"COLUMNS=80 {mediumd.MEDIUMD} --help > $RESULTS/help.txt\n", radios=0, timeout_s=150).check()
    assert r.text("help.txt") == mediumd.help_text()
    assert "-c" in r.text("help.txt")


@pytest.mark.skipif(KERNEL_MODE is None, reason="hwsim-mediumd --help shows no kernel mode yet")
def test_open_association_through_hwsim_mediumd(vm: Vm) -> None:
    """hostapd and wpa_supplicant associate and ping with every frame relayed by the daemon,
    which shows in the signal the AP reports: the link's SNR over wmediumd's noise floor,
    not the perfect medium's -30 dBm."""
    assert KERNEL_MODE is not None
    script = (mediumd.start(mediumd.snr_config(2, SNR_DB), KERNEL_MODE) + wifi.association(None)
              + mediumd.stop())
    r = vm.run(script, radios=2, timeout_s=300).check()
    assert keyvals(r.text("status_1.txt"))["wpa_state"] == "COMPLETED", r.report()
    assert "[AUTHORIZED]" in ap_station_flags(r.text("ap_stations.txt"))[sta_addr(1)]
    sent, received = ping_received(r.text("ping_1.txt"))
    assert sent == received == 5
    signal = int(keyvals(r.text("ap_stations.txt"))["signal"])
    assert abs(signal - (mediumd.NOISE_DBM + SNR_DB)) <= 1, r.text("mediumd.log")
    assert r.text("mediumd_alive.txt").strip() == "running"
