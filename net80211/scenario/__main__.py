"""`python -m net80211.scenario FILE [--seconds S] [--seed N] [--json]`."""

import sys

from net80211.scenario.cli import cli_main

sys.exit(cli_main(sys.argv[1:], prog="python -m net80211.scenario"))
