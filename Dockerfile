# The base images are build arguments so that an offline build (such as
# scripts/docker-test) can pass local stand-ins; the defaults are the ones
# production uses.
ARG BUILD_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/base-debian12:nonroot

# Build stage: go-sqlite3 needs cgo, so the binary is built with gcc against
# the same Debian release (glibc) as the runtime image below.
FROM ${BUILD_IMAGE} AS build
# Behind a proxy, or offline: docker build --build-arg GOPROXY=... (unset: Go's default).
ARG GOPROXY
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/smsbot . \
 && mkdir -p /out/data

# Runtime stage: distroless base (glibc + CA certificates, no shell), non-root.
# The working directory is / (the base image's is /home/nonroot), so the
# default DATABASE_PATH, data/bot.db, is /data/bot.db: the database, its key
# file and its lock file are in the volume whether an --env-file sets
# DATABASE_PATH=data/bot.db, leaves it empty or leaves it out. The default
# lives in one place, the bot's config, so the image sets no DATABASE_PATH.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/smsbot /usr/local/bin/smsbot
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /
VOLUME ["/data"]
USER 65532:65532
# The image has no shell or curl: the binary asks its own /healthz
# (HEALTH_ADDR, 127.0.0.1:8081 by default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/smsbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/smsbot"]
