"""Results derived from an analysis: computed once, with the cyclic garbage collector paused meanwhile."""

import gc

from workbench.analysis.memo import gc_paused, memoized


class Owner:
    pass


def test_a_derived_result_is_computed_once_with_the_collector_paused_then_restored():
    owner, seen = Owner(), []
    assert gc.isenabled()
    first = memoized(owner, "k", lambda: seen.append(gc.isenabled()) or [1])
    assert memoized(owner, "k", lambda: seen.append("again")) is first
    assert seen == [False] and gc.isenabled()


def test_a_nested_pause_leaves_the_collector_off_until_the_outer_block_ends():
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # paused by someone else: left as it was
    finally:
        gc.enable()
