"""Readers of the current index generation, shared by concurrent searches.

A *view* is one opened generation of immutable segments plus the caches built
over it. Every search holds a view for its duration and never waits for other
readers; a refresh opens the new searcher beside the old view and swaps it in
atomically, and the old one is closed when its last reader leaves.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

from whoosh.searching import Searcher

from kbsite.search import store
from kbsite.search.related import CharNeighbours
from kbsite.search.scoring import Evaluator
from kbsite.search.slips import SlipCorrector
from kbsite.search.whoosh_seam import SegmentBytes

# Bytes of closed searchers' segment files allowed to stay alive before a full collection.
CLOSED_BYTES_BEFORE_GC = 256 * 2**20
_ACQUIRE_TRIES = 5
MEMO_ENTRIES = 1024  # answers remembered per view (search-as-you-type repeats the same prefixes)


class Memo:
    """A small thread-safe LRU of answers computed over one view (they change with the view)."""

    def __init__(self, size: int | None = None) -> None:
        self.size = MEMO_ENTRIES if size is None else size  # read at creation: benchmarks set it to 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The remembered answer for ``key``, else ``compute()`` (outside the lock), remembered."""
        with self._lock:
            found = self._items.get(key, self)
            if found is not self:
                self._items.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        value = compute()  # two threads may compute the same key: both get equal answers
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


class View:
    """One opened generation and the caches over it, shared by concurrent searches."""

    __slots__ = ("gen", "searcher", "evaluator", "corrector", "neighbours", "memo", "users", "retired")

    def __init__(self, gen: Path, searcher: Searcher) -> None:
        self.gen = gen
        self.searcher = searcher
        self.evaluator: Evaluator | None = None
        self.corrector: SlipCorrector | None = None
        self.neighbours: CharNeighbours | None = None
        self.memo = Memo()  # search answers over exactly this index state
        self.users = 0  # searches using it now (guarded by the engine's swap lock)
        self.retired = False  # swapped out: closed when the last user leaves

    def up_to_date(self, gen: Path) -> bool:
        """Still the current generation and its latest commit."""
        if self.gen != gen:
            return False
        try:
            return self.searcher.up_to_date()
        except Exception:  # a closed or damaged searcher is simply not current
            return False


class Readers:
    """The current view of one index folder, handed to concurrent readers."""

    def __init__(self, index_dir: Path, segments: SegmentBytes) -> None:
        self.index_dir = index_dir
        self._segments = segments
        self._swap = threading.Lock()  # guards _view and view.users; held for a few instructions
        self._refresh = threading.RLock()  # one thread (re)opens or replaces the view at a time
        self._view: View | None = None
        self.closed_bytes = 0  # segment bytes of searchers closed since the last gc.collect()

    @property
    def current(self) -> View | None:
        """The view searches get now (None before the first one)."""
        return self._view

    def exclusive(self) -> threading.RLock:
        """The lock held while the index is checked or replaced (readers keep reading)."""
        return self._refresh

    @contextlib.contextmanager
    def reading(self) -> Iterator[View]:
        """The current view, held for the duration of one read (never waits for other readers)."""
        view = self._acquire()
        try:
            yield view
        finally:
            self._release(view)

    def _acquire(self) -> View:
        for _ in range(_ACQUIRE_TRIES):
            gen = store.current_generation(self.index_dir)
            if gen is None:
                raise store.SearchIndexError("no index: call ensure_index() first")
            view = self._view
            if view is None or not view.up_to_date(gen):
                view = self._reopen(gen)
            with self._swap:
                if not view.retired:
                    view.users += 1
                    return view
        raise store.SearchIndexError("index replaced too often to read")

    def _release(self, view: View) -> None:
        with self._swap:
            view.users -= 1
            done = view.retired and view.users == 0
        if done:
            self._close_view(view)

    def _reopen(self, gen: Path) -> View:
        """Open the current generation beside the old view and swap it in atomically."""
        with self._refresh:
            view = self._view
            if view is not None and view.up_to_date(gen):
                return view  # another thread refreshed it while this one waited
            # Not Searcher.refresh(): whoosh 2.7.x reuses segment readers by segment id and
            # so keeps their stale deletion lists (an updated doc shows twice).
            try:
                searcher = store.open_for_reading(gen, self._segments).searcher()
            except Exception:
                try:
                    searcher = store.open_for_reading(gen, self._segments).searcher()
                except Exception as exc:
                    raise store.SearchIndexError(f"index unreadable: {exc}") from exc
            self._segments.keep_only_used()
            self._replace_view(View(gen, searcher))
            return self._view

    def _replace_view(self, new: View | None) -> None:
        with self._swap:
            old, self._view = self._view, new
            done = old is not None and old.users == 0
            if old is not None:
                old.retired = True
        if done:
            self._close_view(old)

    def drop(self) -> None:
        """Retire the current view (closed once no search uses it)."""
        self._replace_view(None)

    def _close_view(self, view: View) -> None:
        with contextlib.suppress(Exception):
            view.searcher.close()
        self.closed_bytes += _files_bytes(view.gen)
        if self.closed_bytes >= CLOSED_BYTES_BEFORE_GC:
            # Whoosh's readers form reference cycles that keep a closed searcher's segment
            # data alive until a full collection, which numpy scoring allocates too few
            # objects to trigger soon.
            gc.collect()  # ~0.1 s: at most once per this many bytes of closed segments
            self.closed_bytes = 0


def _files_bytes(directory: Path) -> int:
    """Total size of the files of an index generation (0 if it is gone)."""
    with contextlib.suppress(OSError):
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    return 0
