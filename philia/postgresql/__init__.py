"""Django's PostgreSQL backend, checking a reused connection only after it has been idle (`base.DatabaseWrapper`)."""
