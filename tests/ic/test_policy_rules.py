"""FreeBSD-style concurrency rules: accept, refuse (naming the rule), adjust,
reserve and give back."""

import errno

import pytest
from support.policy_fakes import BASE_MAC, FakeDevice

from ic import CHANNELS_2GHZ, CloneFlags, ConcurrencyError, OpMode, Policy, VapRequest
from ic.rules import (
    BeaconSlots,
    BssidMask,
    FirstOnly,
    MaxChannels,
    MaxOfMode,
    NoWdsInStaMode,
    SingleVap,
    StaNoBeacons,
    WdsNeedsHostap,
    WdsNoBssid,
    ath_device_opmode,
)

STA, AP, WDS, IBSS, AHDEMO, MON, MBSS = (OpMode.STA, OpMode.HOSTAP, OpMode.WDS, OpMode.IBSS,
                                         OpMode.AHDEMO, OpMode.MONITOR, OpMode.MBSS)
BSSID, NOBEACONS, LEGACY, MACADDR, TDMA = (CloneFlags.BSSID, CloneFlags.NOBEACONS, CloneFlags.WDSLEGACY,
                                           CloneFlags.MACADDR, CloneFlags.TDMA)


def dev(*rules):
    return FakeDevice(Policy((), rules))


def refusal(d, name, mode, flags=0, **kw) -> ConcurrencyError:
    with pytest.raises(ConcurrencyError) as ei:
        d.create(name, mode, flags, **kw)
    e = ei.value
    assert e.errno == errno.EBUSY
    assert all(v.name != name for v in d.vaps)
    return e


def test_max_of_mode():
    d = dev(MaxOfMode(STA, 1))
    sta = d.create("wlan0", STA)
    d.create("wlan1", AP)
    e = refusal(d, "wlan2", STA)
    assert "wlan2 (sta) refused by rule max-of-mode [at most 1 sta vap]: wlan0 already uses the 1 allowed" \
        in str(e)
    d.destroy(sta)
    d.create("wlan2", STA)


def test_max_of_mode_counts_a_set_of_modes():
    d = dev(MaxOfMode([AP, MBSS], 2))
    d.create("wlan0", AP)
    d.create("wlan1", MBSS)
    d.create("wlan2", STA)
    assert "max-of-mode [at most 2 hostap/mesh vaps]" in str(refusal(d, "wlan3", AP))


def test_first_only():
    d = dev(FirstOnly(IBSS))
    d.create("wlan0", IBSS)
    d.create("wlan1", AP)  # not exclusive: others may join
    e = refusal(d, "wlan2", IBSS)
    assert "rule first-only [ibss only as the first vap]: the device already has wlan0, wlan1" in str(e)
    d2 = dev(FirstOnly(IBSS))
    d2.create("wlan0", MON)
    refusal(d2, "wlan1", IBSS)


def test_first_only_ignores_listed_modes():
    d = dev(FirstOnly(IBSS, ignore=[WDS]))
    d.create("wlan0", WDS)
    d.create("wlan1", IBSS)


def test_first_only_exclusive_with_flags():
    d = dev(FirstOnly(AHDEMO, flags=TDMA, exclusive=True))
    d.create("wlan0", AHDEMO, TDMA)
    e = refusal(d, "wlan1", AP)
    assert "rule first-only [ahdemo+tdma only as the only vap]: wlan0 must stay alone" in str(e)
    # a plain AHDEMO vap is not TDMA: it does not match the rule
    d2 = dev(FirstOnly(AHDEMO, flags=TDMA, exclusive=True))
    d2.create("wlan0", AP)
    d2.create("wlan1", AHDEMO)
    refusal(d2, "wlan2", AHDEMO, TDMA)


def test_single_vap():
    d = dev(SingleVap())
    v = d.create("wlan0", MON)
    e = refusal(d, "wlan1", STA)
    assert "rule single-vap [one vap at a time]: the device already has wlan0" in str(e)
    d.destroy(v)
    d.create("wlan1", STA)


def test_wds_needs_hostap_non_legacy():
    d = dev(WdsNeedsHostap())
    d.create("wlan0", STA)
    e = refusal(d, "wds0", WDS)
    assert "rule wds-needs-hostap [wds only beside a hostap vap (legacy wds exempt)]: " \
           "there is no hostap vap on the device" in str(e)
    d.create("wds0", WDS, LEGACY)  # legacy WDS makes its own peer
    d.create("wlan1", AP)
    d.create("wds1", WDS)


def test_wds_needs_hostap_without_legacy_exemption():
    d = dev(WdsNeedsHostap(legacy_exempt=False))
    assert "wds-needs-hostap" in str(refusal(d, "wds0", WDS, LEGACY))


def test_ath_device_opmode_replays_ath_vap_create():
    class V:
        def __init__(self, opmode, flags=CloneFlags(0)):
            self.opmode, self.flags = opmode, flags
    assert ath_device_opmode([]) is None
    assert ath_device_opmode([V(STA)]) is STA
    assert ath_device_opmode([V(STA, NOBEACONS)]) is AP
    assert ath_device_opmode([V(AP), V(STA, NOBEACONS)]) is AP
    assert ath_device_opmode([V(STA), V(MON)]) is STA
    assert ath_device_opmode([V(MON)]) is MON
    assert ath_device_opmode([V(WDS)]) is AP
    assert ath_device_opmode([V(IBSS), V(AHDEMO)]) is IBSS
    assert ath_device_opmode([V(STA), V(AP)]) is AP


def test_no_wds_in_sta_mode():
    d = dev(NoWdsInStaMode())
    sta = d.create("wlan0", STA)
    e = refusal(d, "wds0", WDS)
    assert "rule no-wds-in-sta-mode [wds refused while the device is in sta mode]" in str(e)
    d.destroy(sta)
    d.create("wds0", WDS)  # first vap: the device goes to AP mode
    d.create("wlan0", AP)
    d.create("wlan1", STA, NOBEACONS)  # a beaconless STA runs the hardware as an AP
    d.create("wds1", WDS)


def test_beacon_slots_reserved_and_given_back():
    d = dev(BeaconSlots(4))
    aps = [d.create(f"wlan{i}", AP) for i in range(4)]
    assert [d.policy.resources(d, v)["beacon_slot"] for v in aps] == [0, 1, 2, 3]
    e = refusal(d, "wlan9", MBSS)
    assert "rule beacon-slots [4 beacon slots for beaconing vaps]: all 4 beacon slots are in use" in str(e)
    # non-beaconing modes need no slot
    for i, (m, f) in enumerate([(STA, 0), (WDS, 0), (MON, 0), (AHDEMO, 0)]):
        v = d.create(f"x{i}", m, f)
        assert "beacon_slot" not in d.policy.resources(d, v)
    d.destroy(aps[1])
    again = d.create("wlan4", IBSS)
    assert d.policy.resources(d, again)["beacon_slot"] == 1


def test_tdma_needs_a_beacon_slot():
    d = dev(BeaconSlots(1))
    d.create("wlan0", AHDEMO, TDMA)
    assert "beacon-slots" in str(refusal(d, "wlan1", OpMode.P2P_GO))


def mac_with(index: int) -> bytes:
    return bytes([BASE_MAC[0] | (index << 2) | 0x2]) + BASE_MAC[1:]


def test_bssid_mask_first_vaps_share_the_base_address():
    d = dev(BssidMask())
    a = d.create("wlan0", AP)
    s = d.create("wlan1", STA)
    assert a.macaddr == s.macaddr == BASE_MAC
    assert d.policy.resources(d, a)["bssid_index"] == 0


def test_bssid_mask_clones_take_indexes_1_to_7_and_then_refuse():
    d = dev(BssidMask())
    d.create("wlan0", AP)  # holds index 0 (the base address)
    clones = [d.create(f"wlan{i}", AP, BSSID) for i in range(1, 8)]
    assert [d.policy.resources(d, v)["bssid_index"] for v in clones] == list(range(1, 8))
    assert [v.macaddr for v in clones] == [mac_with(i) for i in range(1, 8)]
    assert clones[0].macaddr == bytes.fromhex("060000000100")  # 0x02 | 1 << 2 | 0x2
    assert clones[6].macaddr[0] == 0x02 | (7 << 2) | 0x2 and clones[6].macaddr[1:] == BASE_MAC[1:]
    assert len({v.macaddr for v in clones}) == 7
    e = refusal(d, "wlan8", MBSS, BSSID)
    assert "rule bssid-mask" in str(e) and "all 8 bssid indexes are in use" in str(e)
    # destroy index 3: the next clone gets it back
    d.destroy(clones[2])
    again = d.create("wlan9", STA, BSSID)
    assert d.policy.resources(d, again)["bssid_index"] == 3 and again.macaddr == mac_with(3)
    adm = again.admission
    assert adm.adjustments == [f"rule bssid-mask: unique bssid index 3: address "
                               f"{':'.join(f'{b:02x}' for b in mac_with(3))}"]


def test_bssid_mask_a_unique_bssid_on_an_empty_device_is_the_base_address():
    d = dev(BssidMask())
    first = d.create("wlan0", AP, BSSID)
    assert first.macaddr == BASE_MAC and d.policy.resources(d, first)["bssid_index"] == 0
    second = d.create("wlan1", AP, BSSID)
    assert second.macaddr == mac_with(1)
    # once every vap on index 0 is gone, index 0 is free for a clone again
    d.destroy(first)
    third = d.create("wlan2", AP, BSSID)
    assert third.macaddr == BASE_MAC


def test_bssid_mask_uses_the_given_address_as_base_and_leaves_other_modes_alone():
    d = dev(BssidMask())
    d.create("wlan0", AP)
    user = bytes.fromhex("02aabbccddee")
    v = d.create("wlan1", AP, BSSID | MACADDR, macaddr=user)
    assert v.macaddr == bytes([0x02 | 0x6]) + user[1:]
    ibss = d.create("wlan2", IBSS, BSSID)
    assert ibss.admission.request.macaddr is None and "bssid_index" not in d.policy.resources(d, ibss)


def test_bssid_mask_refuses_a_second_bss_on_a_shared_address():
    # Without CLONE_BSSID a vap takes the base address; two BSSes there would
    # be one BSSID to every station.
    d = dev(BssidMask())
    d.create("wlan0", AP)
    e = refusal(d, "wlan1", AP)
    assert "rule bssid-mask" in str(e)
    assert "wlan0 already beacons as 02:00:00:00:01:00" in str(e) and "unique BSSID" in str(e)
    refusal(d, "mesh0", MBSS)
    # A unique BSSID is fine, and so is a station sharing the AP's address (a repeater).
    assert d.create("wlan1", AP, BSSID).macaddr == mac_with(1)
    assert d.create("wlan2", STA).macaddr == BASE_MAC
    # Once the AP on the base address is gone, another may take it (the STA there does not beacon).
    d.destroy(d.vaps[0])
    assert d.create("wlan3", AP).macaddr == BASE_MAC


def test_bssid_mask_refuses_a_base_address_with_index_bits_set():
    # 0x0a = 0b1010: bit 3 is index bit 1 of (i << 2); index 2 would be the base again.
    base = bytes.fromhex("0a0000000100")
    d = FakeDevice(Policy((), [BssidMask()]), macaddr=base)
    d.create("wlan0", AP)  # the base address itself is fine
    e = refusal(d, "wlan1", AP, BSSID)
    assert "rule bssid-mask" in str(e)
    assert "base address 0a:00:00:00:01:00 has bits 0x08 of its first byte set" in str(e)
    assert "mask 0x1c" in str(e)
    # The same base given with the request: refused the same way.
    d2 = dev(BssidMask())
    refusal(d2, "wlan0", AP, BSSID | MACADDR, macaddr=bytes.fromhex("1e0000000001"))
    # Fewer indexes use fewer bits: with 2 slots only bit 2 matters.
    d3 = FakeDevice(Policy((), [BssidMask(slots=2)]), macaddr=base)
    d3.create("wlan0", AP)
    assert d3.create("wlan1", AP, BSSID).macaddr == bytes([0x0a | 0x4 | 0x2]) + base[1:]


def test_max_channels_keeps_running_vaps_on_one_channel():
    ch1, ch6 = CHANNELS_2GHZ[0], CHANNELS_2GHZ[5]
    d = dev(MaxChannels(1))
    ap, ap2, mon = d.create("wlan0", AP), d.create("wlan1", AP), d.create("mon0", MON)
    d.up(ap, ch1)
    with pytest.raises(ConcurrencyError) as ei:
        d.up(ap2, ch6)
    assert str(ei.value).startswith("wlan1 (hostap) up on channel 6 (2437 MHz): refused by rule "
                                    "max-channels [running vaps share one channel]: wlan0 on 1")
    d.up(ap2, ch1)
    with pytest.raises(ConcurrencyError, match="mon0 .monitor. up on channel 6"):
        d.up(mon, ch6)
    d.up(mon, None)  # a monitor without a channel follows the device
    with pytest.raises(ConcurrencyError, match="wlan1 on 1"):
        d.policy.check_running(d, ap, ch6)  # wlan1 still holds channel 1
    assert "max-channels" in Policy((), [MaxChannels(2)]).format()


def test_wds_shares_the_ap_address():
    d = dev(BssidMask())
    d.create("wlan0", AP)
    d.destroy(d.vaps[0])
    ap = d.create("wlan1", AP, BSSID)
    d.create("wlan2", AP, BSSID)
    wds = d.create("wds0", WDS)
    assert wds.macaddr == ap.macaddr
    assert wds.admission.adjustments == [
        f"rule bssid-mask: wds shares the address {':'.join(f'{b:02x}' for b in ap.macaddr)} of wlan1"]
    own = bytes.fromhex("02123456789a")
    assert d.create("wds1", WDS, MACADDR, macaddr=own).macaddr == own


def test_sta_nobeacons_beside_other_vaps():
    d = dev(StaNoBeacons())
    alone = d.create("wlan0", STA)
    assert not alone.flags & NOBEACONS and alone.admission.adjustments == []
    d.destroy(alone)
    d.create("wlan0", AP)
    sta = d.create("wlan1", STA)
    assert sta.flags & NOBEACONS
    assert sta.admission.adjustments == ["rule sta-nobeacons: NOBEACONS set (beside wlan0)"]
    assert not sta.admission.original.flags & NOBEACONS


def test_sta_nobeacons_ignores_wds_and_can_be_unconditional():
    d = dev(StaNoBeacons())
    d.create("wds0", WDS)
    assert not d.create("wlan0", STA).flags & NOBEACONS
    d2 = dev(StaNoBeacons(always=True))
    v = d2.create("wlan0", STA)
    assert v.flags & NOBEACONS and v.admission.adjustments == ["rule sta-nobeacons: NOBEACONS set (always)"]


def test_wds_no_bssid():
    d = dev(WdsNoBssid())
    w = d.create("wds0", WDS, BSSID | LEGACY)
    assert w.flags == LEGACY and w.admission.adjustments == ["rule wds-no-bssid: CLONE_BSSID cleared"]
    a = d.create("wlan0", AP, BSSID)
    assert a.flags == BSSID  # only WDS is touched


def test_refused_admit_leaves_no_reservation():
    # the beacon slot is reserved before bssid-mask refuses: it must come back
    d = dev(BeaconSlots(4), BssidMask(slots=2))
    d.create("wlan0", AP, BSSID)  # index 0
    d.create("wlan1", AP, BSSID)  # index 1
    refusal(d, "wlan2", AP, BSSID)
    st = d.policy._state(d)
    slots = next(v["slots"] for v in st.values() if isinstance(v, dict) and "slots" in v)
    assert slots == {0, 1}
    later = d.create("wlan3", AP, macaddr=bytes.fromhex("020000000200"))  # its own base address
    assert d.policy.resources(d, later) == {"beacon_slot": 2, "bssid_index": 0}


def test_abort_gives_back_and_commit_binds():
    d = dev(BeaconSlots(1), BssidMask())
    req = VapRequest("wlan0", AP, BSSID, None, None)
    adm = d.policy.admit(d, req)
    assert adm.resources == {"beacon_slot": 0, "bssid_index": 0} and adm.state == "pending"
    adm.abort()
    adm.abort()  # harmless twice
    assert adm.state == "aborted"
    v = d.create("wlan0", AP, BSSID)  # the slot and index were given back
    assert v.macaddr == BASE_MAC
    with pytest.raises(RuntimeError, match="already committed"):
        v.admission.commit(v)
    v.admission.abort()  # a committed admission belongs to its vap: no-op
    refusal(d, "wlan1", AP)
    d.destroy(v)
    assert v.admission.state == "released"
    d.create("wlan1", AP)


def test_request_passed_in_is_not_mutated():
    d = dev(StaNoBeacons(always=True), BssidMask())
    req = VapRequest("wlan0", STA, CloneFlags(0), None, None)
    adm = d.policy.admit(d, req)
    assert req.flags == CloneFlags(0) and req.macaddr is None
    assert adm.request.flags == NOBEACONS and adm.request.macaddr == BASE_MAC
    adm.abort()


def test_release_of_unknown_vap_is_ignored():
    d = dev(BeaconSlots(1))
    d.policy.release(d, object())
    d.create("wlan0", AP)


def test_a_shared_policy_keeps_state_per_device():
    pol = Policy((), [BeaconSlots(1)])
    d1, d2 = FakeDevice(pol), FakeDevice(pol)
    d1.create("wlan0", AP)
    d2.create("wlan0", AP)
    with pytest.raises(ConcurrencyError):
        d1.create("wlan1", AP)
