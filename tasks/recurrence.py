"""The next due date of a recurring task: calendar arithmetic, nothing else."""

import calendar
from datetime import datetime, timedelta


def next_due(due_at: datetime, frequency: str, interval: int) -> datetime | None:
    """
    ``due_at`` moved forward by ``interval`` days, weeks, months or years.

    Months and years keep the day of the month, clamped to the last day of a
    shorter month (Jan 31 + 1 month is Feb 28 or 29; Feb 29 + 1 year is Feb
    28); the time of day is kept as it is in ``due_at`` (UTC here). None when
    the date would fall past the year 9999, where the series ends.
    """
    try:
        if frequency == "daily":
            return due_at + timedelta(days=interval)
        if frequency == "weekly":
            return due_at + timedelta(weeks=interval)
        if frequency == "monthly":
            return add_months(due_at, interval)
        if frequency == "yearly":
            return add_months(due_at, 12 * interval)
    except OverflowError:
        return None
    raise ValueError(f"unknown frequency {frequency!r}")


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    if year > 9999:
        raise OverflowError("past the year 9999")
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
