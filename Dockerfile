# The Signalbox image: every process of docker-compose.yml runs from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SIGNALBOX_HOME=/var/lib/signalbox
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY actors ./actors
COPY api ./api
COPY cli ./cli
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system --create-home --home-dir /var/lib/signalbox signalbox
USER signalbox
EXPOSE 4200
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4200/api/health', timeout=2)"
CMD ["signalbox", "server", "api", "--host", "0.0.0.0", "--port", "4200"]
