# syntax=docker/dockerfile:1

# Build stage: go-sqlite3 needs cgo, so the binary is built with gcc against
# the same Debian release (glibc) as the runtime image below.
FROM golang:1.26-bookworm AS build
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
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/smsbot /usr/local/bin/smsbot
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /
VOLUME ["/data"]
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/smsbot"]
