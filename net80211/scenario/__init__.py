"""Scenarios: a TOML description of radios, vaps, traffic and captures, run
in virtual time with a summary (`wlanctl run FILE`, docs/scenarios.md)."""

from net80211.scenario.cli import cli_main
from net80211.scenario.loader import load_scenario, loads_scenario, scenario_from_dict
from net80211.scenario.runner import ScenarioRun, run_scenario
from net80211.scenario.spec import Scenario, ScenarioError
from net80211.scenario.summary import format_text

__all__ = ["Scenario", "ScenarioError", "ScenarioRun", "cli_main", "format_text", "load_scenario",
           "loads_scenario", "run_scenario", "scenario_from_dict"]
