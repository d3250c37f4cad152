"""An import-linter contract the built-in ones lack: no import circle between modules.

`acyclic_siblings` compares whole packages (clinics.labs against clinics.models and all
its siblings), which flags a package that merely has modules on both sides; here a circle
is modules that import each other, directly or through others (a strongly connected
component of the import graph, function-level imports included). Registered in
pyproject.toml as the contract type `no_cycles`.
"""

from __future__ import annotations

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def import_circles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The circles among `modules`, each as its sorted module names (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(
                        graph.find_modules_directly_imported_by(other) & modules))))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return sorted(circles)


class NoCyclesContract(Contract):
    type_name = "no_cycles"

    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        modules = {module for container in self.containers  # type: ignore[attr-defined]
                   for module in graph.find_descendants(container) | {container}}
        circles = import_circles(graph, modules)
        return ContractCheck(kept=not circles, metadata={"circles": circles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            output.print_error("These modules import each other: " + ", ".join(circle),
                               bold=False)
            output.new_line()
