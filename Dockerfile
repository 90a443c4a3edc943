# The shop's one image: web (gunicorn), worker (rundramatiq) and scheduler (crontab) all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 philia

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic only needs settings to load: a throwaway key and server URLs that nothing connects to (unset, the
# settings would look for the embedded servers of `make run`, which the image does not carry).
RUN SECRET_KEY=collectstatic-only-not-a-real-key DEBUG=false DATABASE_URL=postgres://build@localhost/none \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input \
    && mkdir -p /app/media && chown -R philia:philia /app

# The release Sentry files events under (docs/operations.md): the image has no .git to find the commit in, so it is
# given when the image is built (docker-compose.yml passes the shell's SENTRY_RELEASE) and stays with the image,
# whoever starts it. Empty: the SDK's own guess, which finds none here. One in the container's environment still wins.
ARG SENTRY_RELEASE=
ENV SENTRY_RELEASE=${SENTRY_RELEASE}

USER philia
EXPOSE 8000
# The web process. gunicorn's own lines (start-up, a worker restarted, the access log) follow LOG_FORMAT as the shop's
# do: json, its JSON log config (docs/operations.md, "Logs"; by absolute path, as gunicorn silently ignores one it
# cannot find); anything else, the access log as text on stdout. A shell only to read LOG_FORMAT when the container
# starts, case-blind as the settings; `exec` leaves gunicorn as PID 1, so `docker stop`'s SIGTERM reaches it. The
# gunicorn command itself is the arguments after "sh".
CMD ["sh", "-c", "case \"$LOG_FORMAT\" in [Jj][Ss][Oo][Nn]) exec \"$@\" --log-config-json /app/philia/observability/gunicorn_logging.json ;; esac; exec \"$@\" --access-logfile -", \
     "sh", "gunicorn", "philia.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30"]
