# Image of the spc-temporal worker, used by docker-compose.yml. Node 24: the newest supported runtime, which CI smokes
# (scripts/runtime-smoke.sh); Node 20, still supported, is past its end of life and gets no more security fixes.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script builds, and the sources are copied only below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json
# Read at run time relative to the package root: the LAD lists and the 2020 mapping (merge2020) and the
# production recipe's scripts (uploaded as the start task's and each task's files).
COPY data ./data
COPY recipes ./recipes
RUN mkdir -p /spc && chown node /spc
# Two glibc malloc arenas instead of eight per core: the SDK's Rust core allocates from many threads, and with the
# default arenas a 1,000-LAD worker held 60-90 MiB more RSS (npm run bench:run; README, "Worker memory").
ENV MALLOC_ARENA_MAX=2
USER node
CMD ["node", "dist/src/worker.js"]
