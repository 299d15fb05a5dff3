# syntax=docker/dockerfile:1
# claude-env-controller image: `docker build -t ghcr.io/claude-env/claude-env-controller:0.1.0 .`
# The image also carries the CLI (/claude-env), e.g. for CI jobs: `--entrypoint /claude-env`.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
# libgit2 and libssh2 are built from their -sys crates' bundled sources and linked
# statically; zlib too. Only glibc, libgcc and OpenSSL (libssl3) stay dynamic: the
# distroless cc image provides them.
ENV LIBZ_SYS_STATIC=1 \
    CARGO_NET_RETRY=5 \
    CARGO_TERM_COLOR=never
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p claude-env-controller -p claude-env-cli \
 && mkdir -p /out \
 && cp target/release/claude-env-controller target/release/claude-env /out/ \
 && ldd /out/claude-env-controller \
 && if ldd /out/claude-env-controller | grep -E 'not found|libz\.so|libssh2|libgit2'; then \
      echo "unexpected dynamic dependency" >&2; exit 1; \
    fi

# glibc, libgcc, libssl3, CA certificates, tzdata; no shell; user nonroot (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/claude-env-controller /claude-env-controller
COPY --from=builder /out/claude-env /claude-env
USER 65532:65532
# /metrics, /healthz, /readyz; Git push webhooks.
EXPOSE 8080 9292
ENTRYPOINT ["/claude-env-controller"]
