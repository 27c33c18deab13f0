import { createServer, type AddressInfo } from 'node:net';

/** A port the kernel just gave out as free: random or fixed ports collide with ephemeral ones and other runs. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
