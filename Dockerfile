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

USER philia
EXPOSE 8000
CMD ["gunicorn", "philia.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
