"""One module per operating mode, as FreeBSD's `ieee80211_<mode>.c`: `sta`,
`hostap`, `adhoc` (IBSS and AHDEMO), `wds` (with dynamic WDS in `dwds`),
`monitor`, `mbss`; Wi-Fi Direct's modes are in `net80211.p2p.modes`.

Each provides a `Mode` subclass (its transitions as data, newstate work,
input handlers) and its per-vap state object.  Nothing imports this package
to find a mode: `net80211.mode.mode_for` resolves an OpMode through the
registry there, so a vap loads only the modes it uses."""
