FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
# Without debug, so the manifest production looks hashed names up in is written.
RUN scripts/collectstatic.sh
RUN useradd --system --home /app dmed && chown -R dmed /app/var
USER dmed
EXPOSE 8000
