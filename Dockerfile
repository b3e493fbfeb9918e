FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gql_app gql_app
COPY jobs jobs
COPY lakeopt lakeopt
RUN pip install --no-cache-dir .
ENV LAKEOPT_HOME=/data DATABASE_URL=sqlite:////data/tasks.db
VOLUME /data
EXPOSE 8000
# On a non-loopback address the API needs a token: `lakeopt token create NAME` in the container first.
CMD ["lakeopt", "api", "--host", "0.0.0.0", "--port", "8000"]
