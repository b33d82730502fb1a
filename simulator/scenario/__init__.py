"""Scenarios: the YAML format QA writes, its JSON Schema, lint with positions, and the checked model."""

from simulator.scenario._findings import ScenarioError
from simulator.scenario._lint import build_scenario, lint_scenario, load_scenario
from simulator.scenario._loader import read_scenario
from simulator.scenario._model import IntRange, Scenario, known_points
from simulator.scenario._modes import FAILURE_MODES
from simulator.scenario._rulebook import RULE_SECTIONS, Rules, load_rules
from simulator.scenario._schema import schema
from simulator.scenario._setup import DEFAULT_BORROWERS, WHOLE, Repayment, ScenarioWorld, Shard, build_world

__all__ = [
    "DEFAULT_BORROWERS",
    "FAILURE_MODES",
    "RULE_SECTIONS",
    "WHOLE",
    "IntRange",
    "Repayment",
    "Rules",
    "Scenario",
    "ScenarioError",
    "ScenarioWorld",
    "Shard",
    "build_scenario",
    "build_world",
    "known_points",
    "lint_scenario",
    "load_rules",
    "load_scenario",
    "read_scenario",
    "schema",
]
