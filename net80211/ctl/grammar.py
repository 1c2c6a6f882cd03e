"""The wlanctl command grammar, ifconfig style, as data.

Every command and keyword lives in `COMMANDS` so that help, completion, the
man page check and the parser all read one table.  `parse(argv)` turns words
into an `Invocation`: a protocol command and its arguments.  Values are only
checked for shape here (a channel is a number, a MAC looks like one); the
daemon checks meaning (is the mode known, does the device exist).
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ic import InvalidArgument

_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")


class UsageError(InvalidArgument):
    """The words do not form a wlanctl command (EINVAL); `command` names the
    command whose usage to show, if known, `word` the word that was wrong and
    `suggestion` the known word closest to it."""

    def __init__(self, message: str, command: str | None = None, *, word: str | None = None,
                 known: tuple[str, ...] | list[str] = ()) -> None:
        self.word = word
        self.suggestion = closest(word, known) if word is not None else None
        if self.suggestion is not None:
            message = f"{message} (did you mean {self.suggestion!r}?)"
        super().__init__(message)
        self.command = command


def closest(word: str, known: tuple[str, ...] | list[str] | set[str]) -> str | None:
    """The known word a typo most likely meant (None if none is close)."""
    if word in known:
        return None
    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass(frozen=True)
class Keyword:
    """One ifconfig-style word of a command: a flag (`arg` None) or a word
    followed by a value."""

    word: str
    help: str
    dest: str = ""
    arg: str | None = None  # metavar of the value
    choices: tuple[str, ...] = ()
    value: Any = True  # what a flag stores in `dest`
    kind: str = "str"  # value shape: str, int, mac, bssid (a MAC or any), name, path, channel

    @property
    def key(self) -> str:
        return self.dest or self.word


@dataclass(frozen=True)
class Command:
    """A command: `target` says what precedes it (an interface name or nothing)."""

    name: str
    target: str  # "iface" (vap or device), "vap", "device", "none"
    synopsis: str
    help: str
    keywords: tuple[Keyword, ...] = ()
    subwords: tuple[str, ...] = ()  # fixed choices of a positional word (list WHAT, capture ACTION)
    read: bool = False  # a read command: takes --json
    local: bool = False  # handled by the CLI itself, not sent to the daemon


_MACS = "aa:bb:cc:dd:ee:ff"

CREATE_KEYWORDS = (
    Keyword("wlandev", "the device (radio) to clone the vap on (required)", arg="DEV", kind="name"),
    Keyword("wlanmode", "operating mode: sta (default), hostap|ap, adhoc|ibss, ahdemo, tdma, wds, "
            "monitor, mesh, p2p-device, p2p-go, p2p-client", arg="MODE"),
    Keyword("wlanbssid", "fixed BSSID (a WDS vap's peer address)", arg=_MACS, kind="mac"),
    Keyword("wlanaddr", "the vap's own MAC address (CLONE_MACADDR)", arg=_MACS, kind="mac"),
    Keyword("bssid", "ask for a unique MAC address/BSSID (CLONE_BSSID)", value=True),
    Keyword("-bssid", "share the device's address (default)", dest="bssid", value=False),
    Keyword("beacons", "send beacons (default)", value=True),
    Keyword("-beacons", "no beacon timers, software beacon miss (CLONE_NOBEACONS)", dest="beacons",
            value=False),
    Keyword("wdslegacy", "static WDS link (CLONE_WDSLEGACY)", value=True),
    Keyword("-wdslegacy", "dynamic WDS (default)", dest="wdslegacy", value=False),
    Keyword("ssid", "network name (at most 32 bytes)", arg="NAME"),
    Keyword("channel", "channel number, or 'any'", arg="N", kind="channel"),
    Keyword("netdev", "the vap's network interface: a Linux TAP or an in-process queue",
            arg="KIND", choices=("tap", "queue")),
    Keyword("netns", "network namespace of the TAP (created if missing)", arg="NAME", kind="name"),
    Keyword("security", "protection: open (default), wpa2-psk, wpa3-sae, wpa2-wpa3", arg="KIND",
            choices=("open", "wpa2-psk", "wpa3-sae", "wpa2-wpa3")),
    Keyword("passphrase", "the network's passphrase (8..63 characters with wpa2-psk/wpa2-wpa3)",
            arg="TEXT"),
    Keyword("pmf", "management frame protection: disabled, optional, required (default: by security)",
            arg="POLICY", choices=("disabled", "optional", "required")),
    Keyword("sae_pwe", "SAE password element: 0 hunting and pecking (default), 1 hash-to-element, 2 both",
            arg="N", kind="int"),
    Keyword("ptk_rekey", "a new pairwise key every N seconds (0..65535; 0: never, the default)", arg="N",
            kind="int"),
    Keyword("up", "bring the vap up once created", value=True),
    Keyword("bintval", "beacon interval in TU (25..1000, default 100)", arg="TU", kind="int"),
    Keyword("dtimperiod", "DTIM period in beacons (1..15, default 1)", dest="dtim_period", arg="N",
            kind="int"),
    Keyword("hidessid", "leave the SSID out of beacons and wildcard probe responses", value=True),
    Keyword("-hidessid", "announce the SSID (default)", dest="hidessid", value=False),
    Keyword("rtsthreshold", "unicast frames longer than N bytes go with an RTS/CTS exchange "
            "(1..2346, default 2346: none)", arg="N", kind="int"),
)

ROAMING_MODES = ("auto", "manual")

SET_KEYWORDS = (
    Keyword("ssid", "network name (at most 32 bytes)", arg="NAME"),
    Keyword("channel", "channel number, or 'any'", arg="N", kind="channel"),
    Keyword("roaming", "a station's roaming: auto (reassociate to a stronger AP of its ESS when the "
            "signal or rate drops below roam:rssi/roam:rate) or manual (stay)", arg="MODE",
            choices=ROAMING_MODES),
    Keyword("roam:rssi", "signal (dBm) below which a station looks for a better AP", arg="DBM",
            dest="roam_rssi", kind="number"),
    Keyword("roam:rate", "transmit rate (Mb/s) below which a station looks for a better AP", arg="MBPS",
            dest="roam_rate", kind="number"),
    Keyword("up", "bring the vap up", dest="updown", value="up"),
    Keyword("down", "take the vap down", dest="updown", value="down"),
    # ifconfig(8)'s 802.11 parameters; a running vap restarts to apply them.
    Keyword("bssid", "the BSS to join (station) or use; any, off or - for any", arg=_MACS, kind="bssid"),
    Keyword("-bssid", "join any BSS (default)", dest="bssid", value=None),
    Keyword("bintval", "beacon interval in TU (25..1000)", arg="TU", kind="int"),
    Keyword("dtimperiod", "DTIM period in beacons (1..15)", dest="dtim_period", arg="N", kind="int"),
    Keyword("hidessid", "leave the SSID out of beacons and wildcard probe responses", value=True),
    Keyword("-hidessid", "announce the SSID (default)", dest="hidessid", value=False),
    Keyword("rtsthreshold", "unicast frames longer than N bytes go with an RTS/CTS exchange (1..2346)",
            arg="N", kind="int"),
    Keyword("authmode", "authentication: open (none is open; shared, 8021x, wpa are refused)",
            arg="MODE", choices=("none", "open", "shared", "8021x", "wpa")),
    # The device's: given on a vap, they apply to its device (as ifconfig).
    Keyword("txpower", "transmit power in dBm, at most the regulatory limit", arg="DBM", kind="int"),
    Keyword("country", "ISO country code: the regulatory domain, channel list and power limits "
            "follow it (US, DE, JP, ... 00 for none)", arg="CC"),
    Keyword("regdomain", "regulatory domain: FCC, ETSI, MKK or DEBUG (no limits)", arg="NAME"),
)
# Set keywords that act on a device (accepted on a device's name too).
DEVICE_SET_KEYS = frozenset({"txpower", "country", "regdomain"})

RADIO_ADD_KEYWORDS = (
    Keyword("p2p", "the radio has a P2P device (HWSIM_ATTR_SUPPORT_P2P_DEVICE)", value=True),
    Keyword("channels", "channels the radio may use at once", arg="N", kind="int"),
    Keyword("-beaconfilter", "pass every beacon up, as mac80211_hwsim does (no beacon filter offload)",
            dest="beaconfilter", value=False),
)

VAP_LISTS = ("sta", "scan", "caps", "chan")
DEVICE_LISTS = ("caps", "chan", "combinations")
LIST_ALIASES = {"channels": "chan"}  # `list channels` as ifconfig's `list chan`

COMMANDS: tuple[Command, ...] = (
    Command("list", "none", "wlanctl [list] [--json]",
            "every device and its vaps, as a tree", read=True),
    Command("radio", "none", "wlanctl radio add [NAME] [p2p] [channels N] [-beaconfilter] | radio del NAME",
            "add or remove a radio (like HWSIM_CMD_NEW_RADIO / DEL_RADIO)",
            keywords=RADIO_ADD_KEYWORDS, subwords=("add", "del")),
    Command("serve", "none", "wlanctl serve [--config FILE] [--socket PATH]",
            "run the daemon that holds the devices", local=True),
    Command("run", "none", "wlanctl run FILE ...", "run a scenario in virtual time, in-process",
            local=True),
    Command("conformance", "none", "wlanctl conformance ...", "run the conformance test matrix",
            local=True),
    Command("sweep", "none", "wlanctl sweep FILE --out DIR [--workers N] [--ray [ADDRESS]]",
            "run a scenario over parameter axes (a sweep file), in parallel or on Ray", local=True),
    Command("completion", "none", "wlanctl completion [bash|zsh]", "print a shell completion script",
            local=True, subwords=("bash", "zsh")),
    Command("show", "iface", "wlanctl IFACE [--json]",
            "show a vap (mode, state, addresses, channel, ssid, bssid, flags, counters) or a device",
            read=True),
    Command("create", "vap", "wlanctl IFACE create wlandev DEV [wlanmode MODE] [wlanbssid MAC] "
            "[wlanaddr MAC] [bssid|-bssid] [beacons|-beacons] [wdslegacy|-wdslegacy] [ssid NAME] "
            "[channel N] [netdev tap|queue] [netns NAME] [security KIND] [passphrase TEXT] [pmf POLICY] "
            "[sae_pwe N] [ptk_rekey N] [up]",
            "clone a vap on a device", keywords=CREATE_KEYWORDS),
    Command("destroy", "vap", "wlanctl IFACE destroy", "destroy a vap (and its netdev)"),
    Command("set", "iface", "wlanctl IFACE [ssid NAME] [channel N] [up|down] [bssid MAC|-bssid] "
            "[bintval TU] [dtimperiod N] [hidessid|-hidessid] [authmode MODE] [roaming auto|manual] "
            "[roam:rssi DBM] [roam:rate MBPS] "
            "[txpower DBM] [country CC] [regdomain NAME]",
            "change a vap's parameters, bring it up or down; txpower, country and regdomain also on "
            "a device", keywords=SET_KEYWORDS),
    Command("query", "iface", "wlanctl IFACE list sta|scan|caps|chan|channels|combinations [--json]",
            "stations, scan results, capabilities, channels with their power limits (vap); caps, "
            "chan, combinations (device)",
            subwords=tuple(dict.fromkeys(VAP_LISTS + DEVICE_LISTS + tuple(LIST_ALIASES))), read=True),
    Command("scan", "vap", "wlanctl IFACE scan [--json]",
            "scan now and print what was heard (ifconfig IFACE scan); the vap must be up", read=True),
    Command("check", "device", "wlanctl DEV check MODE [MODE ...] [channels N [N ...]] [--json]",
            "would this mix of vaps be allowed on the device? (with the explanation)", read=True),
    Command("capture", "vap", "wlanctl IFACE capture start FILE | capture stop",
            "write a monitor vap's frames to a pcap file", subwords=("start", "stop")),
    Command("position", "device", "wlanctl DEV position X Y [Z]",
            "move a simulated radio to (X, Y, Z) metres; the medium's links follow"),
)

BY_NAME = {c.name: c for c in COMMANDS}
# The word that selects a command after an interface name (set and show have none).
IFACE_VERBS = {"create": "create", "destroy": "destroy", "list": "query", "check": "check",
               "capture": "capture", "scan": "scan", "position": "position"}
TOP_WORDS = ("list", "radio", "serve", "run", "conformance", "sweep", "completion")
SHELLS = ("bash", "zsh")
GLOBAL_OPTIONS = (
    ("--json", "print the answer, and any error, as one JSON object"),
    ("--socket PATH", "the daemon's control socket (default $WLANCTL_SOCKET or "
     "/run/net80211/wlanctl.sock)"),
    ("-h, --help", "show help (of a command, when given after it)"),
)


@dataclass
class Invocation:
    """A parsed command line."""

    command: str
    args: dict[str, Any] = field(default_factory=dict)
    json: bool = False
    help: bool = False
    socket: str | None = None
    rest: list[str] = field(default_factory=list)  # words for local commands (serve, run, ...)

    def request(self) -> dict[str, Any]:
        """The protocol request this invocation sends."""
        return {"cmd": self.command, "args": self.args}


def all_words() -> dict[str, list[str]]:
    """Every command and every keyword or fixed word it accepts (for the man
    page check and completion)."""
    out: dict[str, list[str]] = {}
    for c in COMMANDS:
        out[c.name] = [k.word for k in c.keywords] + list(c.subwords)
    return out


def _value(kw: Keyword, word: str | None, command: str) -> Any:
    if word is None:
        raise UsageError(f"{kw.word}: missing {kw.arg}", command, word=kw.word)
    if kw.choices and word not in kw.choices:
        raise UsageError(f"{kw.word}: {word!r} is not one of {', '.join(kw.choices)}", command,
                         word=word, known=kw.choices)
    if kw.kind == "int" or (kw.kind == "channel" and word not in ("any", "-")):
        try:
            n = int(word, 10)
        except ValueError:
            raise UsageError(f"{kw.word}: {word!r} is not a number", command, word=word) from None
        if n < 0 or n > 0xFFFF:
            raise UsageError(f"{kw.word}: {n} is out of range", command, word=word)
        return n
    if kw.kind == "channel":
        return None
    if kw.kind == "bssid":
        if word in ("any", "off", "-"):
            return None
        if not _MAC_RE.match(word):
            raise UsageError(f"{kw.word}: {word!r} is not a MAC address (or any)", command, word=word)
        return word
    if kw.kind == "number":
        return _number(word, kw.word, command)
    if kw.kind == "mac" and not _MAC_RE.match(word):
        raise UsageError(f"{kw.word}: {word!r} is not a MAC address", command, word=word)
    if kw.kind == "name" and not _NAME_RE.match(word):
        raise UsageError(f"{kw.word}: {word!r} is not a valid name", command, word=word)
    return word


def _number(word: str, what: str, command: str) -> float:
    try:
        v = float(word)
    except ValueError:
        raise UsageError(f"{what}: {word!r} is not a number", command) from None
    if not math.isfinite(v) or abs(v) > 1e9:
        raise UsageError(f"{what}: {word!r} is not a finite number", command)
    return v


def _keywords(cmd: Command, words: list[str], table: tuple[Keyword, ...]) -> dict[str, Any]:
    by_word = {k.word: k for k in table}
    args: dict[str, Any] = {}
    i = 0
    while i < len(words):
        w = words[i]
        kw = by_word.get(w)
        if kw is None:
            known = list(by_word)
            if cmd.name == "set" and i == 0:
                known += list(IFACE_VERBS)  # `wlan0 craete ...`: a verb was meant
            raise UsageError(f"{cmd.name}: unknown keyword {w!r}", cmd.name, word=w, known=known)
        if kw.arg is None:
            args[kw.key] = kw.value
            i += 1
        else:
            args[kw.key] = _value(kw, words[i + 1] if i + 1 < len(words) else None, cmd.name)
            i += 2
    return args


def _split_options(argv: list[str]) -> tuple[list[str], bool, bool, str | None]:
    """Take the global options out of argv.  Options are recognised before the
    first word and after it, except where a keyword expects a value: a
    keyword's value is taken verbatim (an SSID may be '--json'), unless
    the keyword takes an address or a number, which never starts with '--':
    `bssid --json` is then a missing address, not a bad one."""
    words: list[str] = []
    json_out = help_ = False
    socket: str | None = None
    expect_value = False
    i = 0
    while i < len(argv):
        w = argv[i]
        if expect_value and not (w.startswith("--") and _valued(words).get(words[-1]) in _NOT_OPTIONS):
            words.append(w)  # the value of the previous keyword, verbatim
            expect_value = False
        elif w == "--json":
            json_out = True
        elif w in ("-h", "--help"):
            help_ = True
        elif w == "--socket" or w.startswith("--socket="):
            if "=" in w:
                socket = w.split("=", 1)[1]
            elif i + 1 < len(argv):
                i += 1
                socket = argv[i]
            else:
                raise UsageError("--socket: missing PATH")
        else:
            expect_value = bool(words) and w in _valued(words)
            words.append(w)
        i += 1
    return words, json_out, help_, socket


# Value kinds that can never begin with "--" (see _split_options).
_NOT_OPTIONS = frozenset({"mac", "bssid", "int", "channel", "number"})


def _valued(words: list[str]) -> dict[str, str]:
    """The keywords that take a value in the command `words` begin, with the
    kind of their value (`bssid` is a flag of create and takes an address in
    set)."""
    verb = IFACE_VERBS.get(words[1]) if len(words) > 1 else None
    if words[0] == "radio":
        cmd = BY_NAME["radio"]
    elif verb is not None:
        cmd = BY_NAME[verb]
    else:
        cmd = BY_NAME["set"]
    return {k.word: k.kind for k in cmd.keywords if k.arg}


def parse(argv: list[str]) -> Invocation:
    """Parse wlanctl's arguments (without the program name)."""
    # Local commands own everything after their word (argparse or a helper parses it).
    if argv and argv[0] in ("serve", "run", "conformance", "sweep"):
        return Invocation(argv[0], rest=list(argv[1:]))
    words, json_out, help_, socket = _split_options(list(argv))
    inv = Invocation("list", json=json_out, help=help_, socket=socket)
    if not words:
        return inv
    head, rest = words[0], words[1:]
    if head == "list":
        if rest:
            raise UsageError(f"list: unexpected {rest[0]!r}", "list", word=rest[0])
        return inv
    if head == "completion":
        inv.command = "completion"
        inv.args["shell"] = rest[0] if len(rest) == 1 and rest[0] in SHELLS else "bash"
        if rest and (len(rest) > 1 or rest[0] not in SHELLS):
            raise UsageError(f"completion: unknown shell {rest[0]!r} (bash or zsh)", "completion",
                             word=rest[0], known=SHELLS)
        return inv
    if head == "radio":
        inv.command = "radio"
        return _radio(inv, rest)
    if head.startswith("-"):
        raise UsageError(f"unknown option {head!r}", word=head,
                         known=["--json", "--socket", "--help"])
    if not _NAME_RE.match(head):
        raise UsageError(f"{head!r} is not an interface name", word=head, known=TOP_WORDS)
    inv.args["name"] = head
    verb = IFACE_VERBS.get(rest[0]) if rest else None
    if not rest:
        inv.command = "show"
    elif verb is None:
        inv.command = "set"
        inv.args.update(_keywords(BY_NAME["set"], rest, SET_KEYWORDS))
    else:
        inv.command = verb
        _IFACE_PARSERS[verb](inv, rest[1:])
    return inv


def _create(inv: Invocation, words: list[str]) -> None:
    if inv.help:
        return
    args = _keywords(BY_NAME["create"], words, CREATE_KEYWORDS)
    if "wlandev" not in args:
        raise UsageError(f"{inv.args['name']}: create needs wlandev DEV", "create")
    inv.args.update(args)


def _destroy(inv: Invocation, words: list[str]) -> None:
    if words:
        raise UsageError(f"destroy: unexpected {words[0]!r}", "destroy", word=words[0])


def _query(inv: Invocation, words: list[str]) -> None:
    if inv.help:
        return
    cmd = BY_NAME["query"]
    if len(words) != 1 or words[0] not in cmd.subwords:
        got = repr(words[0]) if words else "nothing"
        raise UsageError(f"list: expected one of {', '.join(cmd.subwords)}, got {got}", "query",
                         word=words[0] if words else None, known=cmd.subwords)
    inv.args["what"] = LIST_ALIASES.get(words[0], words[0])


def _scan(inv: Invocation, words: list[str]) -> None:
    if words:
        raise UsageError(f"scan: unexpected {words[0]!r}", "scan", word=words[0])


def _check(inv: Invocation, words: list[str]) -> None:
    if inv.help:
        return
    modes: list[str] = []
    channels: list[int] | None = None
    for w in words:
        if w == "channels" and channels is None:
            channels = []
        elif channels is None:
            modes.append(w)
        else:
            try:
                channels.append(int(w, 10))
            except ValueError:
                raise UsageError(f"check: channel {w!r} is not a number", "check", word=w) from None
    if not modes:
        raise UsageError("check: name at least one mode", "check")
    if channels is not None and not channels:
        raise UsageError("check: channels needs at least one channel number", "check")
    if channels is not None and len(channels) > len(modes):
        raise UsageError(f"check: {len(channels)} channels for {len(modes)} modes", "check")
    inv.args["modes"] = modes
    if channels is not None:
        inv.args["channels"] = channels


def _capture(inv: Invocation, words: list[str]) -> None:
    if inv.help:
        return
    if words[:1] == ["start"] and len(words) == 2:
        inv.args.update(action="start", path=os.path.abspath(words[1]))
    elif words == ["stop"]:
        inv.args["action"] = "stop"
    else:
        raise UsageError("capture: expected 'start FILE' or 'stop'", "capture",
                         word=words[0] if words else None, known=("start", "stop"))


def _radio(inv: Invocation, words: list[str]) -> Invocation:
    if inv.help:
        return inv
    if not words or words[0] not in ("add", "del"):
        raise UsageError("radio: expected 'add' or 'del'", "radio", word=words[0] if words else None,
                         known=("add", "del"))
    if words[0] == "del":
        if len(words) != 2 or not _NAME_RE.match(words[1]):
            raise UsageError("radio del: expected one radio name", "radio")
        inv.command = "radio_del"
        inv.args["name"] = words[1]
        return inv
    inv.command = "radio_add"
    rest = words[1:]
    keywords = {k.word for k in RADIO_ADD_KEYWORDS}
    if rest and rest[0] not in keywords:
        if not _NAME_RE.match(rest[0]):
            raise UsageError(f"radio add: {rest[0]!r} is not a valid name", "radio", word=rest[0])
        inv.args["name"] = rest[0]
        rest = rest[1:]
    inv.args.update(_keywords(BY_NAME["radio"], rest, RADIO_ADD_KEYWORDS))
    inv.args.setdefault("p2p", False)
    return inv


def _position(inv: Invocation, words: list[str]) -> None:
    if inv.help:
        return
    if not 2 <= len(words) <= 3:
        raise UsageError(f"position: expected X Y [Z] in metres, got {len(words)} word(s)", "position")
    for w, axis in zip(words, "xyz", strict=False):
        inv.args[axis] = _number(w, f"position {axis.upper()}", "position")


_IFACE_PARSERS = {"create": _create, "destroy": _destroy, "query": _query, "check": _check,
                  "capture": _capture, "scan": _scan, "position": _position}


def usage(command: str | None = None) -> str:
    """Help text: one command's, or the overview."""
    if command is not None and command in BY_NAME:
        c = BY_NAME[command]
        lines = [f"usage: {c.synopsis}", "", c.help]
        if c.keywords:
            lines.append("")
            for k in c.keywords:
                left = f"{k.word} {k.arg}" if k.arg else k.word
                lines.append(f"  {left:<28} {k.help}")
        if c.read:
            lines += ["", "  --json                       print the answer as JSON"]
        return "\n".join(lines)
    lines = ["usage: wlanctl [--socket PATH] [--json] [IFACE] [COMMAND ...]", "", "commands:"]
    for c in COMMANDS:
        lines.append(f"  {c.synopsis}")
        lines.append(f"      {c.help}")
    lines += ["", "options:"]
    lines += [f"  {opt:<28} {text}" for opt, text in GLOBAL_OPTIONS]
    lines += ["", "`wlanctl IFACE COMMAND -h` shows one command's keywords;",
              "`man -l docs/man/wlanctl.8` (in the source tree) is the whole manual."]
    return "\n".join(lines)


def help_topic(inv: Invocation, argv: list[str]) -> str | None:
    """Which command's help `-h` asks for."""
    if inv.command in BY_NAME and inv.command not in ("list", "show"):
        return inv.command
    words = [w for w in argv if not w.startswith("-")]
    if len(words) >= 2 and words[1] in IFACE_VERBS:
        return IFACE_VERBS[words[1]]
    if words and words[0] in BY_NAME:
        return words[0]
    if len(words) == 1:
        return "show"
    return None


def bash_completion() -> str:
    """A bash completion script driven by the command table."""
    top = " ".join(TOP_WORDS)
    verbs = " ".join(sorted(IFACE_VERBS)) + " " + " ".join(k.word for k in SET_KEYWORDS)
    create = " ".join(k.word for k in CREATE_KEYWORDS)
    lists = " ".join(BY_NAME["query"].subwords)
    return f"""# bash completion for wlanctl (generated from its command table)
_wlanctl() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} first=${{COMP_WORDS[1]}} verb=${{COMP_WORDS[2]}}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{top} --json --socket -h" -- "$cur")); return
    fi
    case "$first" in
        radio) COMPREPLY=($(compgen -W "add del p2p channels" -- "$cur")); return;;
        serve) COMPREPLY=($(compgen -W "--config --socket --state -v -vv" -- "$cur")); return;;
        completion) COMPREPLY=($(compgen -W "{" ".join(SHELLS)}" -- "$cur")); return;;
    esac
    case "$verb" in
        create) COMPREPLY=($(compgen -W "{create}" -- "$cur"));;
        list) COMPREPLY=($(compgen -W "{lists}" -- "$cur"));;
        capture) COMPREPLY=($(compgen -W "start stop" -- "$cur"));;
        *) COMPREPLY=($(compgen -W "{verbs}" -- "$cur"));;
    esac
}}
complete -F _wlanctl wlanctl
"""


def zsh_completion() -> str:
    """A zsh completion script driven by the command table (compdef wlanctl)."""
    top = " ".join(TOP_WORDS)
    verbs = " ".join(sorted(IFACE_VERBS)) + " " + " ".join(k.word for k in SET_KEYWORDS)
    create = " ".join(k.word for k in CREATE_KEYWORDS)
    lists = " ".join(BY_NAME["query"].subwords)
    radio = "add del " + " ".join(k.word for k in RADIO_ADD_KEYWORDS)
    return f"""#compdef wlanctl
# zsh completion for wlanctl (generated from its command table)
_wlanctl() {{
    local -a words_
    if (( CURRENT == 2 )); then
        words_=({top} --json --socket -h)
        compadd -a words_; return
    fi
    case "$words[2]" in
        radio) words_=({radio}); compadd -a words_; return;;
        serve) words_=(--config --socket --state -v -vv); compadd -a words_; return;;
        completion) words_=({" ".join(SHELLS)}); compadd -a words_; return;;
        run|conformance) _files; return;;
    esac
    case "$words[3]" in
        create) words_=({create});;
        list) words_=({lists});;
        capture) words_=(start stop);;
        *) words_=({verbs});;
    esac
    compadd -a words_
}}
compdef _wlanctl wlanctl
"""
