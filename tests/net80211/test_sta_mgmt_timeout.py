"""A station waits for its association answer 200 ms from the request's ACK,
as mac80211 does, not from the moment it queued the request: a request whose
TX status comes late (a busy queue, a slow external medium) is not resent
before the AP has had its time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ic import MS, SEC, Scheduler, State, TxStatus
from net80211.driver import open_driver
from net80211.modes import sta as sta_mode
from net80211.wire.mgmt import AssocReq, ReassocReq

Held = list[tuple[int, Callable[[bytes, TxStatus], None]]]


def _world(monkeypatch: pytest.MonkeyPatch) -> tuple[Scheduler, Held, object]:
    """An AP and a station whose association requests never go on the air:
    each is held, with when it was queued and its TX status callback, for
    the test to answer."""
    s = Scheduler()
    held: Held = []
    real_send = sta_mode.send_mgmt

    def send_mgmt(vap, dst, body, on_status=None):  # type: ignore[no-untyped-def]
        if isinstance(body, (AssocReq, ReassocReq)):
            held.append((s.now_ns, on_status))
            return True
        return real_send(vap, dst, body, on_status=on_status)

    monkeypatch.setattr(sta_mode, "send_mgmt", send_mgmt)
    d = open_driver("hwsim", s, radios=2)
    d.devices[0].create_vap("ap0", "hostap", ssid="lab", channel=6).up()
    sta = d.devices[1].create_vap("sta0", "sta", ssid="lab")
    sta.up()
    assert s.run_until(lambda: held, 10 * SEC)
    return s, held, sta


def test_the_answer_is_waited_for_from_the_ack(monkeypatch: pytest.MonkeyPatch) -> None:
    s, held, sta = _world(monkeypatch)
    t0, on_status = held[0]
    assert sta.state == State.ASSOC  # type: ignore[attr-defined]
    s.run_for(t0 + 150 * MS - s.now_ns)
    on_status(b"", TxStatus(1, s.now_ns, True, -40, ((0, 1),), False))
    s.run_for(t0 + 300 * MS - s.now_ns)
    assert len(held) == 1  # 200 ms from the send have passed, 200 ms from the ACK have not
    s.run_for(t0 + 360 * MS - s.now_ns)
    assert len(held) == 2  # and then it tries again


def test_an_unacked_request_is_retried_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    s, held, _sta = _world(monkeypatch)
    t0, on_status = held[0]
    on_status(b"", TxStatus(1, s.now_ns, False, 0, ((0, 4),), False))
    s.run_for(t0 + 45 * MS - s.now_ns)
    assert len(held) == 2  # mac80211's short retry, not the 200 ms wait
