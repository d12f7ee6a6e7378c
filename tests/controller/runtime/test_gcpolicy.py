"""gcpolicy: the collector is off while a change is built, frozen objects are handed back periodically."""
import gc

from kgw_controller import gcpolicy


def test_paused_nests_and_restores():
    assert gc.isenabled()
    with gcpolicy.paused():
        assert not gc.isenabled()
        with gcpolicy.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner section does not switch it back on early
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpolicy.paused():
            pass
        assert not gc.isenabled()  # someone else's "off" is kept
    finally:
        gc.enable()


def test_settle_freezes_and_every_nth_change_unfreezes(monkeypatch):
    monkeypatch.setattr(gcpolicy, "UNFREEZE_EVERY", 3)
    monkeypatch.setattr(gcpolicy, "_settled", 0)
    try:
        counts = []
        for _ in range(3):
            gcpolicy.settle()
            counts.append(gc.get_freeze_count())
        assert counts[0] > 0 and counts[1] >= counts[0] and counts[2] == 0
    finally:
        gc.unfreeze()
