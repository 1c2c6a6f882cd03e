"""Monitor mode (`ieee80211_monitor.c`): receive everything on the channel,
inject raw frames, capture to pcap.

A running monitor vap makes the device promiscuous (the driver's
`ic_update_filter` programs that), so the input path hands it every frame
heard on the channel, whoever it is for.  As in Linux, frames the device
itself transmitted are shown to its monitor vaps when their transmission
completes (`tx_seen`, called from the device's tx-complete path).
Injection (`vap.inject`) takes a bare 802.11 frame or one behind a radiotap
header, as Linux monitor interfaces do, and hands it to `ic_raw_xmit`.
The mode's per-vap state is a `MonitorState` at `vap.mon`.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from ic import IEEE80211Com, InvalidArgument, Net80211Error, NoSuchDevice, OpMode, RxInfo, State, TxStatus
from net80211.bss import follow_running_channel, leave_bss
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.wire.capture import Capture, rate_index, rx_radiotap
from net80211.wire.frame import FrameError, peek
from net80211.wire.radiotap import TX_FLAG_NOACK, RTFlags, parse_tx_radiotap

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

MAX_MPDU = 2304 + 30 + 4  # the largest body, a 4-address QoS header and HT Control

_KIND = ("rx_mgmt", "rx_ctrl", "rx_data", "rx_ext")


def _tsf_us(ic: IEEE80211Com, time_ns: int) -> int:
    """The device's TSF at `time_ns`, a moment already past."""
    return time_ns // 1000 + ic.ic_tsf_offset_us


def looks_like_radiotap(buf: bytes) -> bool:
    """Whether `buf` starts with a radiotap header that leaves a whole 802.11
    header behind it (version 0, pad 0, a length within the buffer)."""
    if len(buf) < 8 + 10 or buf[0] or buf[1]:
        return False
    length = buf[2] | buf[3] << 8
    return 8 <= length <= len(buf) - 10


@dataclass(slots=True, eq=False)
class MonitorState:
    """A monitor vap's state (`vap.mon`)."""

    stats: Counter[str] = field(default_factory=Counter)
    pcap: Capture | None = None  # the open capture, if any


class MonitorMode(Mode):
    opmode = OpMode.MONITOR
    TRANSITIONS = transitions_table(INIT=ANY, RUN=(S.INIT, S.RUN))

    START = (State.RUN, True)

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.mon = MonitorState()

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        self.stop_capture(vap)
        vap.mon = None

    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.RUN:
            follow_running_channel(vap)

    # -- receive ---------------------------------------------------------------
    def input(self, vap: IEEE80211Vap, frame: bytes, rx: RxInfo) -> None:
        # Everything a monitor hears goes up its interface, as on Linux's mon0.
        vap.stats.rx_packets += 1
        vap.stats.rx_bytes += len(frame)
        mon = vap.mon
        assert mon is not None
        st = mon.stats
        st[_KIND[(frame[0] >> 2) & 3]] += 1
        if len(frame) > 1 and frame[1] & 0x08:
            st["rx_retry"] += 1
        cap = mon.pcap
        if cap is not None:
            freq = rx.freq or vap.ic.curchan.freq
            tsf = _tsf_us(vap.ic, rx.time_ns)
            cap.write(frame, rx.time_ns, rx_radiotap(freq, rx.rate_idx, tsf, rx.signal))

    def tx_seen(self, vap: IEEE80211Vap, frame: bytes, status: TxStatus) -> None:
        """A frame the device transmitted completed (Linux's tx status monitor)."""
        st = vap.mon
        assert st is not None
        st.stats["tx_seen"] += 1
        cap = st.pcap
        if cap is not None:
            rates = status.rates
            rate_idx = rates[-1][0] if rates else 0  # the rate of the last attempt
            t = status.time_ns
            cap.write(frame, t, rx_radiotap(vap.ic.curchan.freq, rate_idx, _tsf_us(vap.ic, t), None))

    # -- capture ---------------------------------------------------------------
    def capture(self, vap: IEEE80211Vap, dest: str | os.PathLike[str] | BinaryIO) -> None:
        """Write what this vap sees to a pcap file (link type 127), replacing
        any capture already open."""
        st = vap.mon
        if st is None:
            raise NoSuchDevice(f"{vap.name}: the vap is detached, nothing to capture")
        cap = Capture(dest, epoch_ns=vap.ic.sched.epoch_ns)
        self.stop_capture(vap)
        st.pcap = cap

    def stop_capture(self, vap: IEEE80211Vap) -> int:
        """Close the capture; the number of frames it holds (0 without one)."""
        mon = vap.mon
        if mon is None:
            return 0  # detached: its capture was closed then
        cap, mon.pcap = mon.pcap, None
        if cap is None:
            return 0
        n = cap.close()
        mon.stats["captured"] += n
        return n

    # -- inject ----------------------------------------------------------------
    def inject(self, vap: IEEE80211Vap, frame: bytes, *, radiotap: bool | None = None) -> bool:
        """Send a raw frame; True when the device took it.

        `radiotap` None guesses from the first bytes (a bare association
        request with a duration >= 8 would look like radiotap: say False).
        Honoured radiotap fields, as Linux: Flags.FCS (the FCS is stripped),
        Rate (a fixed rate), TX flags NOACK, Data Retries.
        """
        st = vap.mon
        assert st is not None
        if not isinstance(frame, bytes | bytearray | memoryview):
            raise InvalidArgument(f"{vap.name}: inject wants bytes, not {type(frame).__name__}")
        frame = bytes(frame)
        if vap.state != State.RUN:
            st.stats["inject_errors"] += 1
            raise Net80211Error(f"{vap.name}: cannot inject, the vap is not running", errno.ENETDOWN)
        params: dict[str, Any] = {}
        if radiotap or (radiotap is None and looks_like_radiotap(frame)):
            frame, params = self._strip_radiotap(vap, frame)
        if len(frame) > MAX_MPDU:
            st.stats["inject_errors"] += 1
            raise InvalidArgument(f"{vap.name}: injected frame of {len(frame)} bytes exceeds {MAX_MPDU}")
        try:
            peek(frame)
        except FrameError as e:
            st.stats["inject_errors"] += 1
            raise InvalidArgument(f"{vap.name}: injected frame is not 802.11: {e}") from None
        if not vap.ic.ic_raw_xmit(vap, frame, params):
            vap.stats.tx_dropped += 1
            return False
        st.stats["injected"] += 1
        vap.stats.tx_packets += 1
        vap.stats.tx_bytes += len(frame)
        return True

    def _strip_radiotap(self, vap: IEEE80211Vap, buf: bytes) -> tuple[bytes, dict[str, Any]]:
        st = vap.mon
        assert st is not None
        try:
            rt = parse_tx_radiotap(buf)
        except FrameError as e:
            st.stats["inject_errors"] += 1
            raise InvalidArgument(f"{vap.name}: bad radiotap header on injected frame: {e}") from None
        mpdu = buf[rt.length:]
        if rt.flags is not None and rt.flags & RTFlags.FCS:
            if len(mpdu) < 4:
                st.stats["inject_errors"] += 1
                raise InvalidArgument(f"{vap.name}: radiotap announces an FCS the frame cannot hold")
            mpdu = mpdu[:-4]
        params: dict[str, Any] = {}
        if rt.tx_flags is not None and rt.tx_flags & TX_FLAG_NOACK:
            params["no_ack"] = True
        tries = 1 + (rt.data_retries or 0)
        if rt.rate is not None:
            idx = rate_index(vap.ic.curchan.freq, rt.rate)
            if idx is None:
                st.stats["inject_errors"] += 1
                raise InvalidArgument(f"{vap.name}: radiotap rate {rt.rate * 0.5:g} Mb/s is not available "
                                      f"on {vap.ic.curchan.freq} MHz")
            params["rates"] = ((idx, tries),)
        elif rt.data_retries is not None:
            params["rates"] = ((0, tries),)
        return mpdu, params

