"""The weekly audit report (issue 7): content, renderers, storage, delivery.

- ``weeks``: ISO weeks in the report time zone (pure).
- ``content``: ``report_content_build`` — one week of records as a plain, sorted dict (reads only;
  a fixed number of queries) and ``content_hash``.
- ``charts``: matplotlib charts as SVG (pure).
- ``render``: HTML (``templates/reports/weekly.html``), CSV zip, PDF (WeasyPrint), JSON (pure).
- ``services``: ``report_weekly_generate`` (store one row per week) and ``report_weekly_deliver``
  (generate and email the auditors).
- ``selectors``, ``api``, ``tasks``, ``schedule``: reads, REST views, the Celery task, the beat
  schedule in the report time zone.
"""
