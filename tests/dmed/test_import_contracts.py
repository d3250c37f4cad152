"""The no_cycles import contract (scripts/import_contracts.py) finds circles of modules."""

import grimp

from scripts.import_contracts import import_circles


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_modules_importing_each_other_through_others_are_one_circle():
    graph = _graph(("app.a", "app.b"), ("app.b", "app.c"), ("app.c", "app.a"),
                   ("app.c", "app.d"), ("app.e", "app.f"), ("app.f", "app.e"))
    assert import_circles(graph, set(graph.modules)) == [["app.a", "app.b", "app.c"],
                                                         ["app.e", "app.f"]]


def test_one_way_imports_are_no_circle():
    graph = _graph(("app.a", "app.b"), ("app.b", "app.c"), ("app.a", "app.c"))
    assert import_circles(graph, set(graph.modules)) == []
