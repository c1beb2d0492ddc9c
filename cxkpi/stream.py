"""KPIs computed over a large file batch by batch: one pass, partial states, bounded memory.

Why: a 10M-row export must not be held in memory to count it. A source read lazily
(``io.load.LazyDataset``) is streamed: each batch is measured by the same row-local steps as a
whole file (``engine.measure_rows``) and folded into each KPI's partial states
(``partials.Partials``); only the groups' states, the skipped rows (with their keys, so each
group still says what it skipped) and the notes are kept. The result is the one the whole
file gives; a KPI the engine cannot stream (``engine.streamable``) reads the file whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd

from .engine import EXAMPLE_ROWS, Request, Rows, _check_groups, _key_column, check, finish, measure_rows, raise_strict_at
from .errors import ScaleError
from .io.files import Mismatch
from .io.load import NotBatchable
from .notes import merge_notes
from .partials import Partials
from .registry import WHOLE_COLUMN
from .skips import Tally
from .stream_cache import Pieces


class _Piece:
    """One file's share of one KPI run: partial states, skipped rows by group, notes and counts, with
    the file's own row numbers. Pieces of the files of a source add up (``_Run.absorb``); a piece is
    plain data, so ``--cache`` keeps it (``cxkpi.stream_cache``)."""

    def __init__(self, run: "_Run") -> None:
        self.run = run
        self.partials = Partials(run.spec.statistic, run.settings, run.spec.dimensions)
        self.tallies = (Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS))  # total, groups, trend
        self.bad_rows: dict[str, list[int]] = {}
        self.rows = 0
        self.notes: list[str] = []
        self.span: list = []  # the first and last time of the file (the report's data range)
        self.low = self.high = None  # the file's first and last row ids
        self.file_rows = 0

    def add(self, batch) -> None:
        run = self.run
        ends = [(int(i.min()), int(i.max())) for i in (batch.frame.index, *(b.index for b in batch.invalid.values()))
                if len(i)] + [(min(rs), max(rs)) for rs in batch.bad_rows.values() if rs]
        if ends:  # the batch's first and last row ids
            low, high = min(e[0] for e in ends), max(e[1] for e in ends)
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)
        self.file_rows += len(batch.frame) + sum(len(v) for v in batch.bad_rows.values())
        r = measure_rows(run.spec, batch, run.request, run.settings, check_groups=False)
        if r.labels or r.extra:
            raise NotStreamable()
        run.shape = run.shape or (list(r.keys), list(r.group_keys))
        self.partials.add(r)
        total, groups, trend = self.tallies
        if len(r.skipped):
            total.add(pd.DataFrame({"reason": r.skipped.to_numpy(), "row": r.skipped.index.to_numpy()}), [])
            virtual = [k for k in r.keys if k in run.spec.dimensions]
            if not virtual and r.keys:
                table = _keyed(r, batch, r.keys)
                if table is not None:
                    groups.add(table, r.keys)
            if run.request.trend and run.request.period and run.request.by:
                table = _keyed(r, batch, ["period"])
                if table is not None:
                    trend.add(table, ["period"])
        for reason, rows in r.bad_rows.items():
            self.bad_rows.setdefault(reason, []).extend(rows)
            total.add_rows(reason, rows)
        self.rows += r.rows
        self.notes = merge_notes(self.notes, r.notes)
        tcol = r.ctx.time_column
        if tcol and tcol in batch.frame.columns and pd.api.types.is_datetime64_any_dtype(batch.frame[tcol]):
            t = batch.frame[tcol].dropna()
            if len(t):
                self.span = [min([*self.span, t.min()]), max([*self.span, t.max()])]

    def export(self) -> dict:
        return {"partials": self.partials.export(), "tallies": [t.export() for t in self.tallies],
                "bad_rows": self.bad_rows, "rows": self.rows, "notes": list(self.notes), "span": list(self.span),
                "low": self.low, "high": self.high, "file_rows": self.file_rows, "shape": self.run.shape}

    def absorb(self, piece: dict, offset: int) -> None:
        """A later part of the same file (read by another process: ``io.parts``), its row ids shifted
        by ``offset``."""
        self.run.shape = self.run.shape or (tuple(piece["shape"]) if piece["shape"] else None)
        self.partials.absorb(piece["partials"])
        for mine, theirs in zip(self.tallies, piece["tallies"]):
            mine.absorb(theirs, offset)
        for reason, rows in piece["bad_rows"].items():
            self.bad_rows.setdefault(reason, []).extend(r + offset for r in rows)
        self.rows += piece["rows"]
        self.file_rows += piece["file_rows"]
        self.notes = merge_notes(self.notes, piece["notes"])
        if piece["span"]:
            self.span = [min([*self.span[:1], piece["span"][0]]), max([*self.span[1:], piece["span"][1]])]
        if piece["low"] is not None:
            low, high = piece["low"] + offset, piece["high"] + offset
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)


class _Handoff:
    """A pass's pieces and counted answers across the processes that read one file's parts
    (``io.parts.Handoff``): a child, forked before any batch, takes the first batch's decisions,
    fills its own and sends them back; the parent adds them."""

    def __init__(self, pieces: dict, answers: dict, guessed: dict | None = None) -> None:  # noqa: D107
        self.pieces, self.answers, self.guessed = pieces, answers, guessed

    def decisions(self) -> dict:
        """What the first batch decided for the runs: each one's answer scale (``WHOLE_COLUMN``, a
        guess while speculating), its result's shape, and the guesses made."""
        return {"whole": {k: p.run.settings.get(WHOLE_COLUMN) for k, p in self.pieces.items()},
                "shape": {k: p.run.shape for k, p in self.pieces.items()},
                "guessed": dict(self.guessed) if self.guessed is not None else None}

    def decide(self, decided: dict) -> None:
        """A child takes the parent's decisions before it measures a batch."""
        for k, piece in self.pieces.items():
            if decided["whole"][k] is not None:
                piece.run.settings[WHOLE_COLUMN] = decided["whole"][k]
            piece.run.shape = piece.run.shape or decided["shape"][k]
        if self.guessed is not None and decided["guessed"] is not None:
            self.guessed.update(decided["guessed"])

    def export(self) -> dict:
        return {"pieces": {k: p.export() for k, p in self.pieces.items()},
                "answers": {k: dict(got) for k, got in self.answers.items()}}

    def absorb(self, state: dict, offset: int) -> None:
        for k, piece in state["pieces"].items():
            self.pieces[k].absorb(piece, offset)
        for k, got in state["answers"].items():
            _add_answers(self.answers[k], got.items())


class _Run:
    """One KPI's accumulation over the files (and batches) of its source."""

    def __init__(self, spec, request: Request, data) -> None:
        self.spec, self.request = spec, request
        self.settings = check(spec, data, request)
        self.columns = data.columns
        self.answers: dict = {}
        self.reset()

    def reset(self) -> None:
        """An empty accumulation (the files are read again: a guessed answer scale did not hold)."""
        spec = self.spec
        self.partials = Partials(spec.statistic, self.settings, spec.dimensions)
        self.shape: tuple | None = None  # (keys, group_keys) of the measured rows
        self.tallies = (Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS), Tally(EXAMPLE_ROWS))  # total, groups, trend
        self.bad_rows: dict[str, list[int]] = {}
        self.rows = 0
        self.notes: list[str] = []
        self.span: list = []
        self.measured_any = False

    @property
    def decides(self) -> str | None:
        """The column this KPI decides from (its answers gathered in a first pass), if the data has it."""
        col = self.spec.decides
        return col if col and col in self.columns else None

    def peek(self, batch, answers: dict) -> None:
        """First pass: count the answers of the ``decides`` column in the rows the measure would see."""
        col = self.decides

        def gather(frame) -> None:
            for answer, n in frame[col].value_counts(dropna=True).items():
                answers[answer] = answers.get(answer, 0) + int(n)

        measure_rows(self.spec, batch, self.request, self.settings, check_groups=False, peek=gather)

    def decided(self) -> None:
        self.settings[WHOLE_COLUMN] = self.answers

    def absorb(self, piece: dict, offset: int) -> None:
        """A file's piece (``_Piece.export``), its row ids shifted by ``offset``."""
        if piece["shape"] is None:
            return
        self.measured_any = True
        self.shape = self.shape or tuple(piece["shape"])
        self.partials.absorb(piece["partials"])
        for mine, theirs in zip(self.tallies, piece["tallies"]):
            mine.absorb(theirs, offset)
        for reason, rows in piece["bad_rows"].items():
            self.bad_rows.setdefault(reason, []).extend(r + offset for r in rows)
        self.rows += piece["rows"]
        self.notes = merge_notes(self.notes, piece["notes"])
        self.span = [t for t in (min([*self.span[:1], *piece["span"][:1]], default=None),
                                 max([*self.span[1:], *piece["span"][1:]], default=None)) if t is not None]

    def export(self) -> dict:
        """This accumulation in a piece's shape, row ids already shifted (``--cache`` keeps the folder's
        accumulation so far, so the next run absorbs it and a new file's piece, not every file's)."""
        return {"partials": self.partials.export(), "tallies": [t.export() for t in self.tallies],
                "bad_rows": self.bad_rows, "rows": self.rows, "notes": list(self.notes), "span": list(self.span),
                "shape": self.shape if self.measured_any else None}

    def result(self, meta):
        if not self.measured_any:
            return None
        keys, group_keys = (list(k) for k in self.shape)
        total = self.tallies[0]
        if self.request.strict and total.counts.get(()):
            row, reason = total.first()
            raise_strict_at(meta.row_label, row, reason, total.total())
        whole = Rows(values=pd.DataFrame(), keys=keys, group_keys=group_keys, labels=[],
                     skipped=pd.Series(dtype="object"), together=pd.Index([]), bad_rows=self.bad_rows,
                     rows=self.rows, notes=self.notes, extra={}, periods=None, ctx=None,
                     source_frame=pd.DataFrame())
        if self.request.by and self.request.max_groups and self.partials.n_groups > self.request.max_groups:
            _check_groups(pd.DataFrame(self.partials.labels, columns=group_keys)[list(self.request.by)],
                          list(self.request.by), self.request.max_groups, meta.file)
        trend = bool(self.request.trend and self.request.period and self.request.by)
        frames = self.partials.frames(group_keys, trend=trend)
        result = finish(self.spec, meta, self.request, self.settings, whole, *frames, extra={},
                        tallies=self.tallies)
        span = (self.span[0], self.span[1]) if self.span else None
        return result, span


def _keyed(r: Rows, batch, keys: list[str]) -> pd.DataFrame | None:
    """The skipped rows of a batch that a group can hold, with their keys (as ``engine._skipped_by_group``
    places them: a row with no period, or a key the measure made, is counted in the total only). Keys
    are taken by position and stay categorical: a survey batch skips most of its rows."""
    skipped = r.skipped
    at = batch.frame.index.get_indexer(skipped.index)  # -1: a row the reader could not split
    if (at < 0).any():
        skipped, at = skipped[at >= 0], at[at >= 0]
    periods = r.periods
    if "period" in keys and periods is not None:
        periods = periods[~periods.index.duplicated()].reindex(skipped.index)
        has = periods.notna().to_numpy()
        if not has.all():
            skipped, at, periods = skipped[has], at[has], periods[has]
    if skipped.empty:
        return None
    cols = {}
    for k in keys:
        if k == "period" and periods is not None:
            cols[k] = periods.to_numpy()
        elif k == "period" or k not in batch.frame.columns:
            return None
        else:
            cols[k] = _key_column(batch.frame[k].iloc[at]).array
    return pd.DataFrame({**cols, "reason": skipped.to_numpy(), "row": skipped.index.to_numpy()})


class NotStreamable(Exception):
    """A batch shows a step that needs every row (labels the measure adds, a side table)."""


def run_many(items: dict[str, list[tuple]], data: dict, collect=(), stream=None) -> dict[tuple[str, str], tuple] | None:
    """Every KPI of ``items`` (source -> [(spec, request)]) over one pass of the sources' file or files
    (``data``: source -> the LazyDataset or LazyFiles of that file; ``stream``: their shared stream, by
    default the first one's); the sources in ``collect`` are read whole in the same pass. Returns
    (source, kpi) -> (result, (first, last time) or None); None when the file cannot be streamed after
    all (it is then read whole)."""
    from .io.files import FilesStream

    runs = {s: [_Run(spec, request, data[s]) for spec, request in pairs] for s, pairs in items.items()}
    stream = stream if stream is not None else next(iter(data.values())).stream
    several = isinstance(stream, FilesStream)
    if several and (collect or not all(_same_columns(data[s]) for s in items)):
        stream.failed = True  # read whole: concat says which file lacks which column
        return None
    if several:
        stream.zones = {}
    parts = stream.passes() if several else [stream]
    align = stream.align if several else None
    store = Pieces(_files_cache(parts), zones=stream.zones if several else None)
    remote = _remote(stream) if several else None
    fold = _Fold(runs, parts)
    try:
        pieces = _speculate(runs, stream, collect) if not several and store.folder is None else None
        decided = False
        if pieces is None and several and not collect:
            pieces = _guess_files(runs, parts, store, align, remote, fold)
            decided = pieces == "decided"
            if decided:  # the guess's pieces were absorbed: the files are read again on the decision
                for each in runs.values():
                    for one in each:
                        one.reset()
                fold = _Fold(runs, parts)
            pieces = None if decided else pieces
        if pieces is None:
            if not decided:
                _decide(runs, parts, store, align, remote)
            pieces = _pieces(runs, parts, store, align, collect, remote, fold=fold)
        elif not fold.seen:  # one file's speculative pass
            for i, got in enumerate(pieces):
                fold.add(i, got)
    except (NotBatchable, NotStreamable, Mismatch):
        stream.failed = True
        return None
    out = {}
    for source, each in runs.items():
        done = fold.done[source]
        if done["broken"]:  # a file's parse failed: its own whole read says why
            continue
        files = (done["metas"], done["rows"], done["firsts"], done["offsets"], done["last"])
        if several:
            _keep_prefix(store, fold.keys, source, each, fold.start, files)
        meta = done["metas"][0] if not several else _files_meta(stream, *files[:4])
        for one in each:
            made = one.result(meta)
            if made is not None:
                out[(source, one.spec.name)] = made
    return out


class _Fold:
    """Each source's files absorbed into its runs in file order as each file's pieces are ready, then
    dropped: a folder's run holds its accumulation and one file's pieces, not every file's."""

    def __init__(self, runs: dict, parts: list) -> None:  # noqa: D107
        self.runs, self.parts = runs, parts
        self.done = {s: {"metas": [], "rows": [], "firsts": [], "offsets": [], "last": 0, "broken": False}
                     for s in runs}
        self.start = 0  # files held by a kept accumulation (``--cache``)
        self.keys: list = [None] * len(parts)  # each file's piece keys: (source, index) -> key
        self.seen = 0

    def begin(self, start: int, found: dict) -> None:
        """Absorb the kept accumulation of the first ``start`` files (``_prefix``)."""
        if not start:
            return
        for source, each in self.runs.items():
            entries = [found[(source, j)] for j in range(len(each))]
            files = entries[0]["files"]
            for one, entry in zip(each, entries):
                one.absorb(entry, 0)
            self.done[source].update(
                metas=[_meta_from(self.parts[i], source, {"meta": m}) for i, m in enumerate(files["metas"])],
                rows=list(files["file_rows"]), firsts=list(files["firsts"]), offsets=list(files["offsets"]),
                last=int(files["last"]))
        self.start = start

    def add(self, i: int, got: dict) -> None:
        """File ``i``'s pieces ((source, index) -> piece, "meta", "keys"), absorbed and then dropped."""
        self.seen += 1
        self.keys[i] = got.get("keys") or {}
        if i >= self.start:
            for source, each in self.runs.items():
                done = self.done[source]
                meta, first = got["meta"].get(source), got.get((source, 0))
                if done["broken"] or meta is None:
                    done["broken"] = True
                    continue
                low, high = (first["low"], first["high"]) if first else (None, None)
                low, high = (1, 0) if low is None else (low, high)
                offset = 0 if i == 0 else done["last"] + 1 - low  # as io.files.concat numbers several files' rows
                done["firsts"].append(offset + low if i else 0)
                done["offsets"].append(offset)
                done["last"] = max(done["last"], offset + high)
                for j, one in enumerate(each):
                    one.absorb(got[(source, j)], offset)
                done["metas"].append(meta)
                done["rows"].append(first["file_rows"] if first else 0)
        for k in [k for k in got if isinstance(k, tuple)]:
            del got[k]


def _prefix_key(keys: list) -> str | None:
    """The key of the accumulation of files whose pieces have ``keys`` (in order); None: one is not kept."""
    if not keys or any(k is None for k in keys):
        return None
    return hashlib.blake2b(repr(["prefix", *keys]).encode(), digest_size=20).hexdigest()


def _keep_prefix(store: "Pieces", keys: list, source: str, each: list, start: int, files: tuple) -> None:
    """``--cache``: keep each run's accumulation of every file, and drop the shorter one it began from
    (a folder that grows by a file a night keeps one accumulation, not one a night). ``keys``: each
    file's piece keys."""
    if store.folder is None or len(keys) <= start:
        return
    metas, file_rows, firsts, offsets, last = files
    described = {"metas": [_meta_data(m) for m in metas], "file_rows": file_rows, "firsts": firsts,
                 "offsets": offsets, "last": last}
    for j, one in enumerate(each):
        mine = [(k or {}).get((source, j)) for k in keys]
        key = _prefix_key(mine)
        if key is None:
            return
        store.put(key, {**one.export(), "files": described})
        if start:
            store.drop(_prefix_key(mine[:start]))


def _same_columns(files) -> bool:
    """Whether every file of a LazyFiles maps the same columns (a month without one is an error)."""
    columns = [set(p.columns) for p in getattr(files, "_parts", ())]
    return all(c == columns[0] for c in columns)


def _deciding(runs: dict) -> list[tuple]:
    """(source, index, run) of each KPI that decides from its whole answer column."""
    return [(s, j, one) for s, each in runs.items() for j, one in enumerate(each) if one.decides]


def _decide(runs: dict, parts: list, store: "Pieces", align, remote=None) -> None:
    """The answers of each deciding KPI's column over every file (kept per file by ``--cache``), then
    handed to its measure."""
    deciding = _deciding(runs)
    if not deciding:
        return
    work = []
    for i, part in enumerate(parts):
        if not hasattr(part, "each"):  # a small file of a folder, parsed whole already
            for s, j, one in deciding:
                one.peek(_each(part, align), one.answers)
            continue
        todo = {}
        for s, j, one in deciding:
            key = store.key(part, s, one, "answers")
            got = store.get(key)
            if got is not None:
                _add_answers(one.answers, got["answers"])
            else:
                todo[(s, j)] = (one, key)
        if todo:
            work.append((i, part, todo))
    done = remote("answers", work) if remote else [_answers_of(part, {k: one for k, (one, _) in todo.items()}, align)
                                                   for _, part, todo in work]
    for (_, _, todo), answers in zip(work, done):
        for k, (one, key) in todo.items():
            store.put(key, {"answers": answers[k]})
            _add_answers(one.answers, answers[k])
    for _, _, one in deciding:
        one.decided()


def _speculate(runs: dict, part, collect) -> list[dict] | None:
    """One file in one pass, survey KPIs included: each deciding KPI reads every batch on the scale its
    first batch's answers decide, while the whole column's answers are counted; when the whole column
    decides the same (``KpiSpec.decision``: the usual case), the pieces are the two-pass ones and the
    file was read once. None when there is nothing to decide, or it decides otherwise (or the first
    batch alone is refused): the caller reads the answers first, then the file again."""
    deciding = [one for each in runs.values() for one in each if one.decides]
    if not deciding or any(one.spec.decision is None for one in deciding):
        return None
    counted = {id(one): {} for one in deciding}
    guessed: dict = {}
    pieces = {(s, j): _Piece(one) for s, each in runs.items() for j, one in enumerate(each)}

    def sink(source, batch):
        for one in (o for o in deciding if _source_of(runs, o) == source):
            one.peek(batch, counted[id(one)])
            if id(one) not in guessed:  # the first batch: its answers decide for now
                guessed[id(one)] = dict(counted[id(one)])
                one.settings[WHOLE_COLUMN] = guessed[id(one)]
        for (s, _), piece in pieces.items():
            if s == source:
                piece.add(batch)

    try:
        metas = part.each(sink, sources=set(runs), collect=collect, handoff=_Handoff(pieces, counted, guessed))
    except ScaleError:  # the first batch alone refused (an NPS export sorted by score): decide first
        _undo(deciding)
        return None
    for one in deciding:
        whole, first = counted[id(one)], guessed.get(id(one), {})
        if one.spec.decision(whole, one.settings) != one.spec.decision(first, one.settings):
            _undo(deciding)
            return None
        one.answers = whole
        one.decided()
    got = {k: piece.export() for k, piece in pieces.items()}
    got["meta"] = dict(metas)
    return [got]


def _source_of(runs: dict, one) -> str:
    return next(s for s, each in runs.items() if any(o is one for o in each))


def _undo(deciding: list) -> None:
    for one in deciding:
        one.settings.pop(WHOLE_COLUMN, None)
        one.answers = {}


def _add_answers(into: dict, pairs) -> None:
    for answer, n in pairs:
        into[answer] = into.get(answer, 0) + int(n)


def _answers_of(part, runs: dict, align) -> dict:
    """One file's answers of each deciding run: (source, index) -> [[answer, count], ...]."""
    answers = {k: {} for k in runs}

    def first(source, batch):
        for k, one in runs.items():
            if k[0] == source:
                one.peek(batch, answers[k])

    part.each(_sink(first, align), sources={s for s, _ in runs})
    return {k: [[a, n] for a, n in got.items()] for k, got in answers.items()}


def _guess_files(runs: dict, parts: list, store: "Pieces", align, remote=None, fold=None) -> list[dict] | None:
    """Several files in one pass each, survey KPIs included (as ``_speculate`` for one file): the
    scale is guessed from the answers known before the pass (the answers ``--cache`` kept of earlier
    files, else the first file's, counted first), every file's pieces are computed on that guess while
    the files without kept answers are counted, and the guess stands when the whole column decides
    the same (the usual case: a new month on the same scale). When it does not, every answer is known
    by then: the KPIs are decided on the whole column and "decided" is returned, for the caller to
    read the files again (pieces computed on the guess were kept under the guess's key, which is where
    they belong). None when there is nothing to guess."""
    deciding = _deciding(runs)
    if not deciding or any(one.spec.decision is None for _, _, one in deciding):
        return None
    if not all(hasattr(part, "each") for part in parts):
        return None  # a small file of a folder: the two passes cost nothing
    known: dict = {}  # (file, source, index) -> [[answer, count], ...]
    for i, part in enumerate(parts):
        for s, j, one in deciding:
            got = store.get(store.key(part, s, one, "answers"))
            if got is not None:
                known[(i, s, j)] = got["answers"]
    unknown = [i for i in range(len(parts)) if any((i, s, j) not in known for s, j, _ in deciding)]
    if not known and unknown:  # a cold run: the first file's answers make the guess
        first = unknown.pop(0)
        todo = {(s, j): (one, None) for s, j, one in deciding}
        got = remote("answers", [(first, parts[first], todo)])[0] if remote else \
            _answers_of(parts[first], {k: one for k, (one, _) in todo.items()}, align)
        for s, j, one in deciding:
            known[(first, s, j)] = got[(s, j)]
            store.put(store.key(parts[first], s, one, "answers"), {"answers": got[(s, j)]})
    guess = {(s, j): {} for s, j, _ in deciding}
    for (i, s, j), pairs in known.items():
        _add_answers(guess[(s, j)], pairs)
    for s, j, one in deciding:
        one.answers = dict(guess[(s, j)])
        one.decided()
    counted: dict = {}
    pieces = _pieces(runs, parts, store, align, (), remote, count=set(unknown), counted=counted, fold=fold)
    whole = {k: dict(v) for k, v in guess.items()}
    for (i, s, j), pairs in counted.items():
        _add_answers(whole[(s, j)], pairs)
        store.put(store.key(parts[i], s, runs[s][j], "answers"), {"answers": pairs})
    same = all(one.spec.decision(whole[(s, j)], one.settings) == one.spec.decision(guess[(s, j)], one.settings)
               for s, j, one in deciding)
    for s, j, one in deciding:
        one.answers = whole[(s, j)]
        one.decided()
    return pieces if same else "decided"


def _pieces(runs: dict, parts: list, store: "Pieces", align, collect, remote=None, count=(),
            counted=None, fold=None) -> list[dict]:
    """Each file's pieces: (source, index of the KPI) -> piece, "meta" -> source -> its Dataset, and
    "keys" -> the pieces' cache keys. The files in ``count`` also have their deciding KPIs' answers
    counted in the same pass, into ``counted``: (file, source, index) -> [[answer, count], ...].
    ``fold``: each file is handed to it, in order, as soon as it is complete (read here, loaded from
    the cache, or sent back by its Dask task), and its pieces are dropped."""
    out, work = [], []
    keys = [_piece_keys(runs, part, store) if hasattr(part, "each") else {} for part in parts]
    start, found = _prefix(keys, store, min(count, default=len(parts))) if not collect else (0, {})
    if fold is not None:
        fold.begin(start, found)

    def complete(i: int, part, todo: dict, pieces: dict, metas: dict, answers: dict) -> None:
        for (s, j), pairs in answers.items():
            counted[(i, s, j)] = pairs
        got = out[i]
        for k, (one, key) in todo.items():
            got[k] = pieces[k]
            store.put(key, {**pieces[k], "meta": _meta_data(metas.get(k[0]))})
        for s in runs:
            if s not in metas and (s, 0) in got:
                metas[s] = _meta_from(part, s, got[(s, 0)])
        got["meta"] = metas

    def ready(i: int) -> None:
        if fold is not None:
            fold.add(i, out[i])

    later = remote and not collect
    for i, part in enumerate(parts):
        got: dict = {"meta": {}}
        out.append(got)
        if i < start:  # in the accumulation found: neither read nor loaded
            got["keys"] = keys[i]
            ready(i)
            continue
        if not hasattr(part, "each"):  # a small file of a folder, parsed whole already: one batch
            for s, each in runs.items():
                for j, one in enumerate(each):
                    piece = _Piece(one)
                    piece.add(_each(part, align))
                    got[(s, j)] = piece.export()
                got["meta"][s] = part
            if not work or not later:
                ready(i)
            continue
        todo = {}
        got["keys"] = keys[i]
        for s, each in runs.items():
            for j, one in enumerate(each):
                key = keys[i][(s, j)]
                cached = store.get(key) if not collect else None
                if cached is not None:
                    got[(s, j)] = cached
                else:
                    todo[(s, j)] = (one, key)
        if todo or collect or i in count:
            peek = {(s, j): one for s, j, one in _deciding(runs)} if i in count else {}
            if later:
                work.append((i, part, todo, peek))
                continue
            done = _pieces_of(part, {k: one for k, (one, _) in todo.items()}, align, collect, set(runs), peek)
            complete(i, part, todo, *done)
        else:
            got["meta"] = {s: _meta_from(part, s, got[(s, 0)]) for s in runs}
        if not work:
            ready(i)
    if work:  # Dask: every file's task at once; each file folded in path order as its pieces arrive

        def arrived(w: int, result: tuple) -> None:
            i, part, todo, _ = work[w]
            complete(i, part, todo, *result)
            for k in range(i, work[w + 1][0] if w + 1 < len(work) else len(parts)):
                ready(k)  # this file, and the cached files after it

        remote("pieces", [w[:3] for w in work], [w[3] for w in work], arrived)
    return out


def _piece_keys(runs: dict, part, store: "Pieces") -> dict:
    """(source, index) -> the cache key of that run's piece of file ``part`` (None: not kept)."""
    return {(s, j): store.key(part, s, one, "piece") for s, each in runs.items() for j, one in enumerate(each)}


def _prefix(keys: list, store: "Pieces", most: int) -> tuple[int, dict]:
    """The longest run of first files (``most`` at most: a file whose answers are still to be counted
    is read) whose accumulation ``--cache`` kept for every KPI (``_keep_prefix``; ``keys``: each file's
    piece keys), loaded: (how many files, (source, index) -> the accumulation)."""
    if store.folder is None or most < 1:
        return 0, {}
    for k in range(most, 0, -1):
        names = {sj: _prefix_key([keys[i].get(sj) for i in range(k)]) for sj in keys[0]}
        if not names or any(n is None or not store.has(n) for n in names.values()):
            continue
        found = {sj: store.get(n) for sj, n in names.items()}
        if all(f is not None for f in found.values()):
            return k, found
        return 0, {}  # removed or unreadable since: the files' own pieces
    return 0, {}


def _pieces_of(part, runs: dict, align, collect=(), sources=None, peek=None) -> tuple[dict, dict, dict]:
    """One file streamed once for the runs (``(source, index) -> _Run``): their pieces, the file's
    Dataset without rows for each source read, and the answers of the deciding runs in ``peek``
    (``(source, index) -> _Run``) counted in the same pass."""
    pieces = {k: _Piece(one) for k, one in runs.items()}
    answers: dict = {k: {} for k in peek or {}}

    def sink(source, batch):
        for k, one in (peek or {}).items():
            if k[0] == source:
                one.peek(batch, answers[k])
        for k, piece in pieces.items():
            if k[0] == source:
                piece.add(batch)

    wanted = {s for s, _ in runs} | {s for s, _ in answers} or set(sources or ())
    metas = part.each(_sink(sink, align), sources=wanted, collect=collect, handoff=_Handoff(pieces, answers))
    return ({k: piece.export() for k, piece in pieces.items()}, dict(metas),
            {k: [[a, n] for a, n in got.items()] for k, got in answers.items()})


def _remote(stream):
    """``--engine dask``: each file's answers or pieces computed by a Dask task (the same code, on a
    worker), merged here; None to compute them in this process."""
    if getattr(stream, "remote", None) is None:
        return None
    if isinstance(stream.remote[0], dict):  # several sources of these files (io.files.SharedFiles)
        sources, scheduler, progress = stream.remote
    else:
        source, wanted, options, extra, scheduler, progress = stream.remote
        sources = {source: (source, wanted, options, extra)}

    def run(kind: str, work: list, peeks=None, ready=None) -> list:
        from .io import distributed

        peeks = peeks or [None] * len(work)
        # a small file of a folder that several sources name (io.files._Parsed) is parsed here already
        # and has no path to hand a worker: it is measured in this process, in its place
        here = {n for n, (_, part, _) in enumerate(work) if not hasattr(part, "path")}
        far = [n for n in range(len(work)) if n not in here]  # the work with a task, in order
        tasks = [(str(work[n][1].path), {s: r[1:] for s, r in sources.items()}, kind,
                  {k: (one.spec.name, one.request, one.settings) for k, (one, _) in work[n][2].items()},
                  {k: (one.spec.name, one.request, one.settings) for k, one in (peeks[n] or {}).items()})
                 for n in far]
        align = getattr(stream, "align", None)
        if kind == "answers":
            answers = iter(distributed.map_files(_task, tasks, scheduler, progress) if tasks else [])
            return [_answers_of(part, {k: one for k, (one, _) in todo.items()}, align) if n in here
                    else next(answers) for n, (_, part, todo) in enumerate(work)]
        zones: dict = {}

        def made(n: int, result) -> tuple:
            pieces, metas, seen, answers = result
            for col, tz in seen.items():
                zones.setdefault(col, set()).add(tz)
            if any(len(z) > 1 for z in zones.values()):
                raise Mismatch()  # files in different zones: this process aligns them (or says why not)
            part = work[n][1]
            return pieces, {s: _meta_from(part, s, {"meta": m}) for s, m in metas.items()}, answers

        def local(n: int) -> tuple:
            return _pieces_of(work[n][1], {k: one for k, (one, _) in work[n][2].items()}, align, peek=peeks[n])

        if ready is None:
            results = iter(distributed.map_files(_task, tasks, scheduler, progress) if tasks else [])
            return [local(n) if n in here else made(n, next(results)) for n in range(len(work))]
        # each file's pieces handed on in path order as they arrive, not held together
        handed = [0]

        def upto(limit: int) -> None:  # the files measured here before ``limit``, in their place
            while handed[0] < limit and handed[0] in here:
                ready(handed[0], local(handed[0]))
                handed[0] += 1

        def arrived(t: int, result) -> None:
            n = far[t]
            upto(n)
            ready(n, made(n, result))
            handed[0] = n + 1

        if tasks:
            distributed.map_files(_task, tasks, scheduler, progress, ready=arrived)
        upto(len(work))
        return []

    return run


def _task(task):
    """A Dask worker's share: one file read lazily and streamed for the given runs."""
    from .io import load
    from .registry import get_kpi

    from .io.files import _Parsed

    path, sources, kind, described, peeking = task
    from .io import parts

    parts.SOLO = True  # a worker reads its file alone: the cluster spreads the files over the cores
    cache = load.ReadCache() if len(sources) > 1 else None
    for s, (wanted, options, extra) in sources.items():  # one Stream for every source of the file
        if cache is not None:
            load.read_plan(path, s, wanted, options, extra, cache)
    data = {s: load.load_source(path, s, wanted, options, extra, cache=cache, lazy=True)
            for s, (wanted, options, extra) in sources.items()}

    def made(described: dict) -> dict:
        runs = {}
        for k, (name, request, settings) in described.items():
            one = _Run(get_kpi(name), request, data[k[0]])
            one.settings = settings
            runs[k] = one
        return runs

    runs, peek = made(described), made(peeking)
    first = next(iter(data.values()))
    part = first.stream if getattr(first, "stream", None) is not None else _Parsed(data)
    if kind == "answers":
        return _answers_of(part, runs, None)
    seen: dict = {}

    def zones(batch):
        for c in batch.frame.columns:
            col = batch.frame[c]
            if pd.api.types.is_datetime64_any_dtype(col) and col.notna().any():
                seen[c] = str(getattr(col.dtype, "tz", None))
        return batch

    pieces, metas, answers = _pieces_of(part, runs, zones, peek=peek)
    return pieces, {s: _meta_data(m) for s, m in metas.items()}, seen, answers


def _sink(sink, align):
    """``sink`` with each batch's times in the zone of the source's first file (several files)."""
    return sink if align is None else (lambda source, batch: sink(source, align(batch)))


def _each(part, align):
    return part if align is None else align(part)


def _meta_data(meta) -> dict | None:
    if meta is None:
        return None
    return {"headers": list(meta.headers), "mapping": {k: str(v) for k, v in meta.mapping.items()},
            "notes": list(meta.notes), "preset": meta.preset, "withheld": dict(meta.withheld)}


def _meta_from(part, source: str, piece: dict):
    """A file's Dataset without rows from its cached piece (the file is not read at all)."""
    from .io.dataset import Dataset

    m = piece.get("meta") or {}
    return Dataset(frame=pd.DataFrame(), source=source, file=part.label, headers=m.get("headers", []),
                   mapping=part.jobs[source][0], notes=list(m.get("notes", [])), preset=m.get("preset"),
                   withheld=m.get("withheld", {}))


def _files_meta(stream, metas: list, file_rows: list, firsts: list, offsets: list):
    from .io.dataset import Dataset
    from .io.files import FILES_NOTE

    notes = list(dict.fromkeys(n for m in metas for n in m.notes))
    files = "file" if len(metas) == 1 else "files"
    notes.append(f"{FILES_NOTE}{len(metas):,} {files}, {sum(file_rows):,} rows")
    first = metas[0]
    return Dataset(frame=pd.DataFrame(), source=first.source, file=stream.label,
                   headers=list(dict.fromkeys(h for m in metas for h in m.headers)),
                   mapping={k: v for m in reversed(metas) for k, v in m.mapping.items()},
                   notes=notes, preset=first.preset,
                   withheld={k: v for m in reversed(metas) for k, v in m.withheld.items()},
                   parts=tuple(zip(firsts, offsets, (p.file for p in stream.parts))))


def _files_cache(parts: list) -> str | None:
    return next((p.cache for p in parts if getattr(p, "cache", None)), None)


def run(items: list[tuple], data) -> list | None:
    """The KPIs of ``items`` ([(spec, request)]) over one source read lazily; None: read it whole."""
    made = run_many({data.source: items}, {data.source: data})
    if made is None or len(made) != len(items):
        return None
    return [made[(data.source, spec.name)][0] for spec, _ in items]
