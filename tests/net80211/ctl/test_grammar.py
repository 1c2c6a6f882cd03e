"""The wlanctl grammar: every command of the issue, bad words, and properties."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net80211.ctl import grammar
from net80211.ctl.grammar import CREATE_KEYWORDS, UsageError, parse


def test_no_words_and_list_are_the_tree():
    assert parse([]).command == "list"
    assert parse(["list"]).command == "list"
    inv = parse(["list", "--json"])
    assert inv.command == "list" and inv.json


def test_create_full_line():
    inv = parse("wlan0 create wlandev hwsim0 wlanmode hostap wlanbssid 02:00:00:00:00:09 "
                "wlanaddr 02:00:00:00:00:0a bssid -beacons wdslegacy ssid net0 channel 6 netdev tap "
                "netns ap up".split())
    assert inv.command == "create"
    assert inv.args == {"name": "wlan0", "wlandev": "hwsim0", "wlanmode": "hostap",
                        "wlanbssid": "02:00:00:00:00:09", "wlanaddr": "02:00:00:00:00:0a",
                        "bssid": True, "beacons": False, "wdslegacy": True, "ssid": "net0", "channel": 6,
                        "netdev": "tap", "netns": "ap", "up": True}


def test_negated_flags_and_last_word_wins():
    inv = parse("wlan0 create wlandev hwsim0 bssid -bssid beacons -wdslegacy".split())
    assert inv.args["bssid"] is False and inv.args["beacons"] is True and inv.args["wdslegacy"] is False


@pytest.mark.parametrize("words, why", [
    ("wlan0 create wlanmode hostap", "wlandev"),
    ("wlan0 create wlandev", "missing DEV"),
    ("wlan0 create wlandev hwsim0 channel six", "not a number"),
    ("wlan0 create wlandev hwsim0 wlanbssid 02:00", "not a MAC"),
    ("wlan0 create wlandev hwsim0 netdev bridge", "not one of"),
    ("wlan0 create wlandev hwsim0 frobnicate", "unknown keyword"),
    ("wlan0 destroy now", "unexpected"),
    ("wlan0 list", "expected one of"),
    ("wlan0 list stations", "expected one of"),
    ("hwsim0 check", "at least one mode"),
    ("hwsim0 check hostap channels", "at least one channel"),
    ("hwsim0 check hostap channels 1 6", "2 channels for 1 modes"),
    ("hwsim0 check hostap channels x", "not a number"),
    ("wlan2 capture start", "start FILE"),
    ("wlan2 capture", "start FILE"),
    ("radio", "add"),
    ("radio del", "one radio name"),
    ("radio add hwsim5 channels", "missing"),
    ("wlan0 ssid", "missing NAME"),
    ("wlan0 bogus", "unknown keyword"),
    ("--nope", "unknown option"),
    ("wl@n0", "not an interface name"),
    ("list extra", "unexpected"),
])
def test_bad_lines_are_einval(words, why):
    with pytest.raises(UsageError) as ei:
        parse(words.split())
    assert ei.value.errno == errno.EINVAL
    assert why in str(ei.value)


def test_iface_commands():
    assert parse(["wlan0"]).command == "show"
    assert parse(["wlan0", "destroy"]).request() == {"cmd": "destroy", "args": {"name": "wlan0"}}
    inv = parse("wlan0 ssid net1 channel 11 up".split())
    assert inv.request() == {"cmd": "set", "args": {"name": "wlan0", "ssid": "net1", "channel": 11,
                                                    "updown": "up"}}
    assert parse("wlan0 channel any down".split()).args == {"name": "wlan0", "channel": None,
                                                            "updown": "down"}
    for what in ("sta", "scan", "caps", "chan"):
        assert parse(["wlan0", "list", what, "--json"]).args == {"name": "wlan0", "what": what}
    assert parse("hwsim0 list combinations".split()).args["what"] == "combinations"
    inv = parse("hwsim0 check hostap sta sta channels 1 6".split())
    assert inv.command == "check"
    assert inv.args == {"name": "hwsim0", "modes": ["hostap", "sta", "sta"], "channels": [1, 6]}


def test_radio_and_capture(tmp_path, monkeypatch):
    assert parse("radio add".split()).request() == {"cmd": "radio_add", "args": {"p2p": False}}
    assert parse("radio add hwsim7 p2p channels 2".split()).args == {"name": "hwsim7", "p2p": True,
                                                                     "channels": 2}
    assert parse("radio add channels 3".split()).args == {"p2p": False, "channels": 3}
    assert parse("radio add -beaconfilter".split()).args == {"p2p": False, "beaconfilter": False}
    assert parse("radio del hwsim2".split()).request() == {"cmd": "radio_del", "args": {"name": "hwsim2"}}
    monkeypatch.chdir(tmp_path)
    inv = parse("wlan2 capture start out.pcap".split())
    assert inv.args == {"name": "wlan2", "action": "start", "path": str(tmp_path / "out.pcap")}
    assert parse("wlan2 capture stop".split()).args == {"name": "wlan2", "action": "stop"}


def test_options_anywhere_but_a_keyword_value_is_verbatim():
    inv = parse(["--socket", "/tmp/x.sock", "wlan0", "--json"])
    assert inv.socket == "/tmp/x.sock" and inv.json and inv.command == "show"
    inv = parse(["wlan0", "ssid", "--json"])
    assert inv.args["ssid"] == "--json" and not inv.json
    inv = parse(["wlan0", "ssid", "-h", "-h"])
    assert inv.args["ssid"] == "-h" and inv.help


def test_local_commands_keep_their_words():
    assert parse(["serve", "--config", "x.toml"]).rest == ["--config", "x.toml"]
    assert parse(["run", "scenario.toml", "--json"]).rest == ["scenario.toml", "--json"]
    assert parse(["conformance", "-h"]).command == "conformance"


def test_help_on_every_command():
    for c in grammar.COMMANDS:
        text = grammar.usage(c.name)
        assert text.startswith("usage: ") and c.synopsis in text
        for k in c.keywords:
            assert k.word in text
    assert grammar.help_topic(parse(["wlan0", "create", "-h"]), ["wlan0", "create", "-h"]) == "create"
    assert grammar.help_topic(parse(["radio", "-h"]), ["radio", "-h"]) == "radio"
    assert grammar.help_topic(parse(["wlan0", "-h"]), ["wlan0", "-h"]) == "show"
    assert "wlanctl IFACE create" in grammar.usage(None)


def test_table_is_introspectable():
    words = grammar.all_words()
    assert set(words) == {c.name for c in grammar.COMMANDS}
    assert {"wlandev", "wlanmode", "wlanbssid", "wlanaddr", "bssid", "-bssid", "beacons", "-beacons",
            "wdslegacy", "-wdslegacy", "ssid", "channel", "netdev", "netns", "security", "passphrase", "pmf",
            "sae_pwe", "ptk_rekey", "up", "bintval", "dtimperiod", "hidessid",
            "-hidessid", "rtsthreshold"} == set(words["create"])
    script = grammar.bash_completion()
    assert "complete -F _wlanctl wlanctl" in script and "wdslegacy" in script


# -- properties ---------------------------------------------------------------------------

_names = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
_macs = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b))
_values = {"wlandev": _names, "wlanmode": st.sampled_from(["sta", "hostap", "ap", "wds", "monitor", "adhoc"]),
           "wlanbssid": _macs, "wlanaddr": _macs, "ssid": st.text(min_size=1, max_size=32),
           "channel": st.integers(1, 200), "netdev": st.sampled_from(["tap", "queue"]), "netns": _names,
           "security": st.sampled_from(["open", "wpa2-psk", "wpa3-sae", "wpa2-wpa3"]),
           "passphrase": st.from_regex(r"[!-~]{8,63}", fullmatch=True),
           "pmf": st.sampled_from(["disabled", "optional", "required"]),
           "sae_pwe": st.integers(0, 2), "ptk_rekey": st.integers(0, 65535),
           "bintval": st.integers(0, 2000), "dtimperiod": st.integers(0, 300),
           "rtsthreshold": st.integers(0, 3000)}


@st.composite
def create_lines(draw):
    kws = draw(st.lists(st.sampled_from([k for k in CREATE_KEYWORDS if k.word != "wlandev"]),
                        unique_by=lambda k: k.key, max_size=8))
    words = ["wlandev", draw(_names)]
    expect = {"wlandev": words[1]}
    for k in kws:
        if k.arg is None:
            words.append(k.word)
            expect[k.key] = k.value
        else:
            v = draw(_values[k.word])
            words += [k.word, str(v)]
            expect[k.key] = v
    return words, expect


@given(create_lines(), _names)
@settings(max_examples=200, deadline=None)
def test_create_lines_round_trip(line, name):
    words, expect = line
    inv = parse([name, "create", *words])
    assert inv.command == "create"
    assert inv.args == {"name": name, **expect}


_tokens = st.sampled_from(["create", "destroy", "list", "check", "capture", "radio", "add", "del", "start",
                           "stop", "wlandev", "wlanmode", "ssid", "channel", "channels", "up", "down",
                           "--json", "-h", "--socket", "p2p", "hostap", "sta", "1", "6", "x", "wlan0",
                           "hwsim0", "-bssid", "netdev", "tap", "", "02:00:00:00:00:01"])


@given(st.lists(st.one_of(_tokens, st.text(max_size=6)), max_size=10))
@settings(max_examples=400, deadline=None)
def test_any_words_parse_or_fail_with_einval(words):
    try:
        inv = parse(words)
    except UsageError as e:
        assert e.errno == errno.EINVAL
        return
    assert inv.command in {c.name for c in grammar.COMMANDS} | {"radio_add", "radio_del"}
    assert isinstance(inv.args, dict)


def test_an_option_is_never_an_address_or_a_number() -> None:
    # An SSID may be "--json"; an address or a channel never starts with
    # "--", so the option keeps its meaning and the value is missing.
    with pytest.raises(UsageError, match="bssid: missing") as e:
        parse(["wlan0", "bssid", "--json"])
    assert e.value.word == "bssid"
    with pytest.raises(UsageError, match="channel: missing"):
        parse(["wlan0", "channel", "--json"])
    inv = parse(["wlan0", "bssid", "--json", "02:00:00:00:00:01"])
    assert inv.json and inv.args["bssid"] == "02:00:00:00:00:01"
