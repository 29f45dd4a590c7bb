"""The weekly report: ``[[reports]]`` in the TOML posts, once a week, the coming week's
calendar, the past week's chart and a one-line summary into a channel.

    config.py    ``[[reports]]`` (schema: ``bot.configfile.ReportTable``) → ``ReportConfig``
    schedule.py  when a report is due (pure)
    service.py   ``Reports``: the scheduler job (daily analytics snapshots, due reports into the
                 notifier outbox) and the outbox builder that draws a report when it is sent
"""
