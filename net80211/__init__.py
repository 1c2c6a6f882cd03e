"""The 802.11 protocol layer: frame codec (`frame`, `mgmt`, `ie`), radiotap
and pcap capture.  Builds on `ic`; never imports `drivers`."""
