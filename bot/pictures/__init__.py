"""Pictures in chat: the content calendar and the analytics chart, as PNGs.

    model.py      what a picture shows (picklable specs) and what rendering returns
    fonts.py      the font chain and glyph coverage: text no font can draw is replaced
    calendar.py   CalendarSpec → PNG (week: day columns × hours with posts; month: day grid)
    chart.py      ChartSpec → PNG (published/failed per day; engagement over the period)
    worker.py     ``Renderer``: runs the two above off the event loop (a process pool)
    snapshots.py  the daily analytics snapshot per workspace (the chart's data)

matplotlib (Agg) is imported only inside the rendering functions, i.e. in the worker process:
importing this package costs nothing and the bot's start-up time does not grow.
"""
