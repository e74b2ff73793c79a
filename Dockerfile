# syntax=docker/dockerfile:1
# Multi-stage image: build the venv and install the package, pull the models, then a slim non-root runtime.
#   docker build -t summarizer .                          # models baked in (needs the Hugging Face hub)
#   docker build --build-arg PULL_MODELS=0 -t summarizer . # no models: mount them at /app/models
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /src/requirements.txt
# CPU-only torch first (the default PyPI wheel for Linux is a multi-GB CUDA build), then the rest.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r /src/requirements.txt
# The package itself (code, templates, static files and the model manifest as package data).
COPY pyproject.toml README.md /src/
COPY summarizer/ /src/summarizer/
RUN pip install --no-deps /src && rm -rf /src

FROM build AS models
ARG PULL_MODELS=1
WORKDIR /app
# Conversions for CTranslate2 are made here at build time and copied into the image beside the models.
ENV SUMMARIZER_MODELS_DIR=/app/models SUMMARIZER_CACHE_DIR=/app/cache
RUN mkdir -p models cache && if [ "$PULL_MODELS" = "1" ]; then summarizer models pull; fi

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --create-home --home-dir /home/app app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=models --chown=app:app /app/models/ models/
COPY --from=models --chown=app:app /app/cache/ cache/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    SUMMARIZER_MODELS_DIR=/app/models \
    SUMMARIZER_CACHE_DIR=/app/cache \
    SUMMARIZER_BIND=0.0.0.0:8000 \
    SUMMARIZER_THREADS=2
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `serve` cleans up after interrupted pulls, says plainly which model is missing, then execs gunicorn
# (`gunicorn -c python:summarizer.gunicorn_conf 'summarizer:create_app()'`), which stays PID 1.
CMD ["summarizer", "serve", "--no-pull"]
