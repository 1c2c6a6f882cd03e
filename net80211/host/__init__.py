"""The host side of a vap: real Linux network interfaces (TAP devices,
network namespaces) a vap's netdev can be.  The protocol core never imports
this package: `netdev.make_netdev` finds a kind registered here by name."""
