"""No Docker daemon runs in CI, so the Dockerfile is checked statically: it copies every source folder the
wheel is built from (pyproject's package-dir), runs as the chart's non-root user, and starts the controller."""
import pathlib
import re
import tomllib

import yaml

REPO = pathlib.Path(__file__).parents[3]


def test_dockerfile_copies_every_packaged_folder_and_matches_the_chart():
    docker = (REPO / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) ", docker, re.M))
    dirs = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values())
    assert dirs <= copied, f"not copied into the image: {sorted(dirs - copied)}"
    user = re.search(r"^USER (\d+)", docker, re.M).group(1)
    values = (REPO / "charts/kgw/templates/deployment.yaml").read_text()
    assert f"runAsUser: {user}" in values
    assert re.search(r'^ENTRYPOINT \["kgw"\]', docker, re.M) and 'CMD ["controller"]' in docker
    assert yaml.safe_load((REPO / "charts/kgw/values.yaml").read_text())["image"]["repository"]
