"""wlanctl: an ifconfig-like tool and the daemon that holds devices.

`grammar` parses command lines (a data table of commands and keywords),
`protocol` is the JSON-lines control protocol, `service` does the commands
on the devices, `server` is the daemon (`wlanctl serve`), `client` and `cli`
the command line.
"""

from net80211.ctl.grammar import COMMANDS, Invocation, UsageError, parse
from net80211.ctl.protocol import DEFAULT_SOCKET, VERSION

__all__ = ["COMMANDS", "Invocation", "UsageError", "parse", "DEFAULT_SOCKET", "VERSION"]
