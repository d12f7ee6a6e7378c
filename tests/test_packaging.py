"""Every package folder must be listed in pyproject, or the wheel silently misses it."""
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PREFIX = {"kgw_rules": "kgw_rules", "controller": "kgw_controller", "grammar": "kgw_rules.grammar",
          # package-dir maps the quickstart manifests into the wheel, for `kgw up` without DIR
          "examples/quickstart": "kgw_controller.quickstart"}


def test_every_package_folder_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = set()
    for top, name in PREFIX.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    assert found == listed
