"""The external medium: the MAC80211_HWSIM generic-netlink codec, the
driver-side server a medium daemon connects to, wmediumd configuration files
and the `hwsim-mediumd` daemon."""
