"""Simulation: each variant's structure stepped through time by a behaviour model, many times.

The parts, one concern a module: :mod:`~orgmodel.simulate.state` (the member, team and role
columns), :mod:`~orgmodel.simulate.behaviour` (the plugin base class), :mod:`~orgmodel.simulate.spec`
(the scenario's ``simulation:`` key), :mod:`~orgmodel.simulate.rules` (the rule pack each period),
:mod:`~orgmodel.simulate.replicate` (one replication, checked every period),
:mod:`~orgmodel.simulate.executors` (serial, process pool, Dask), :mod:`~orgmodel.simulate.run`
(the front function), :mod:`~orgmodel.simulate.result` (distributions and files),
:mod:`~orgmodel.simulate.manifest` (reproducible runs), :mod:`~orgmodel.simulate.contract`
(the contract kit for behaviour models). See docs/simulation.md.
"""

from orgmodel.simulate.behaviour import BehaviourModel, ModelContext, NoBehaviourParams, SeriesMetric
from orgmodel.simulate.executors import SimulationCancelled
from orgmodel.simulate.replicate import SimulationInvariantError, replication_seed
from orgmodel.simulate.result import SimulationResult
from orgmodel.simulate.run import behaviour_model, simulate
from orgmodel.simulate.spec import SimulationSpec, load_simulation_spec
from orgmodel.simulate.state import LEFT_DIED, LEFT_MOVED, LEFT_TRANSFERRED, SimState

__all__ = [
    "BehaviourModel", "ModelContext", "NoBehaviourParams", "SeriesMetric",
    "SimState", "LEFT_DIED", "LEFT_MOVED", "LEFT_TRANSFERRED",
    "SimulationSpec", "load_simulation_spec",
    "simulate", "behaviour_model", "replication_seed",
    "SimulationResult", "SimulationCancelled", "SimulationInvariantError",
]
