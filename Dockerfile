# Portico: a gRPC-Web and Connect gateway. Build: docker build -t portico .
# Run in front of a backend: docker run -p 8080:8080 -p 9090:9090 -e PORTICO_UPSTREAM_ENDPOINTS=host:50051 portico
# With no upstream configured it runs its demo backend and serves the demo app at http://localhost:8081/ (calling Portico on 8080).
# Only Debian's packages and Maven Central are used, the same as for a build on the host.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jdk-headless maven ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The poms first, so that the dependency download is cached apart from source changes.
COPY pom.xml ./
COPY config/pom.xml config/
COPY upstream-lb/pom.xml upstream-lb/
COPY health/pom.xml health/
COPY proxy/pom.xml proxy/
RUN mvn -B -ntp -q dependency:go-offline -pl proxy -am || true
COPY config config
COPY upstream-lb upstream-lb
COPY health health
COPY proxy proxy
COPY web-demo/site web-demo/site
RUN mvn -B -ntp -Dmaven.test.skip=true package

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin portico
COPY --from=build /src/proxy/target/portico.jar /opt/portico/portico.jar
COPY bin/portico bin/portico-healthcheck bin/portico-cds-archive /opt/portico/bin/
ENV PORTICO_JAR=/opt/portico/portico.jar
# Class-data sharing: one training run (demo mode, loopback, one call) writes /opt/portico/portico.jsa for this
# very JVM and jar, which bin/portico then maps in at every start (about 40% less CPU from start to listening).
RUN /opt/portico/bin/portico-cds-archive
COPY examples/portico.conf /etc/portico/portico.conf
USER 10001
# 8080: gRPC-Web, Connect and native gRPC (HTTP/1.1, h2c; TLS when configured). 8081: the demo app (demo mode
# or --demo-page only). 9090: /metrics, /healthz, /readyz.
EXPOSE 8080 8081 9090
# Healthy while /readyz answers 200 (every upstream cluster has a healthy endpoint), through bash's /dev/tcp:
# no curl in the image. The admin port is $PORTICO_ADMIN_PORT, else 9090: move it with that variable, which
# Portico reads too. Start period: the JVM starts and the first health checks answer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["/opt/portico/bin/portico-healthcheck"]
# The same launcher (and so the same JVM settings) the packaged-jar tests run (PackagedJarIT) and the README
# gives: the heap follows the container's memory limit (docker run -m 512m: 256 MiB), PORTICO_JVM_OPTS
# replaces the JVM settings.
# SIGTERM (docker stop) drains gracefully and exits 0; give it more than the grace period: docker stop -t 20.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/portico/bin/portico"]
CMD ["--config", "/etc/portico/portico.conf"]
