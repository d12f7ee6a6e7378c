"""Pike VM with memoised steps: linear-time, leftmost-first matching with captures.

The classic Pike VM keeps an ordered list of threads (pc + capture slots). One step consumes a byte,
follows epsilon edges depth-first with one visited set per step (first arrival wins, which is what
makes the result leftmost-first and the run linear), and appends a new thread at pc 0 while no match
has been found. Everything a step does except copying capture values depends only on the ordered
list of pcs, the byte, and the kind of the next byte. So the ordered pc list is interned as a
`_State` and each step's outcome is cached as (next state, which parent each new thread came from,
which slots it saves): a repeated step costs one dict lookup and one list comprehension. The cache
is bounded; an uncached step costs O(program), so matching stays O(program x input).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from ..wire.regex import (
    ANY,
    ANY_NOT_NL,
    ASSERT,
    BYTE,
    BYTE_FOLD,
    CLASS,
    JMP,
    MATCH,
    NOT_WORD_BOUNDARY,
    SAVE,
    SPLIT,
    TEXT_END,
    TEXT_START,
    WORD_BOUNDARY,
    RegexProgram,
)

_IS_WORD = bytes(1 if (chr(b).isascii() and chr(b).isalnum()) or b == 0x5F else 0 for b in range(256))
_NONWORD, _WORD, _END = 0, 1, 2  # the kind of the byte after a position
_MAX_STATES = 4096
Groups = list[tuple[int, int] | None]  # (start, end) or None per group, group 0 first
_MAX_TRANSITIONS = 200_000
Ctx = tuple[bool, bool, bool]  # at the start of the input, at its end, at a word boundary
# A thread's captures: its start position when the program has no groups, else every slot.
Caps = int | tuple[int | None, ...]


class _State:
    __slots__ = ("pcs", "match_at", "trunc", "trans")

    def __init__(self, pcs: tuple[int, ...], match_at: int):
        self.pcs = pcs
        self.match_at = match_at  # index of the first thread at MATCH, or -1
        self.trunc: _State | None = None  # the state keeping only the threads before match_at
        self.trans: dict[int, Recipe] = {}


# (next state, parent index per thread, (thread, slots) to save, all threads spawned?, identity?)
Recipe = tuple[_State, tuple[int, ...], tuple[tuple[int, tuple[int, ...]], ...], bool, bool]


class Matcher:
    def __init__(self, prog: RegexProgram):
        n = len(prog.insts)
        self.op = [i[0] for i in prog.insts]
        self.a = [i[1] for i in prog.insts]
        self.b = [i[2] for i in prog.insts]
        self.ngroups = prog.ngroups
        self.nslots = 2 + 2 * prog.ngroups
        masks: list[int] = []
        for op, a, _ in prog.insts:
            if op == BYTE:
                masks.append(1 << a)
            elif op == BYTE_FOLD:
                masks.append(1 << a | 1 << (a - 0x20))
            elif op == CLASS:
                masks.append(prog.classes[a])
            elif op == ANY:
                masks.append((1 << 256) - 1)
            elif op == ANY_NOT_NL:
                masks.append(((1 << 256) - 1) & ~(1 << 10))
            else:
                masks.append(0)
        self.masks = masks
        self.ninst = n
        self.states: dict[tuple[int, ...], _State] = {}
        self.ntrans = 0
        self.start_cache: dict[tuple[bool, int, bool], Recipe] = {}
        self._analyse_start()

    # -- program analysis ---------------------------------------------------------------------------

    def _analyse_start(self) -> None:
        """Find when a new thread at pc 0 is pointless: `anchored` (it can only live at position 0)
        and `first_byte` (the only byte it can consume, when it cannot match empty)."""
        live, first = False, 0
        for at_start in (True, False):
            for nxt in (_NONWORD, _WORD, _END):
                for prev in (0, 1):
                    pcs, _, _ = self.closure_from(((0, 0),), (at_start, nxt == _END, prev != (nxt == _WORD)))
                    if not at_start and pcs:
                        live = True
                    for pc in pcs:
                        first = -1 if self.op[pc] == MATCH or first < 0 else first | self.masks[pc]
        self.anchored = not live
        self.first_byte = first.bit_length() - 1 if first > 0 and first & (first - 1) == 0 else -1

    def closure_from(self, seeds: Iterable[tuple[int, int]],
                     ctx: Ctx) -> tuple[list[int], list[int], list[tuple[int, ...]]]:
        """Follow epsilon edges from each (pc, parent) seed in priority order; one visited set for all.

        Returns the consuming/MATCH pcs reached, the parent index of each, and the slots each saves.
        """
        at_start, at_end, boundary = ctx
        op, a, b = self.op, self.a, self.b
        visited = bytearray(self.ninst)
        pcs: list[int] = []
        parents: list[int] = []
        saves: list[tuple[int, ...]] = []
        for start, parent in seeds:
            stack: list[tuple[int, tuple[int, ...]]] = [(start, ())]
            while stack:
                pc, sv = stack.pop()
                if visited[pc]:
                    continue
                visited[pc] = 1
                o = op[pc]
                if o == JMP:
                    stack.append((a[pc], sv))
                elif o == SPLIT:
                    stack.append((b[pc], sv))
                    stack.append((a[pc], sv))
                elif o == SAVE:
                    stack.append((pc + 1, sv + (a[pc],)))
                elif o == ASSERT:
                    k = a[pc]
                    if ((k == TEXT_START and at_start) or (k == TEXT_END and at_end)
                            or (k == WORD_BOUNDARY and boundary) or (k == NOT_WORD_BOUNDARY and not boundary)):
                        stack.append((pc + 1, sv))
                else:
                    pcs.append(pc)
                    parents.append(parent)
                    saves.append(sv)
        return pcs, parents, saves

    # -- states and steps ---------------------------------------------------------------------------

    def intern(self, pcs: tuple[int, ...]) -> _State:
        st = self.states.get(pcs)
        if st is not None:
            return st
        if len(self.states) >= _MAX_STATES or self.ntrans >= _MAX_TRANSITIONS:
            for old in self.states.values():
                old.trans.clear()
                old.trunc = None
            self.states.clear()
            self.ntrans = 0
        match_at = next((i for i, pc in enumerate(pcs) if self.op[pc] == MATCH), -1)
        st = self.states[pcs] = _State(pcs, match_at)
        return st

    def truncated(self, st: _State) -> _State:
        if st.trunc is None:
            st.trunc = self.intern(st.pcs[:st.match_at])
        return st.trunc

    def _recipe(self, pcs: list[int], parents: list[int], saves: list[tuple[int, ...]], spawned: int = 0) -> Recipe:
        """(next state, parent index per thread, (thread, slots) to save, all threads spawned?,
        whether the new thread list is a prefix of the old one with the spawned thread appended)."""
        nxt = self.intern(tuple(pcs))
        with_saves = tuple((i, sv) for i, sv in enumerate(saves) if sv)
        identity = not with_saves and all(p == i for i, p in enumerate(parents))
        return nxt, tuple(parents), with_saves, all(p == spawned for p in parents), identity

    def step(self, st: _State, byte: int, nxt: int, spawn: bool) -> Recipe:
        masks = self.masks
        seeds = [(pc + 1, i) for i, pc in enumerate(st.pcs) if masks[pc] >> byte & 1]
        if spawn:
            seeds.append((0, len(st.pcs)))
        ctx = (False, nxt == _END, _IS_WORD[byte] != (nxt == _WORD))
        pcs, parents, saves = self.closure_from(seeds, ctx)
        tr = self._recipe(pcs, parents, saves, spawned=len(st.pcs))
        self.ntrans += 1
        st.trans[(byte * 3 + nxt) * 2 + spawn] = tr
        return tr

    def start(self, data: bytes, pos: int) -> Recipe:
        n = len(data)
        nxt = _END if pos == n else _IS_WORD[data[pos]]
        prev = pos > 0 and _IS_WORD[data[pos - 1]] == 1
        key = (pos == 0, nxt, bool(prev))
        tr = self.start_cache.get(key)
        if tr is None:
            ctx = (pos == 0, nxt == _END, bool(prev) != (nxt == _WORD))
            tr = self.start_cache[key] = self._recipe(*self.closure_from(((0, 0),), ctx))
        return tr

    def apply(self, caps: list[Caps], recipe: Recipe, pos: int) -> list[Caps]:
        parents, with_saves = recipe[1], recipe[2]
        new = [caps[j] for j in parents]
        for i, slots in with_saves:  # only programs with groups save slots: new[i] is a tuple
            t = list(cast(tuple[int | None, ...], new[i]))
            for s in slots:
                t[s] = pos
            new[i] = tuple(t)
        return new

    def fresh(self, pos: int) -> Caps:
        return pos if self.ngroups == 0 else (pos,) + (None,) * (self.nslots - 1)

    # -- search -------------------------------------------------------------------------------------

    def search(self, data: bytes, pos: int = 0) -> Groups | None:
        return self.search_stop(data, pos)[0]

    def search_stop(self, data: bytes, pos: int = 0) -> tuple[Groups | None, int]:
        """(groups or None, stop): `stop` is where the Pike VM of docs/regex.md stops, which both
        matchers report the same way whatever they skip or cache: the first position q >= pos at
        which a match has been found and no thread of higher priority than the match is left (the
        thread list at q, cut at its first MATCH, is empty), else len(data); len(data) when there is
        no match. replace_all's work budget counts stop - pos per search."""
        n = len(data)
        if pos < 0:
            raise ValueError("pos must not be negative")
        if pos > n or (self.anchored and pos > 0):
            return None, max(pos, n)
        first, anchored = self.first_byte, self.anchored
        if first >= 0 and not anchored:
            pos = data.find(first, pos)
            if pos < 0:
                return None, n
        tr = self.start(data, pos)
        st = tr[0]
        caps = self.apply([self.fresh(pos)], tr, pos)
        spawn = fresh = True  # fresh: every live thread was started at `pos`
        found: tuple[Caps, int] | None = None
        is_word = _IS_WORD
        tail: tuple[None, ...] | None = None if self.ngroups == 0 else (None,) * (self.nslots - 1)
        while True:
            m = st.match_at
            if m >= 0:
                found = (caps[m], pos)
                spawn = fresh = False
                st = st.trunc or self.truncated(st)
                caps = caps[:m]
            if pos >= n or (not caps and (not spawn or anchored)):
                break
            byte = data[pos]
            if fresh and first >= 0 and byte != first:
                # Only threads started here are alive and they all need `first`: skip to it.
                pos = data.find(first, pos + 1)
                if pos < 0:
                    break
                tr = self.start(data, pos)
                st = tr[0]
                caps = self.apply([self.fresh(pos)], tr, pos)
                byte = first
            pos += 1
            nxt = 2 if pos == n else is_word[data[pos]]
            cached = st.trans.get((byte * 3 + nxt) * 2 + spawn)
            tr = self.step(st, byte, nxt, spawn) if cached is None else cached
            if spawn:
                caps.append(pos if tail is None else (pos,) + tail)
                fresh = tr[3]
            st = tr[0]
            if tr[4]:
                del caps[len(tr[1]):]  # caps is private to this search, so trimming in place is safe
            elif tr[2]:
                caps = self.apply(caps, tr, pos)
            else:
                caps = [caps[j] for j in tr[1]]
        if found is None:
            return None, n  # only the fresh-thread skip can break before n, and only without a match
        return self.groups(*found), pos  # the loop breaks at q: the cut list is empty (or q == n)

    def groups(self, caps: Caps, end: int) -> Groups:
        if isinstance(caps, int):
            return [(caps, end)]
        assert caps[0] is not None  # every thread records where it started
        out: Groups = [(caps[0], end)]
        for k in range(1, self.ngroups + 1):
            s, e = caps[2 * k], caps[2 * k + 1]
            out.append(None if s is None or e is None else (s, e))
        return out

    def replace_all(self, data: bytes, repl: bytes, budget: int | None = None) -> tuple[bytes | None, int]:
        """RE2/Go rule: every non-overlapping match is replaced, except an empty match that starts
        where the previous match ended (so a* on "baaaz" gives "-b-z-").

        Returns (result, work). `work` is the bytes the searches stepped over, the sum of
        stop - start per search (search_stop). A search can step far past its match, so work can grow
        quadratically; when it goes over `budget` (checked after each search, so real work stays
        under budget + len(data)) the replace-all gives up and the result is None."""
        out = []
        n = len(data)
        pos = last_end = work = 0
        while pos <= n:
            m, stop = self.search_stop(data, pos)
            work += stop - pos
            if budget is not None and work > budget:
                return None, work
            if m is None or m[0] is None:
                break
            s, e = m[0]
            out.append(data[last_end:s])
            if e > last_end or s == 0:
                out.append(repl)
            last_end = e
            pos = e if e > pos else pos + 1
        out.append(data[last_end:])
        return b"".join(out), work
