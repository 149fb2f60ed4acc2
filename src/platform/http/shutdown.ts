import type { FastifyInstance } from 'fastify';

/**
 * Closes the server the way a rolling deploy needs: stop accepting, let requests in flight
 * finish, and drop keep-alive connections as soon as they go idle (Node's server.close()
 * would otherwise wait for each client's keep-alive timeout).
 */
export async function closeGracefully(app: FastifyInstance): Promise<void> {
  const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(reaper);
  }
}
