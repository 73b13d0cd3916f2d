# Container image for the LivChat Setup daemon: a Node build stage, then a slim runtime with ssh and ansible-core.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first so the layer is cached; --ignore-scripts skips `prepare` (sources are not here yet) and the
# optional native ssh2 add-ons, which would need a compiler.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY crds ./crds
COPY src ./src
COPY controllers ./controllers
COPY bench ./bench
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# The daemon runs ansible-playbook, which reaches the servers over ssh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client ansible-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system livchat \
 && useradd --system --gid livchat --home-dir /var/lib/livchat --no-create-home --shell /usr/sbin/nologin livchat \
 && install -d -o livchat -g livchat -m 700 /var/lib/livchat \
 && install -d -o livchat -g livchat -m 755 /srv/livchat /srv/livchat/desired

WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time relative to the package root.
COPY --from=build /app/crds ./crds
COPY ansible ./ansible

# HOME in the state volume gives ansible and ssh a writable home. For a master key kept outside the volume, set
# LIVCHAT_MASTER_KEY_FILE=/run/secrets/livchat-master-key and mount it there.
ENV NODE_ENV=production \
    LIVCHAT_STATE_DIR=/var/lib/livchat \
    HOME=/var/lib/livchat
VOLUME ["/var/lib/livchat"]
# Mount the desired directory at /srv/livchat/desired (read-only is enough).
WORKDIR /srv/livchat
USER livchat
EXPOSE 9477
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9477/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["run", "--listen", "0.0.0.0:9477", "--api-token-file", "/run/secrets/livchat-api-token", "/srv/livchat/desired"]
