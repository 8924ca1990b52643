"""The benchmark runner: a registry, interleaved timing, median/min/max, ratio and targets.

A benchmark is a generator function registered with `@benchmark("name")`. It receives the
run's context (see `bench.databases.BenchContext`), sets up what it needs and yields one
`Comparison` per figure; the runner measures each figure while the generator is suspended,
so the generator can hold an app context or a database open around its `yield`s.

Each figure compares "ours" with an alternative (for example hand-written SQL): after a
warm-up the two callables run interleaved, A B A B ..., `repeat` times; wall time comes from
`time.perf_counter`. Peak memory is measured separately, with `tracemalloc`, over one extra
call of each callable, so that tracing does not slow the timed calls.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

BenchmarkFunction = Callable[[Any], Iterator["Comparison"]]

REGISTRY: dict[str, BenchmarkFunction] = {}

MEMORY_METHOD = "tracemalloc peak of one call"


def benchmark(name: str) -> Callable[[BenchmarkFunction], BenchmarkFunction]:
    """Register the decorated generator function under `name` (names must be unique)."""

    def register(function: BenchmarkFunction) -> BenchmarkFunction:
        if name in REGISTRY and REGISTRY[name] is not function:
            raise ValueError(f"benchmark '{name}' is registered twice")
        REGISTRY[name] = function
        return function

    return register


@dataclass(frozen=True)
class Target:
    """A limit a figure should meet: on the ratio (`ratio <= 1.5`), on the median in ms or
    on ours' tracemalloc peak in KiB. Every benchmark module states its targets only this
    way, one per `Comparison` (made by the functions below); the runner judges, prints
    and counts them, so a new module needs nothing else.

    `limit_from` names an earlier figure of the same run whose ratio is the limit (our
    overhead no worse than a peer's); the runner resolves it before judging. The metric
    "reference" marks a figure that only serves as such a limit: it has no target of its
    own and is not counted in `targets met`.
    """

    metric: str  # "ratio", "median_ms", "peak_kib" or "reference"
    limit: float = 0.0
    limit_from: str | None = None
    limit_note: str = ""

    @property
    def counted(self) -> bool:
        """False for a reference figure (not a target of ours)."""
        return self.metric != "reference"

    def resolved(self, earlier: dict[str, FigureResult]) -> Target:
        """Return this target with `limit_from` replaced by that figure's ratio."""
        if self.limit_from is None:
            return self
        source = earlier.get(self.limit_from)
        if source is None or source.ratio is None:
            raise ValueError(f"target: no earlier figure '{self.limit_from}' with a ratio")
        return Target(self.metric, source.ratio, None,
                      f" ({self.limit_note or self.limit_from}, measured in this run)")

    def measured(self, ratio: float | None, ours: Timing) -> float | None:
        """Return the value this target judges: the ratio, ours' median or ours' peak."""
        return {"ratio": ratio, "median_ms": ours.median_ms,
                "peak_kib": ours.peak_kib}.get(self.metric)

    def met_by(self, ratio: float | None, ours: Timing) -> bool:
        """Return True when the measured value is within the limit (always for a
        reference figure)."""
        if not self.counted:
            return True
        value = self.measured(ratio, ours)
        return value is not None and value <= self.limit

    def __str__(self) -> str:
        if self.metric == "reference":
            return f"none, reference for {self.limit_note}"
        if self.limit_from is not None:
            return f"ratio <= ratio of {self.limit_from}"
        if self.metric == "ratio":
            return f"ratio <= {self.limit:.3g}{self.limit_note}"
        if self.metric == "peak_kib":
            return f"peak <= {self.limit / 1024:g} MiB{self.limit_note}"
        return f"median <= {self.limit:g} ms{self.limit_note}"


def ratio_at_most(limit: float) -> Target:
    """Target: median(ours) / median(alternative) must not exceed `limit`."""
    return Target("ratio", limit)


def median_at_most_ms(limit: float, note: str = "") -> Target:
    """Target: the median of ours must not exceed `limit` milliseconds (`note` says why,
    e.g. what the limit means to a user)."""
    return Target("median_ms", limit, limit_note=f" ({note})" if note else "")


def peak_at_most_mib(limit: float, note: str = "") -> Target:
    """Target: ours' tracemalloc peak (one call) must not exceed `limit` MiB (the figure
    must measure memory)."""
    return Target("peak_kib", limit * 1024, limit_note=f" ({note})" if note else "")


def ratio_at_most_that_of(figure: str, note: str = "") -> Target:
    """Target: our ratio must not exceed the ratio the earlier figure `figure` of the same
    run measured (for example a peer's overhead); `note` names it in the report."""
    return Target("ratio", limit_from=figure, limit_note=note)


def reference_for(what: str) -> Target:
    """No target: the figure is the yardstick of another figure's target (`what`)."""
    return Target("reference", limit_note=what)


@dataclass
class Comparison:
    """One figure: our callable against an alternative answering the same question."""

    name: str
    ours: Callable[[], Any]
    alternative: Callable[[], Any] | None
    target: Target
    description: str = ""
    ours_label: str = "ours"
    alternative_label: str = "alternative"
    # a figure whose calls use up their data (a purge) runs fewer times: None = the run's
    repeat: int | None = None
    warmup: int | None = None
    measure_memory: bool = True


@dataclass
class Timing:
    """Summary of one callable's samples, in milliseconds, plus its peak memory in KiB."""

    label: str
    samples_ms: list[float]
    median_ms: float
    min_ms: float
    max_ms: float
    peak_kib: float | None = None


@dataclass
class FigureResult:
    """The measured figure: both timings, the ratio, the target and whether it is met."""

    name: str
    description: str
    ours: Timing
    alternative: Timing | None
    ratio: float | None
    target: str
    met: bool
    counted: bool = True
    # the target as data, so two runs' JSON can be compared: metric, limit, value judged
    target_metric: str = ""
    target_limit: float | None = None
    measured: float | None = None
    memory_method: str = MEMORY_METHOD
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data."""
        return asdict(self)


def summarize(label: str, samples_ms: list[float]) -> Timing:
    """Return the median, min and max of `samples_ms` (at least one sample)."""
    if not samples_ms:
        raise ValueError("no samples")
    return Timing(
        label=label,
        samples_ms=list(samples_ms),
        median_ms=statistics.median(samples_ms),
        min_ms=min(samples_ms),
        max_ms=max(samples_ms),
    )


def peak_memory_kib(function: Callable[[], Any]) -> float:
    """Call `function` once under tracemalloc and return the peak of Python allocations."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return max(peak - base, 0) / 1024


class Runner:
    """Measures comparisons: `warmup` untimed calls each, then `repeat` interleaved pairs.

    `clock` returns seconds (default `time.perf_counter`); tests pass a fake one.
    `measure_memory=False` skips the tracemalloc call.
    """

    def __init__(
        self,
        repeat: int = 21,
        warmup: int = 2,
        clock: Callable[[], float] = time.perf_counter,
        measure_memory: bool = True,
    ) -> None:
        if repeat < 1:
            raise ValueError("repeat must be at least 1")
        self.repeat = repeat
        self.warmup = warmup
        self.clock = clock
        self.measure_memory = measure_memory

    def _time(self, function: Callable[[], Any]) -> float:
        start = self.clock()
        function()
        return (self.clock() - start) * 1000.0

    def measure(self, comparison: Comparison,
                earlier: dict[str, FigureResult] | None = None) -> FigureResult:
        """Run one comparison and return its figure (`earlier`: the figures measured
        before it in the run, by name, for a target that takes its limit from one)."""
        alternative = comparison.alternative
        warmup = self.warmup if comparison.warmup is None else comparison.warmup
        repeat = self.repeat if comparison.repeat is None else comparison.repeat
        for _ in range(warmup):
            comparison.ours()
            if alternative is not None:
                alternative()
        ours_ms: list[float] = []
        alternative_ms: list[float] = []
        for _ in range(repeat):
            ours_ms.append(self._time(comparison.ours))
            if alternative is not None:
                alternative_ms.append(self._time(alternative))
        ours = summarize(comparison.ours_label, ours_ms)
        other = (
            summarize(comparison.alternative_label, alternative_ms)
            if alternative is not None
            else None
        )
        if self.measure_memory and comparison.measure_memory:
            ours.peak_kib = peak_memory_kib(comparison.ours)
            if other is not None and alternative is not None:
                other.peak_kib = peak_memory_kib(alternative)
        ratio = None
        if other is not None and other.median_ms > 0:
            ratio = ours.median_ms / other.median_ms
        target = comparison.target.resolved(earlier or {})
        return FigureResult(
            name=comparison.name,
            description=comparison.description,
            ours=ours,
            alternative=other,
            ratio=ratio,
            target=str(target),
            met=target.met_by(ratio, ours),
            counted=target.counted,
            target_metric=target.metric,
            target_limit=target.limit if target.counted else None,
            measured=target.measured(ratio, ours),
        )

    def run(self, function: BenchmarkFunction, context: Any,
            earlier: dict[str, FigureResult] | None = None,
            on_result: Callable[[FigureResult], None] | None = None) -> list[FigureResult]:
        """Run every comparison a registered benchmark yields; return their figures.
        `earlier` collects the figures by name (see `Target.limit_from`); `on_result` is
        called with each figure as soon as it is measured (the CLI prints it)."""
        earlier = {} if earlier is None else earlier
        results = []
        for comparison in function(context):
            result = self.measure(comparison, earlier)
            earlier[result.name] = result
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results


def _timing_line(timing: Timing, width: int) -> str:
    memory = "" if timing.peak_kib is None else f"  peak {timing.peak_kib:9.1f} KiB"
    return (
        f"  {timing.label:<{width}}  median {timing.median_ms:9.3f} ms"
        f"  min {timing.min_ms:9.3f}  max {timing.max_ms:9.3f}{memory}"
    )


def figure_lines(result: FigureResult) -> list[str]:
    """Return the printed lines of one figure: timings, ratio, target and verdict."""
    lines = [f"{result.name}" + (f": {result.description}" if result.description else "")]
    timings = [result.ours] + ([result.alternative] if result.alternative else [])
    width = max(len(t.label) for t in timings)
    lines.extend(_timing_line(t, width) for t in timings)
    ratio = "n/a" if result.ratio is None else f"{result.ratio:.2f}"
    memory = f" (memory: {result.memory_method})" if result.ours.peak_kib is not None else ""
    if not result.counted:
        lines.append(f"  ratio {ratio}  target {result.target}{memory}")
    else:
        verdict = "met" if result.met else "MISSED"
        lines.append(f"  ratio {ratio}  target {result.target}: {verdict}{memory}")
    return lines


def _measured_text(result: FigureResult) -> str:
    if result.measured is None:
        return "n/a"
    if result.target_metric == "ratio":
        return f"ratio {result.measured:.2f}"
    if result.target_metric == "peak_kib":
        return f"peak {result.measured / 1024:.1f} MiB"
    return f"median {result.measured:,.1f} ms"


def summary_lines(results: list[FigureResult]) -> list[str]:
    """Return the table of every counted target (figure, measured value, target, verdict)
    and, last, exactly `targets met: K/N` (reference figures are not counted)."""
    counted = [result for result in results if result.counted]
    width = max((len(result.name) for result in counted), default=0)
    lines = ["targets:"]
    lines.extend(
        f"  {'met   ' if r.met else 'MISSED'}  {r.name:<{width}}  {_measured_text(r):<20}"
        f"  target {r.target}" for r in counted)
    met = sum(1 for result in counted if result.met)
    lines.append(f"targets met: {met}/{len(counted)}")
    return lines


def report_lines(results: list[FigureResult]) -> list[str]:
    """Return the whole report: every figure, then `summary_lines` (its last line is
    exactly `targets met: K/N`)."""
    lines: list[str] = []
    for result in results:
        lines.extend(figure_lines(result))
    return lines + summary_lines(results)
