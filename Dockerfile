# Build: docker build -t cloudwindow .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /cloudwindow ./cmd/cloudwindow

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/cloudwindow cloudwindow \
    && mkdir -p /var/lib/cloudwindow && chown cloudwindow /var/lib/cloudwindow
COPY --from=build /cloudwindow /usr/local/bin/cloudwindow
USER cloudwindow
ENV CLOUDWINDOW_DATA_DIR=/var/lib/cloudwindow
EXPOSE 8080 50000/udp 50000/tcp
ENTRYPOINT ["/usr/local/bin/cloudwindow"]
