# Build a static binary, then run it as a non-root user on a minimal image that has the CA
# certificates (to reach Telegram over TLS) and the time zone database (county time zones).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -tags nodemo leaves out `agriclinic demo`, the only part that links the fake Telegram
# and the embedded Redis, so the image carries no test code (cmd/agriclinic/deps_test.go).
RUN CGO_ENABLED=0 go build -tags nodemo -trimpath -ldflags="-s -w" -o /out/agriclinic ./cmd/agriclinic

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home agriclinic
COPY --from=build /out/agriclinic /usr/local/bin/agriclinic
USER agriclinic
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/agriclinic", "health"]
ENTRYPOINT ["/usr/local/bin/agriclinic"]
CMD ["serve"]
