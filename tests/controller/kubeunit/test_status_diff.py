"""The status writer's decisions, without a server: when to write, which lastTransitionTime to keep, and
which entries belong to other controllers."""
from kgw_controller.kube.status import StatusWriter, desired_status

OURS = "kgateway.dev/kgateway"


def cond(t, s, reason="R", when="1970-01-01T00:00:00Z", gen=1):
    return {"type": t, "status": s, "reason": reason, "message": "", "observedGeneration": gen,
            "lastTransitionTime": when}


def test_unchanged_status_is_not_written_even_if_times_differ():
    current = {"conditions": [cond("Accepted", "True", when="2024-01-01T00:00:00Z")]}
    assert desired_status({"conditions": [cond("Accepted", "True")]}, current, OURS, "2025-01-01T00:00:00Z") is None


def test_transition_time_kept_for_same_status_and_set_for_flips():
    current = {"conditions": [cond("Accepted", "True", when="2024-01-01T00:00:00Z"),
                              cond("Programmed", "False", when="2024-01-01T00:00:00Z")],
               "listeners": [{"name": "http",
                              "conditions": [cond("Programmed", "False", when="2024-02-02T00:00:00Z")]}]}
    want = {"conditions": [cond("Accepted", "True", reason="Other"), cond("Programmed", "True")],
            "listeners": [{"name": "http", "conditions": [cond("Programmed", "True")]}]}
    out = desired_status(want, current, OURS, "2025-01-01T00:00:00Z")
    times = {c["type"]: c["lastTransitionTime"] for c in out["conditions"]}
    assert times == {"Accepted": "2024-01-01T00:00:00Z", "Programmed": "2025-01-01T00:00:00Z"}
    assert out["listeners"][0]["conditions"][0]["lastTransitionTime"] == "2025-01-01T00:00:00Z"


def test_other_controllers_parent_entries_are_kept():
    theirs = {"parentRef": {"name": "x"}, "controllerName": "example.com/other", "conditions": []}
    ours = {"parentRef": {"name": "web"}, "controllerName": OURS, "conditions": [cond("Accepted", "True")]}
    out = desired_status({"parents": [ours]}, {"parents": [theirs]}, OURS, "2025-01-01T00:00:00Z")
    assert out["parents"][0] == theirs and out["parents"][1]["parentRef"] == {"name": "web"}
    # and once written, the same desired status is a no-op
    assert desired_status({"parents": [ours]}, out, OURS, "2026-01-01T00:00:00Z") is None


class _RecordingApi:
    def __init__(self):
        self.patches = []

    def request(self, method, path, body=None, content_type=None):
        self.patches.append((method, path, body))


def test_an_object_created_again_under_its_name_gets_its_status_even_if_unchanged():
    # HTTPRouteRequestHeaderModifier and HTTPRouteBackendRequestHeaderModifier (upstream) delete and create
    # HTTPRoute request-header-modifier: when the controller sees both in one round, the new object (new uid,
    # no status) must still be written, though the translator reports what it wrote for the old one.
    objects = {"uid": "old", "status": {}}
    api = _RecordingApi()
    writer = StatusWriter(api, lambda kind, ns, name: {"metadata": {"uid": objects["uid"]},
                                                      "status": objects["status"]}, OURS)
    writer.FULL_PASS_SECONDS = 3600.0  # only the first round is a full pass
    entry = {"kind": "HTTPRoute", "namespace": "ns", "name": "r", "status": {"conditions": [cond("Accepted", "True")]}}
    assert writer.write([entry]) == 1
    objects["status"] = api.patches[-1][2]["status"]
    assert writer.write([entry]) == 0  # the same object already shows it: skipped without a patch
    objects.update(uid="new", status={})
    assert writer.write([entry]) == 1 and api.patches[-1][1].endswith("/ns/httproutes/r/status")

