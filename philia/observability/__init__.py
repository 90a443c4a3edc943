"""What the operator sees of the running shop (docs/operations.md):

- `ids.py`: the ids of the work in hand (the webhook event, order, conversation a job or a request is about), put
  on every log line it writes and every error it reports;
- `logs.py`: log lines as readable text or, with LOG_FORMAT=json, one JSON object a line;
- `sentry.py`: errors to Sentry, imported (and `sentry_sdk` with it) only when SENTRY_DSN is set;
- `metrics.py`: `GET /metrics` in Prometheus' text format, read from the database and Redis at scrape time.
"""
