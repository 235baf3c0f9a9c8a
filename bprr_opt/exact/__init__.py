"""Exact methods: the paper's MILP (13), the interval-flow MILP, the RR-ILP (19),
warm starts and export (the solver plug is :mod:`bprr_opt.backends`).

Pyomo is imported only when a model is built or solved, so importing this
package stays cheap.
"""

from .export import EXPORT_FORMATS, export_model, model_text
from .interval import (
                       build_interval_model,
                       set_interval_warm_start,
                       solution_from_interval_model,
                       solve_milp_interval,
)
from .milp import (
                   build_paper_model,
                   set_paper_warm_start,
                   solution_from_paper_model,
                   solve_milp_paper,
)
from .rr_ilp import (
                     build_rr_model,
                     memory_cannot_bind,
                     route_optimally,
                     solve_rr_ilp,
                     solve_rr_ilp_method,
)
from .warm import warm_start_solution

__all__ = [
           "EXPORT_FORMATS",
           "build_interval_model",
           "build_paper_model",
           "build_rr_model",
           "export_model",
           "memory_cannot_bind",
           "model_text",
           "route_optimally",
           "set_interval_warm_start",
           "set_paper_warm_start",
           "solution_from_interval_model",
           "solution_from_paper_model",
           "solve_milp_interval",
           "solve_milp_paper",
           "solve_rr_ilp",
           "solve_rr_ilp_method",
           "warm_start_solution",
]
