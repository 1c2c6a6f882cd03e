"""What a driver reports about frames: the receive status handed to
`input_all` with each frame, and the transmit status handed to
`tx_complete`.  Both layers read them, so they live at the bottom."""

from __future__ import annotations

from typing import NamedTuple


class RxInfo(NamedTuple):
    """How a frame reached the device (FreeBSD's `ieee80211_rx_stats`)."""

    time_ns: int  # virtual time of the end of the frame's reception
    freq: int  # MHz of the channel it was heard on
    signal: int  # dBm
    rate_idx: int  # the rate actually used (index into the driver's rate table)
    retry: bool  # the frame carried the Retry bit


class TxStatus(NamedTuple):
    """What became of a transmitted frame."""

    frame_id: int
    time_ns: int
    acked: bool
    ack_signal: int  # dBm of the ACK, 0 without one
    rates: tuple[tuple[int, int], ...]  # (rate index, tries) per MRR entry tried
    dropped: bool  # never (fully) tried: the port stopped or went away
