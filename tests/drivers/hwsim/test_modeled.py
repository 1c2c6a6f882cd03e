"""The modeled medium: PER, ACKs, retries, carrier sense, collisions,
capture, adjacent channels, determinism."""

import math

import numpy as np
import pytest

from drivers.hwsim.kernel import model
from drivers.hwsim.kernel.medtypes import FIF_PROMISC
from drivers.hwsim.world import ModelSpec

from .helpers import BCAST, World, data, mac

NONE = model.SNR_NONE


def snr_world(n, links, *, seed=0, fading=0.0, backend="c", default=NONE, **kw):
    """n ports with explicit symmetric SNRs {(i, j): dB}; others `default`."""
    spec = ModelSpec(kind="snr", default_snr=default, links=dict(links), fading=fading, **kw)
    return World(n, model=spec, seed=seed, backend=backend)


def test_unicast_is_acked_with_signals_from_the_snr():
    w = snr_world(2, {(0, 1): 30.0})
    f = data(mac(1), mac(0), mac(1))
    w.ports[0].transmit(f, rates=((4, 1),))
    w.run()
    (got, info), = w.rx[1]
    assert got == f and info.signal == -61 and info.rate_idx == 4 and not info.retry
    (_, st), = w.status[0]
    assert st.acked and st.ack_signal == -61 and st.rates == ((4, 1),)
    # data airtime + SIFS + ACK airtime, after AIFS and backoff
    assert st.time_ns - info.time_ns == 16_000 + 44_000
    c = w.medium.counters
    assert c["acks"] == 1 and c["acked"] == 1 and c["deliveries"] == 1


def test_multi_rate_retry_falls_back_and_sets_the_retry_bit():
    # at 8 dB, 54 Mb/s (index 11) never gets through and 6 Mb/s (index 4) always does
    assert model.per(8.0, 11, 124) > 0.999 and model.per(8.0, 4, 124) < 1e-6
    w = snr_world(2, {(0, 1): 8.0})
    f = data(mac(1), mac(0), mac(1))
    w.ports[0].transmit(f, rates=((11, 2), (4, 3)))
    w.run()
    (got, info), = w.rx[1]
    assert info.rate_idx == 4 and info.retry
    assert got[1] & 0x08 and got[:1] + got[2:] == f[:1] + f[2:]
    (orig, st), = w.status[0]
    assert orig == f  # the sender's copy is untouched
    assert st.acked and st.rates == ((11, 2), (4, 1))
    c = w.medium.counters
    assert c["attempts"] == 3 and c["retries"] == 2 and c["drops"] == 2


def test_unreachable_receiver_exhausts_the_chain():
    w = snr_world(2, {(0, 1): 30.0}, default=NONE)
    w.ports[0].transmit(data(mac(5), mac(0), mac(5)), rates=((4, 2), (0, 2)))
    w.run()
    (_, st), = w.status[0]
    assert not st.acked and st.rates == ((4, 2), (0, 2))
    assert w.medium.counters["not_acked"] == 1


@pytest.mark.parametrize("rate", [0, 4, 7, 11])
def test_delivery_ratio_follows_per_within_a_binomial_bound(rate):
    length = 200
    grid = np.arange(0.5, 40, 0.25)
    p = model.per(grid, rate, length + 0)
    snr = float(grid[np.argmin(abs(p - 0.5))])  # where PER is close to a half
    expect = 1.0 - model.per(snr, rate, length)
    w = snr_world(2, {(0, 1): snr}, seed=rate)
    n = 1500
    f = data(BCAST, mac(0), BCAST, b"x" * (length - 24))
    for _ in range(n):
        w.ports[0].transmit(f, rates=((rate, 1),))
        w.sched.run_for(2_000_000)  # the queue holds 1024 frames; stay below it
    got = len(w.rx[1])
    assert len(w.status[0]) == n
    sigma = math.sqrt(n * expect * (1 - expect))
    assert abs(got - n * expect) < 5 * sigma + 0.02 * n  # 0.02: table interpolation


def hidden_terminal(a_c_snr, *, snr_a=30.0, snr_c=30.0, seed=0):
    """A and C both send one long frame to B; C starts while A is on the air."""
    w = snr_world(3, {(0, 1): snr_a, (1, 2): snr_c, (0, 2): a_c_snr}, seed=seed)
    fa = data(mac(1), mac(0), mac(1), b"a" * 1000)
    fc = data(mac(1), mac(2), mac(1), b"c" * 1000)
    w.ports[0].transmit(fa, rates=((4, 1),))
    w.sched.run_for(400_000)  # A's 1 ms frame is on the air
    w.ports[2].transmit(fc, rates=((4, 1),))
    w.run()
    return w


def test_hidden_terminals_collide():
    w = hidden_terminal(NONE)
    assert w.rx[1] == []
    assert w.medium.counters["collisions"] == 2 and w.medium.counters["collided"] == 2
    assert [st.acked for _, st in w.status[0] + w.status[2]] == [False, False]


@pytest.mark.parametrize("backend", ["c", "python"])
def test_collisions_count_receivers_collided_counts_transmissions(backend):
    # Hidden senders 0 and 5 broadcast at once to four radios that hear both:
    # eight receptions lost, two transmissions.
    links = {(s, r): 30.0 for s in (0, 5) for r in (1, 2, 3, 4)}
    w = snr_world(6, links, backend=backend)
    for r in (1, 2, 3, 4):
        w.ports[r].filter = FIF_PROMISC
    w.ports[0].transmit(data(BCAST, mac(0), BCAST, bytes(500)), rates=((4, 1),))
    w.sched.run_for(100_000)
    w.ports[5].transmit(data(BCAST, mac(5), BCAST, bytes(500)), rates=((4, 1),))
    w.run()
    c = w.medium.counters
    assert all(w.rx[r] == [] for r in (1, 2, 3, 4))
    assert c["collisions"] == 8 and c["collided"] == 2 and c["attempts"] == 2


def test_carrier_sense_prevents_the_collision():
    w = hidden_terminal(20.0)
    assert [f[10:16] for f, _ in w.rx[1]] == [mac(0), mac(2)]
    assert w.medium.counters["collisions"] == 0
    assert all(st.acked for _, st in w.status[0] + w.status[2])
    # C waited for A's frame and ACK to end before its own frame began
    t_a_end = w.rx[1][0][1].time_ns
    assert w.rx[1][1][1].time_ns > t_a_end + 1_000_000


def test_capture_effect_the_strong_frame_survives():
    w = hidden_terminal(NONE, snr_a=40.0, snr_c=10.0)
    assert [f[10:16] for f, _ in w.rx[1]] == [mac(0)]
    assert w.status[0][0][1].acked
    # C's frame is lost: B is busy sending A its ACK while C is still on the air
    c = w.medium.counters
    assert c["collisions"] == 0 and c["halfduplex"] == 1


def test_adjacent_channel_leaks_and_far_channels_do_not():
    def run(freq_c):
        w = snr_world(3, {(0, 1): 25.0, (1, 2): 30.0, (0, 2): NONE})
        w.ports[2].freq = freq_c
        w.ports[0].transmit(data(mac(1), mac(0), mac(1), b"a" * 1000), rates=((4, 1),))
        w.sched.run_for(400_000)
        w.ports[2].transmit(data(BCAST, mac(2), BCAST, b"c" * 1000), rates=((4, 1),))
        w.run()
        return len(w.rx[1])
    assert run(2417) == 0   # one channel away: 1.4 dB down, still kills a 25 dB link
    assert run(2437) == 1   # five channels: 31 dB down, harmless
    assert run(2462) == 1   # eleven: no overlap at all


def test_queue_is_bounded():
    w = snr_world(2, {(0, 1): 30.0})
    rcs = [w.ports[0].transmit(data(BCAST, mac(0), BCAST)) for _ in range(1030)]
    # 1024 queued plus the one in service
    assert sum(rc < 0 for rc in rcs) == 5 and w.medium.counters["queue_drops"] == 5


def test_radio_stopped_with_queued_frames_gets_them_back_dropped():
    w = snr_world(2, {(0, 1): 30.0})
    for _ in range(3):
        w.ports[0].transmit(data(mac(1), mac(0), mac(1)), rates=((4, 1),))
    w.ports[0].stop()
    w.run()
    assert [st.dropped for _, st in w.status[0]] == [True, True, True]
    assert w.rx[1] == [] and w.medium.pending_frames == 0


def test_path_loss_world_and_mobility():
    spec = ModelSpec(kind="path_loss", path_loss="free_space")
    w = World(2, model=spec, tx_power_dbm=20)
    w.ports[1].move_to((10.0, 0.0))
    assert w.medium.link_snr(w.ports[0], w.ports[1]) == pytest.approx(20 - 60.0953 + 91, abs=1e-3)
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run()
    assert w.rx[1][0][1].signal == round(20 - 60.0953)
    w.ports[1].direction[:] = (90.0, 0.0, 0.0)
    w.medium.start_mobility()
    w.sched.run_for(3_000_000_001)
    assert w.ports[1].position[0] == 100.0
    w.medium.stop_mobility()
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run()
    assert w.rx[1][1][1].signal == round(20 - 80.0953)


def test_prob_model_drops_at_the_given_rate():
    spec = ModelSpec(kind="prob", links={(0, 1): 0.3})
    w = World(2, model=spec, seed=3)
    for _ in range(2000):
        w.ports[0].transmit(data(BCAST, mac(0), BCAST), rates=((4, 1),))
        w.sched.run_for(1_000_000)
    got = len(w.rx[1])
    assert abs(got - 1400) < 5 * math.sqrt(2000 * 0.3 * 0.7)


def test_same_seed_same_run_other_seed_other_run():
    def run(seed):
        w = snr_world(4, {(0, 1): 6.0, (1, 2): 9.0, (2, 3): 7.0, (0, 3): 5.0}, seed=seed, fading=2.0)
        w.ports[3].filter = FIF_PROMISC
        for k in range(30):
            for i in range(3):
                w.ports[i].transmit(data(mac((i + 1) % 4), mac(i), mac(0), bytes([k]) * 300),
                                    rates=((6, 2), (4, 2)))
        w.run(10 ** 10)
        return w.trace(), w.medium.counters
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_radio_below_the_noise_floor_receives_nothing_and_costs_nothing():
    # Two radios 10 m apart and one 5 km away: the far one has no link at
    # all (not even a -58 dB one), so a frame never looks at it.
    spec = ModelSpec(kind="path_loss", path_loss="log_distance", params={"exponent": 3.5})
    w = World(3, model=spec, tx_power_dbm=20)
    w.ports[1].move_to((10.0, 0.0))
    w.ports[2].move_to((5000.0, 0.0))
    w.ports[2].filter = FIF_PROMISC
    assert w.medium.link_snr(w.ports[0], w.ports[2]) < -50
    assert w.medium.num_links == 2  # 0 <-> 1
    for _ in range(5):
        w.ports[0].transmit(data(BCAST, mac(0), BCAST))
        w.ports[2].transmit(data(BCAST, mac(2), BCAST))
    w.run(10**9)
    c = w.medium.counters
    assert len(w.rx[1]) == 5 and w.rx[2] == [] and w.rx[0] == []
    assert c["link_evals"] == 5 and c["drops"] == 0 and c["collisions"] == 0
    # Far away, the two transmit at once without sensing each other, and
    # neither frame is disturbed at port 1.
    assert all(info.signal == round(20 - 40.0468 - 35) for _, info in w.rx[1])


def test_radio_that_cannot_decode_is_only_an_interferer():
    # 147 m away the SNR is -5 dB: a link (as interference) but no radio
    # that hears: the frame path neither evaluates nor counts it as a drop.
    spec = ModelSpec(kind="path_loss", path_loss="log_distance", params={"exponent": 3.5})
    w = World(3, model=spec, tx_power_dbm=20)
    w.ports[1].move_to((10.0, 0.0))
    w.ports[2].move_to((147.0, 0.0))
    w.ports[2].filter = FIF_PROMISC
    assert -6 < w.medium.link_snr(w.ports[0], w.ports[2]) < -4
    assert w.medium.num_links == 6
    for _ in range(5):
        w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run(10**9)
    c = w.medium.counters
    assert len(w.rx[1]) == 5 and w.rx[2] == []
    assert c["link_evals"] == 5 and c["drops"] == 0


def test_override_links_radios_beyond_the_hearing_range():
    spec = ModelSpec(kind="path_loss", path_loss="log_distance", params={"exponent": 3.5})
    w = World(2, model=spec, tx_power_dbm=20)
    w.ports[1].move_to((5000.0, 0.0))
    w.medium.set_link(w.ports[0], w.ports[1], snr_db=25.0)
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run()
    assert len(w.rx[1]) == 1 and w.medium.num_links == 2


@pytest.mark.parametrize("backend", ["c", "python"])
def test_sparse_and_dense_links_give_the_same_run(backend):
    # Twelve radios in 30 m: every link is above the floor, so dropping the
    # floor (every pair a link, as a dense matrix) must change nothing.
    def run(floor):
        spec = ModelSpec(kind="path_loss", params={"exponent": 3.0}, fading=1.0, link_floor_db=floor)
        w = World(12, model=spec, seed=5, backend=backend)
        rng = np.random.default_rng(1)
        for p in w.ports:
            p.move_to(rng.uniform(0, 30, 2))
        for k in range(40):
            i = k % 12
            w.ports[i].transmit(data(mac((i + 5) % 12) if k % 3 else BCAST, mac(i), mac(0), bytes(200)),
                                rates=((6, 2), (4, 2)))
        w.run(10**9)
        return w.trace(), w.medium.counters, w.medium.num_links
    sparse, dense = run(-10.0), run(-1e9)
    assert sparse == dense and sparse[2] == 12 * 11
