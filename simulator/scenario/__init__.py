"""Scenarios: the YAML format QA writes, its JSON Schema, lint with positions, and the checked model."""

from simulator.scenario._loader import ScenarioError, lint_scenario, read_scenario, schema
from simulator.scenario._model import IntRange, Scenario, build_scenario, known_points, load_scenario
from simulator.scenario._modes import FAILURE_MODES
from simulator.scenario._world import Repayment, ScenarioWorld, build_world

__all__ = [
    "FAILURE_MODES",
    "IntRange",
    "Repayment",
    "Scenario",
    "ScenarioError",
    "ScenarioWorld",
    "build_scenario",
    "build_world",
    "known_points",
    "lint_scenario",
    "load_scenario",
    "read_scenario",
    "schema",
]
