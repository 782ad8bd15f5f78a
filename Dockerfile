# ilb's container image: the distribution that mvn package makes (README, Deploy), run by bin/ilb as a non-root user.
#   docker build -t ilb .
#   docker run -p 8080:8080 -p 9876:9876 -v "$PWD/my-config:/etc/ilb/config:ro" -v "$PWD/my-routes:/etc/ilb/routes:ro" ilb

# 1: build the distribution (the tests run in CI, not here)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# the Maven repository is cached between builds (BuildKit), not kept in a layer
RUN --mount=type=cache,target=/root/.m2 mvn -B -ntp -DskipTests package \
    && mkdir /opt/ilb && tar -xzf target/ilb-*.tar.gz -C /opt/ilb --strip-components=1

# 2: the distribution on a JRE
FROM eclipse-temurin:21-jre
# curl for the HEALTHCHECK: newer eclipse-temurin images ship neither curl nor wget, and a probe on a second JVM
# would take memory from ilb's own (MaxRAMPercentage)
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 ilb \
    && useradd --system --uid 10001 --gid ilb --no-create-home --home-dir /opt/ilb ilb
# owned by root: ilb cannot change its own code; it writes only to data/ (the console's unpacked war) and /tmp
COPY --from=build /opt/ilb /opt/ilb
# the defaults where operators mount their own (e.g. Kubernetes ConfigMaps)
COPY --from=build /opt/ilb/config /etc/ilb/config
COPY --from=build /opt/ilb/routes /etc/ilb/routes
RUN mkdir /opt/ilb/data && chown ilb:ilb /opt/ilb/data
ENV ILB_CONFIG_DIR=/etc/ilb/config \
    ILB_ROUTES_DIR=/etc/ilb/routes
USER 10001:10001
# inference HTTP, inference gRPC, management (health, metrics), console
EXPOSE 8080 8081 9876 8888
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${ILB_MANAGEMENT_PORT:-9876}/observe/health/live" || exit 1
# exec form: bin/ilb execs java, so the JVM is PID 1 and gets docker stop's SIGTERM itself
ENTRYPOINT ["/opt/ilb/bin/ilb"]
