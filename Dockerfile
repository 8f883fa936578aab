# Image of the spc-temporal worker, used by docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json
RUN mkdir -p /spc && chown node /spc
USER node
CMD ["node", "dist/src/worker.js"]
