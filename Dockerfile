# syntax=docker/dockerfile:1
# Multi-stage image: build the venv, pull the models, then a slim non-root runtime.
#   docker build -t summarizer .                          # models baked in (needs the Hugging Face hub)
#   docker build --build-arg PULL_MODELS=0 -t summarizer . # no models: mount them at /app/models
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# CPU-only torch first (the default PyPI wheel for Linux is a multi-GB CUDA build), then the rest.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r /tmp/requirements.txt

FROM build AS models
ARG PULL_MODELS=1
WORKDIR /app
COPY summarizer/ summarizer/
COPY models/manifest.json models/manifest.json
RUN if [ "$PULL_MODELS" = "1" ]; then python -m summarizer models pull; fi

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --create-home --home-dir /home/app app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=app:app summarizer/ summarizer/
COPY --chown=app:app wsgi.py .
COPY --from=models --chown=app:app /app/models/ models/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SUMMARIZER_BIND=0.0.0.0:8000 \
    SUMMARIZER_THREADS=2
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "python:summarizer.gunicorn_conf", "wsgi:app"]
