# The newspipe image: Airflow 3.3 with the project installed, for docker-compose.yml.
FROM apache/airflow:3.3.2-python3.11

USER root
COPY --chown=airflow:0 . /opt/newspipe
USER airflow
WORKDIR /opt/newspipe
# the locked dependencies of the project (Airflow itself comes with the base image)
RUN pip install --no-cache-dir uv \
 && uv export --frozen --no-dev --no-group airflow --no-hashes --no-emit-project -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt "redis>=5" "psycopg2-binary>=2.9" \
 && pip install --no-cache-dir --no-deps .
ENV PYTHONPATH=/opt/newspipe
# the dedup kernels built at build time (ahead of time where the image has a C compiler, else into numba's
# cache), not in the first task that dedups
RUN python -m pipeline.dedup.aot && python -m compileall -q crawlers pipeline storage dags
