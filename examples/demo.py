"""The main demo: a device written the FreeBSD way, cloned vaps, their state
machines running in virtual time, and refused creates with their reasons.

Run with `make demo`.
"""

from __future__ import annotations

from drivers.hwsim.profiles import ath
from ic.errors import errno_name
from net80211 import (
    SEC,
    Caps,
    IEEE80211Com,
    IEEE80211Vap,
    OpMode,
    Scanner,
    ScanResult,
    Scheduler,
    State,
    mac_str,
)


class DemoVap(IEEE80211Vap):
    __slots__ = ()  # no fields of its own: it keeps the vap's no-undeclared-attributes check

    def iv_newstate(self, nstate: State, arg: int) -> int:
        # A driver does its hardware work here, then lets net80211 finish.
        print(f"  t={self.ic.sched.now_ns / 1e9:7.3f}s  {self.name:6} {self.opmode.word:8} "
              f"{self.state.name:>5} -> {nstate.name}")
        return super().iv_newstate(nstate, arg)


class DemoRadio(IEEE80211Com):
    """A driver: it only has to create and delete its vaps."""

    def ic_vap_create(self, name, unit, opmode, flags, bssid, macaddr):  # type: ignore[no-untyped-def]
        vap = DemoVap(self, name, unit, opmode, flags, bssid)       # ieee80211_vap_setup
        vap.attach(macaddr or bytes([self.macaddr[0] | 0x02, *self.macaddr[1:5], unit]))
        return vap

    def ic_parent(self) -> None:
        print(f"  {self.name}: parent {'up' if self.nrunning else 'down'}")


def hear_upstream(radio: DemoRadio) -> None:
    """What the input path does when a beacon arrives (the protocol layer's job)."""
    Scanner.of(radio).add_result(ScanResult(bytes.fromhex("02aa00000001"), b"upstream",
                                            radio.find_channel(6), -42))


def main() -> None:
    sched = Scheduler()
    # The device follows FreeBSD ath(4)'s concurrency rules (one STA, which gets
    # NOBEACONS beside other vaps; IBSS only first; 4 beacon slots; ...).
    radio = DemoRadio(sched, "demo0", macaddr="00:00:5e:00:53:00",
                      caps=Caps.STA | Caps.HOSTAP | Caps.MONITOR | Caps.WDS | Caps.IBSS,
                      policy=ath())
    print(radio.policy.format())
    print("creating vaps on demo0: hostap (channel 6), sta, monitor")
    ap = radio.create_vap("wlan0", "hostap", ssid="demo", channel=6)
    sta = radio.create_vap("wlan1", OpMode.STA, ssid="upstream")
    mon = radio.create_vap("wlan2", "monitor")
    for vap in (ap, sta, mon):
        vap.up()
    sched.run_for(SEC // 10)

    print("the station hears its upstream AP on channel 6 and joins it")
    hear_upstream(radio)
    sched.run_until(lambda: sta.state == State.AUTH, 5 * SEC)
    sta.new_state(State.ASSOC)
    sta.new_state(State.RUN)
    sched.run_for(SEC // 10)

    print("beacon miss: the station rescans; the AP waits in INIT until it is back")
    sta.new_state(State.SCAN)
    sched.run_for(SEC // 100)
    hear_upstream(radio)  # going to INIT flushed the scan cache; the AP still beacons
    sched.run_until(lambda: sta.state == State.AUTH, 5 * SEC)
    sta.new_state(State.ASSOC)
    sta.new_state(State.RUN)
    sched.run_for(SEC // 10)

    print("\nrefused creates:")
    for args, kw in ((("wlan3", "sta"), {}), (("wlan3", "ibss"), {}), (("wlan3", "mesh"), {}),
                     (("wlan3", "wds"), {}), (("wlan0", "sta"), {}), (("wlan3", "hostap"), {"channel": 99})):
        try:
            radio.create_vap(*args, **kw)
        except OSError as e:
            print(f"  create {' '.join(args)} {kw or ''}: {errno_name(e.errno)}: {e.strerror}")

    print("\nwould hostap + hostap + sta be allowed on an empty demo0?")
    print("  " + str(radio.check_mix(["hostap", "hostap", "sta"])).splitlines()[0])
    print("\nvaps:")
    for v in radio.vaps:
        d = v.describe()
        print(f"  {d['name']:6} {d['mode']:8} {d['state']:5} mac {d['macaddr']} bssid {d['bssid']} "
              f"chan {d['channel']} flags {','.join(d['flags']) or '-'} "
              f"transitions {d['stats']['transitions']}")
    print(f"  device channel {radio.curchan}, bss channel {radio.bsschan}, "
          f"AP address {mac_str(ap.macaddr)}")
    radio.detach()
    print(f"detached demo0: {len(radio.vaps)} vaps left, virtual time {sched.now_ns / 1e9:.3f}s")


if __name__ == "__main__":
    main()
