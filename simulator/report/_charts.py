"""The aggregate views laid out as small bar charts: rectangles, labels and polylines with their positions worked
out here, so the template only writes them down as SVG and what a test reads from the file is what the browser
draws (as for the timelines: docs/reports.md, how it is built).

Every chart of a run shares one day axis: a column of :data:`COLUMN` pixels per calendar day after a gutter for the
row labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from simulator.report._aggregates import Aggregates, SmsDay

__all__ = ["TOP_SMS", "Chart", "Views", "views"]

COLUMN: Final = 12  # pixels per day
GUTTER: Final = 104  # the row labels' width
ROW: Final = 26  # a row of the SMS chart
BAR_HEIGHT: Final = 80  # the tallest bar of a per-day chart
AXIS: Final = 16
#: The person-days the SMS view names (rows: the people among the ones with the most SMS in a day).
TOP_SMS: Final = 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    data: str = ""  # a data-* value a test or the script can find the bar by (the masked person)


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    css: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    points: str
    css: str


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # the element id's suffix
    caption: str
    width: float
    height: float
    bars: list[Bar]
    labels: list[Label]
    lines: list[Line]


@dataclass(frozen=True, slots=True)
class Views:
    """A run's aggregate views: the charts, their sentences and the numbers behind them."""

    sms: Chart
    histogram: Chart
    bureau: Chart
    repayments: Chart
    sms_rows: list[SmsDay]  # the person-days with the most SMS (the table under the chart)
    bureau_rows: list[tuple[date, int, int]]  # day, negative, corrected: the days with any
    repayment_rows: list[tuple[date, int, str, int, str, str]]  # day, collected, amount, posted, amount, not posted
    sms_total: int
    sms_people: int


def views(aggregates: Aggregates) -> Views:
    days = aggregates.days
    column = {day: index for index, day in enumerate(days)}
    top = aggregates.top_sms(TOP_SMS)
    sms_rows = top
    people = list(dict.fromkeys(d.borrower for d in top))
    bureau_rows = [
        (day, totals.negative, totals.corrected)
        for day, totals in sorted(aggregates.bureau.items())
        if totals.negative or totals.corrected
    ]
    return Views(
        _sms_chart(aggregates, people, days, column),
        _histogram(aggregates.sms_histogram()),
        _bureau_chart(aggregates, days, column),
        _repayments_chart(aggregates, days, column),
        sms_rows,
        bureau_rows,
        _repayment_rows(aggregates),
        sum(d.count for d in aggregates.sms),
        len({d.borrower for d in aggregates.sms}),
    )


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _x(index: int) -> float:
    return GUTTER + index * COLUMN


def _axis(days: Sequence[date], y: float) -> tuple[list[Label], list[Line]]:
    """The day axis at ``y``: a tick and a label each week from the first day, and the axis line."""
    labels = [
        Label(_x(index) + 1, y + 12, day.strftime("%m-%d"), "axis") for index, day in enumerate(days) if index % 7 == 0
    ]
    lines = [Line(f"{GUTTER},{y} {_x(len(days))},{y}", "axis")]
    lines.extend(Line(f"{_x(index)},{y} {_x(index)},{y + 4}", "axis") for index in range(0, len(days), 7))
    return labels, lines


def _sms_chart(aggregates: Aggregates, people: list[str], days: list[date], column: dict[date, int]) -> Chart:
    """A row per person among those with the most SMS in a day: a bar a day, as tall as the SMS that day, its
    repeats (copies of a text already received that day) in red on top of the distinct texts."""
    tallest = max((d.count for d in aggregates.sms), default=1)
    scale = (ROW - 6) / tallest
    bars: list[Bar] = []
    labels: list[Label] = []
    lines: list[Line] = []
    rows = {person: index for index, person in enumerate(people)}
    busiest: dict[str, SmsDay] = {}
    for d in aggregates.sms:
        row = rows.get(d.borrower)
        if row is None:
            continue
        if d.borrower not in busiest or (d.count, d.most) > (busiest[d.borrower].count, busiest[d.borrower].most):
            busiest[d.borrower] = d
        base = (row + 1) * ROW
        x = _x(column[d.day]) + 1
        title = f"{d.borrower} on {d.day}: {_sms_words(d)}"
        distinct = d.texts * scale
        bars.append(Bar(x, round(base - distinct, 1), COLUMN - 2, round(distinct, 1), "sms", title, d.borrower))
        if d.repeats:
            height = d.repeats * scale
            y = round(base - distinct - height, 1)
            bars.append(Bar(x, y, COLUMN - 2, round(height, 1), "repeat", title, d.borrower))
    right = _x(len(days)) + 6
    for person, row in rows.items():
        base = (row + 1) * ROW
        labels.append(Label(4, base - 8, person, "row"))
        lines.append(Line(f"{GUTTER},{base} {_x(len(days))},{base}", "grid"))
        most = busiest[person]
        labels.append(Label(right, base - 8, f"{most.count} on {most.day:%m-%d}" + _copies(most), "note"))
    axis_labels, axis_lines = _axis(days, len(people) * ROW + 2)
    if not people:
        labels.append(Label(GUTTER, ROW - 8, "no SMS was delivered in this run", "note"))
    total, count = sum(d.count for d in aggregates.sms), len({d.borrower for d in aggregates.sms})
    repeated = sum(1 for d in aggregates.sms if d.repeats)
    caption = f"{total:,} SMS reached {count:,} people; on {repeated:,} person-days a phone got the same text again"
    if repeated:
        worst = max(aggregates.sms, key=lambda d: (d.most, d.count))
        caption += f" (up to {worst.most} copies of one text: {worst.borrower} on {worst.day})"
    height = max(1, len(people)) * ROW + AXIS + 4
    return Chart("sms", caption, right + 150, height, bars, labels + axis_labels, lines + axis_lines)


def _sms_words(d: SmsDay) -> str:
    words = f"{d.count} SMS, {d.texts} distinct text{'s' if d.texts != 1 else ''}"
    return words + (f", one of them {d.most} times" if d.most > 1 else "")


def _copies(d: SmsDay) -> str:
    return f" ({d.most}× one text)" if d.most > 1 else ""


def _histogram(histogram: dict[int, int]) -> Chart:
    """How many person-days got 1, 2, 3, … SMS: a bar per count."""
    width, gap = 22, 4
    tallest = max(histogram.values(), default=1)
    bars, labels = [], []
    counts = range(1, max(histogram, default=1) + 1)
    for index, count in enumerate(counts):
        x = 8 + index * (width + gap)
        days = histogram.get(count, 0)
        height = round(days / tallest * BAR_HEIGHT, 1)
        css = "hist repeat" if count > 1 else "hist"
        title = f"{days:,} person-days with {count} SMS"
        if days:
            bars.append(Bar(x, 14 + BAR_HEIGHT - height, width, max(height, 1.0), css, title, str(count)))
            labels.append(Label(x + width / 2, 14 + BAR_HEIGHT - height - 3, f"{days:,}", "value"))
        labels.append(Label(x + width / 2, 14 + BAR_HEIGHT + 12, str(count), "value"))
    caption = "person-days by the SMS received that day"
    return Chart("histogram", caption, 16 + len(counts) * (width + gap), 14 + BAR_HEIGHT + 18, bars, labels, [])


def _pair(
    days: list[date],
    column: dict[date, int],
    values: dict[date, tuple[float, float]],
    titles: dict[date, tuple[str, str]],
    css: tuple[str, str],
    top: float,
) -> list[Bar]:
    """Two bars a day (``values``: the first and the second series), scaled to the largest, from ``top``."""
    tallest = max((max(pair) for pair in values.values()), default=0) or 1
    half = COLUMN / 2 - 1
    bars = []
    for day, pair in sorted(values.items()):
        for side, value in enumerate(pair):
            if value <= 0:
                continue
            height = max(1.0, round(value / tallest * BAR_HEIGHT, 1))
            x = _x(column[day]) + 1 + side * half
            bars.append(Bar(x, top + BAR_HEIGHT - height, half, height, css[side], titles[day][side], day.isoformat()))
    return bars


def _bureau_chart(aggregates: Aggregates, days: list[date], column: dict[date, int]) -> Chart:
    values = {day: (float(t.negative), float(t.corrected)) for day, t in aggregates.bureau.items()}
    titles = {
        day: (f"{day}: {t.negative:,} negative records loaded", f"{day}: {t.corrected:,} corrections loaded")
        for day, t in aggregates.bureau.items()
    }
    top = 14
    bars = _pair(days, column, values, titles, ("negative", "corrected"), top)
    tallest = max((max(pair) for pair in values.values()), default=0)
    labels = [
        Label(GUTTER - 4, top + 4, f"{int(tallest):,}", "scale"),
        Label(GUTTER - 4, top + BAR_HEIGHT, "0", "scale"),
    ]
    axis_labels, axis_lines = _axis(days, top + BAR_HEIGHT)
    negative = sum(t.negative for t in aggregates.bureau.values())
    corrected = sum(t.corrected for t in aggregates.bureau.values())
    caption = f"{negative:,} negative records loaded by the bureau, {corrected:,} corrections"
    return Chart(
        "bureau", caption, _x(len(days)) + 20, top + BAR_HEIGHT + AXIS + 4, bars, labels + axis_labels, axis_lines
    )


def _repayments_chart(aggregates: Aggregates, days: list[date], column: dict[date, int]) -> Chart:
    """The amounts collected and posted each day (bars), and both added up over the run (lines below them):
    the gap between the lines is money the platform holds that the bank has not posted."""
    totals = aggregates.repayments
    values = {day: (float(t.collected_amount), float(t.posted_amount)) for day, t in totals.items()}
    titles = {
        day: (
            f"{day}: {t.collected:,} payments collected, {money(t.collected_amount)}",
            f"{day}: {t.posted:,} repayments posted by the bank, {money(t.posted_amount)}",
        )
        for day, t in totals.items()
    }
    top = 14
    bars = _pair(days, column, values, titles, ("collected", "posted"), top)
    tallest = max((max(pair) for pair in values.values()), default=0)
    labels = [Label(GUTTER - 4, top + 4, f"{tallest:,.0f}", "scale"), Label(GUTTER - 4, top + BAR_HEIGHT, "0", "scale")]
    # the running totals, under the bars
    second = top + BAR_HEIGHT + 10
    collected, posted = Decimal(0), Decimal(0)
    running: list[tuple[int, Decimal, Decimal]] = []
    for index, day in enumerate(days):
        if day in totals:
            collected += totals[day].collected_amount
            posted += totals[day].posted_amount
        running.append((index, collected, posted))
    whole = max(collected, posted) or Decimal(1)
    lines = []
    for series, css in ((1, "collected"), (2, "posted")):
        points = " ".join(
            f"{_x(index + 1)},{round(second + BAR_HEIGHT - float(point[series] / whole) * BAR_HEIGHT, 1)}"
            for index, point in enumerate(running)
        )
        lines.append(Line(f"{GUTTER},{second + BAR_HEIGHT} {points}", css))
    labels.append(Label(GUTTER - 4, second + 4, f"{whole:,.0f}", "scale"))
    labels.append(Label(GUTTER - 4, second + BAR_HEIGHT - 2, "so far", "scale"))
    axis_labels, axis_lines = _axis(days, second + BAR_HEIGHT)
    gap, day_of_gap = max(((c - p, days[i]) for i, c, p in running), default=(Decimal(0), None))
    caption = f"collected {money(collected)}, posted by the bank {money(posted)}"
    if gap > 0 and day_of_gap is not None:
        caption += f"; at most {money(gap)} collected and not yet posted, at the end of {day_of_gap}"
    height = second + BAR_HEIGHT + AXIS + 4
    return Chart("repayments", caption, _x(len(days)) + 20, height, bars, labels + axis_labels, lines + axis_lines)


def _repayment_rows(aggregates: Aggregates) -> list[tuple[date, int, str, int, str, str]]:
    rows = []
    collected, posted = Decimal(0), Decimal(0)
    for day, t in sorted(aggregates.repayments.items()):
        collected += t.collected_amount
        posted += t.posted_amount
        rows.append(
            (day, t.collected, money(t.collected_amount), t.posted, money(t.posted_amount), money(collected - posted))
        )
    return rows
