"""The wire layer: a strict sans-IO codec for 802.11 frames (`frame` the MAC
header, `data`, `ctrl`, `mgmt`, `ie` the elements, `decode.parse_frame`),
radiotap headers and pcap files (`radiotap`, `pcap`, `capture`).

Nothing here knows a vap, a device or the scheduler: it imports only `ic`'s
errors and itself, so every layer above may use it."""
