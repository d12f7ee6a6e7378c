"""Incremental loading: FileCache and DirectoryReader re-parse only what changed, and give exactly what a fresh
parse_files / load_directory of the same inputs gives."""
from __future__ import annotations

import asyncio
import os

import pytest
import yaml

from kgw_controller.sources import files
from kgw_controller.sources.files import FileCache, load_directory, parse_files
from kgw_controller.sources.reader import DirectoryReader
from kgw_controller.sources.watch import DirectorySource

SVC = "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: {port}}}]}}\n"


def svc(name: str, port: int = 80) -> str:
    return SVC.format(name=name, port=port)


def summary(result):
    resources, errors = result
    ports = sorted((k, [p.port for p in v.spec.ports]) for k, v in resources.services.items())
    return ports, [str(e) for e in errors]


def test_libyaml_is_used_when_pyyaml_has_it():
    # The speed of a reload depends on it; the error tests in test_parse_files.py then run through it too.
    assert files.FastLoader is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_editing_one_document_reparses_that_document_only():
    cache = FileCache()
    inputs = {"a.yaml": "---\n".join(svc(f"s{i}") for i in range(5)), "b.yaml": svc("t")}
    first = cache.parse(inputs)
    assert cache.parsed == 6
    inputs["a.yaml"] = inputs["a.yaml"].replace("name: s3}\nspec: {ports: [{port: 80",
                                                "name: s3}\nspec: {ports: [{port: 81")
    second = cache.parse(inputs)
    assert cache.parsed == 1
    assert summary(second) == summary(parse_files(inputs))
    assert second[0].services[("default", "s3")].spec.ports[0].port == 81
    # unchanged documents are the very same validated objects, not re-validated copies
    assert second[0].services[("default", "s1")] is first[0].services[("default", "s1")]
    assert second[0].services[("default", "t")] is first[0].services[("default", "t")]
    cache.parse(inputs)
    assert cache.parsed == 0


def test_a_document_that_moves_is_parsed_again_so_its_error_lines_stay_right():
    cache = FileCache()
    bad = "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: x}]}\n"
    _, errors = cache.parse({"m.yaml": svc("ok") + "---\n" + bad})
    assert [e.line for e in errors] == [9]
    moved = {"m.yaml": svc("new") + "---\n" + svc("ok") + "---\n" + bad}
    _, errors = cache.parse(moved)
    assert [str(e) for e in errors] == [str(e) for e in parse_files(moved)[1]]
    assert [e.line for e in errors] == [14]


def test_duplicates_are_resolved_again_on_every_load():
    cache = FileCache()
    _, errors = cache.parse({"a.yaml": svc("s", 1), "b.yaml": svc("s", 2)})
    assert [e.file for e in errors] == ["b.yaml"]
    resources, errors = cache.parse({"b.yaml": svc("s", 2)})  # the first copy's file was deleted
    assert errors == [] and resources.services[("default", "s")].spec.ports[0].port == 2


def test_yaml_errors_are_cached_with_pyyamls_wording():
    cache = FileCache()
    inputs = {"bad.yaml": "kind: [\n", "ok.yaml": svc("s")}
    _, errors = cache.parse(inputs)
    inputs["ok.yaml"] = svc("s", 81)
    _, again = cache.parse(inputs)
    assert cache.parsed == 1 and [str(e) for e in again] == [str(e) for e in errors]
    assert [str(e) for e in errors] == [
        "bad.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>' (while parsing a flow node)"
    ]


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_question_marks_in_flow_scalars_are_accepted_as_kubectl_does():
    # The one known difference from PyYAML's pure loader: it refuses `?` inside a plain scalar in a flow
    # collection; libyaml (and go-yaml, which kubectl uses) accept it.
    route = ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
             "spec: {rules: [{matches: [{path: {type: RegularExpression, value: /a?b}}]}]}\n")
    resources, errors = parse_files({"r.yaml": route})
    assert errors == [] and resources.http_routes[("default", "r")].spec.rules[0].matches[0].path.value == "/a?b"


def test_directory_reader_reads_only_changed_files_and_matches_load_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(svc(name))
    (tmp_path / "sub" / "c.yml").write_text(svc("c"))
    reader = DirectoryReader(tmp_path)
    assert summary(reader.load()) == summary(load_directory(tmp_path)) and reader.read == 3
    assert summary(reader.load()) == summary(load_directory(tmp_path)) and (reader.read, reader.parsed) == (0, 0)
    (tmp_path / "b.yaml").write_text(svc("b", 8080))  # another size: seen without being named
    (tmp_path / "sub" / "c.yml").unlink()
    (tmp_path / "sub" / "d.json").write_text('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "d"}}')
    assert summary(reader.load()) == summary(load_directory(tmp_path)) and reader.read == 2
    # A same-size rewrite with the same mtime (coarse timestamps) is seen when the watcher names the file.
    path = tmp_path / "a.yaml"
    st = path.stat()
    path.write_text(svc("a", 81))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert summary(reader.load([str(path)])) == summary(load_directory(tmp_path))
    assert (reader.read, reader.parsed) == (1, 1)


def test_directory_source_hands_the_changed_paths_to_the_reader(tmp_path):
    (tmp_path / "many.yaml").write_text("---\n".join(svc(f"s{i}") for i in range(20)))
    (tmp_path / "one.yaml").write_text(svc("x"))

    async def main():
        src = DirectorySource(tmp_path)
        it = aiter(src)
        try:
            first = await anext(it)
            assert len(first.resources.services) == 21 and src.reader.parsed == 21
            # Same size, mtime put back: only the path the watcher reports tells the reader to look again.
            st = (tmp_path / "one.yaml").stat()
            (tmp_path / "one.yaml").write_text(svc("x", 81))
            os.utime(tmp_path / "one.yaml", ns=(st.st_atime_ns, st.st_mtime_ns))
            second = await asyncio.wait_for(anext(it), 5)
            assert second.resources.services[("default", "x")].spec.ports[0].port == 81
            assert (src.reader.read, src.reader.parsed) == (1, 1)
        finally:
            src.stop()
            await it.aclose()
    asyncio.run(main())
