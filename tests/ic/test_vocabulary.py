import pytest

from ic import (
    ALL_CHANNELS,
    Caps,
    CloneFlags,
    IfType,
    OpMode,
    State,
    find_channel,
    format_wlanmode,
    parse_wlanmode,
    vap_caps,
)
from ic.channels import freq_to_ieee, ieee_to_freq


def test_freebsd_values():
    assert [m.value for m in (OpMode.IBSS, OpMode.STA, OpMode.WDS, OpMode.AHDEMO, OpMode.HOSTAP,
                              OpMode.MONITOR, OpMode.MBSS)] == list(range(7))
    assert [s.value for s in State] == list(range(8))
    assert Caps.HOSTAP == 0x400 and Caps.WDS == 0x08000000 and Caps.TDMA == 0x80000000
    assert CloneFlags.NOBEACONS == 0x2 and CloneFlags.MACADDR == 0x8
    assert IfType.P2P_DEVICE == 10 and IfType.NAN == 12


def test_iftype_mapping():
    assert OpMode.AHDEMO.iftype is IfType.ADHOC and OpMode.IBSS.iftype is IfType.ADHOC
    assert OpMode.MBSS.iftype is IfType.MESH_POINT and OpMode.HOSTAP.iftype is IfType.AP
    assert {m.iftype for m in OpMode} >= {IfType.P2P_GO, IfType.P2P_CLIENT, IfType.P2P_DEVICE}


@pytest.mark.parametrize("word,mode,flags", [
    ("hostap", OpMode.HOSTAP, 0), ("ap", OpMode.HOSTAP, 0), ("HOST", OpMode.HOSTAP, 0),
    ("sta", OpMode.STA, 0), ("adhoc", OpMode.IBSS, 0), ("ibss", OpMode.IBSS, 0),
    ("adhoc-demo", OpMode.AHDEMO, 0), ("ahdemo", OpMode.AHDEMO, 0),
    ("tdma", OpMode.AHDEMO, CloneFlags.TDMA), ("wds", OpMode.WDS, 0),
    ("monitor", OpMode.MONITOR, 0), ("mesh", OpMode.MBSS, 0), ("mp", OpMode.MBSS, 0),
    ("p2p-device", OpMode.P2P_DEVICE, 0), ("p2p-go", OpMode.P2P_GO, 0),
    ("p2p-client", OpMode.P2P_CLIENT, 0),
])
def test_parse_wlanmode(word, mode, flags):
    assert parse_wlanmode(word) == (mode, CloneFlags(flags))


@pytest.mark.parametrize("word", ["", "bogus", "p2p", "p2p-gox", "m"])
def test_parse_wlanmode_rejects(word):
    with pytest.raises(ValueError, match="wlanmode"):
        parse_wlanmode(word)


def test_format_round_trips():
    for mode in OpMode:
        assert parse_wlanmode(format_wlanmode(mode)) == (mode, CloneFlags(0))
    assert parse_wlanmode(format_wlanmode(OpMode.AHDEMO, CloneFlags.TDMA)) == (OpMode.AHDEMO, CloneFlags.TDMA)


def test_vap_caps_keep_only_own_mode_bit():
    dev = Caps.STA | Caps.HOSTAP | Caps.WDS | Caps.WME | Caps.P2P_GO
    assert vap_caps(dev, OpMode.HOSTAP) == Caps.HOSTAP | Caps.WME
    assert vap_caps(dev, OpMode.P2P_GO) == Caps.P2P_GO | Caps.WME


def test_channels():
    assert ieee_to_freq(1) == 2412 and ieee_to_freq(14) == 2484 and ieee_to_freq(36) == 5180
    for c in ALL_CHANNELS:
        assert freq_to_ieee(c.freq) == c.ieee
    assert find_channel(ALL_CHANNELS, 6) == find_channel(ALL_CHANNELS, 2437)
    assert find_channel(ALL_CHANNELS, 52).is_dfs and not find_channel(ALL_CHANNELS, 36).is_dfs
    assert sorted(ALL_CHANNELS) == list(ALL_CHANNELS)
    assert len({*ALL_CHANNELS, *ALL_CHANNELS}) == len(ALL_CHANNELS)
    with pytest.raises(ValueError, match="channel 15"):
        find_channel(ALL_CHANNELS, 15)
