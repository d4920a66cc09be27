import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BlackholeProxy, startBlackholeProxy } from '../src/index.js';

/** An echo server on loopback. */
async function startEcho(): Promise<{ server: Server; endpoints: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, endpoints: `127.0.0.1:${address.port}` };
}

/** A client socket that records what it received and whether it closed. */
async function client(
  proxy: BlackholeProxy,
): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(proxy.port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return { socket, received: () => text, closed: () => closed };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(): Promise<BlackholeProxy> {
  const echo = await startEcho();
  cleanups.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
  const proxy = await startBlackholeProxy({ target: echo.endpoints });
  cleanups.push(() => proxy.stop());
  return proxy;
}

describe('startBlackholeProxy', () => {
  it('carries bytes both ways in pass mode', async () => {
    const proxy = await setUp();
    const a = await client(proxy);
    cleanups.push(() => void a.socket.destroy());
    a.socket.write('hello');
    await expect.poll(a.received).toBe('hello');
    expect(proxy.mode).toBe('pass');
  });

  it('keeps connections open and silent during a blackhole, and delivers the held bytes after it by default', async () => {
    const proxy = await setUp();
    const a = await client(proxy);
    cleanups.push(() => void a.socket.destroy());
    a.socket.write('one');
    await expect.poll(a.received).toBe('one');
    proxy.blackhole();
    a.socket.write('two');
    // A new connection is accepted too, and answers nothing.
    const b = await client(proxy);
    cleanups.push(() => void b.socket.destroy());
    b.socket.write('three');
    proxy.pass();
    const c = await client(proxy);
    cleanups.push(() => void c.socket.destroy());
    c.socket.write('four');
    await expect.poll(c.received).toBe('four');
    await expect.poll(a.received).toBe('onetwo');
    await expect.poll(b.received).toBe('three');
    expect(a.closed()).toBe(false);
  });

  it('carries nothing during a blackhole: no byte, no FIN, no RST', async () => {
    const proxy = await setUp();
    const a = await client(proxy);
    cleanups.push(() => void a.socket.destroy());
    proxy.blackhole({ starved: 'stay-dead' });
    a.socket.write('lost');
    const b = await client(proxy);
    cleanups.push(() => void b.socket.destroy());
    b.socket.write('lost too');
    proxy.pass();
    const c = await client(proxy);
    cleanups.push(() => void c.socket.destroy());
    c.socket.write('fresh');
    await expect.poll(c.received).toBe('fresh');
    // A round trip on `c` went through after the heal; the dead ones got nothing and no close.
    expect(a.received()).toBe('');
    expect(b.received()).toBe('');
    expect(a.closed()).toBe(false);
    expect(b.closed()).toBe(false);
    expect(proxy.stats()).toMatchObject({ open: 3, dead: 2 });
  });

  it('keeps connections opened before or during a stay-dead fault dead after it ends, while new ones work', async () => {
    const proxy = await setUp();
    const before = await client(proxy);
    cleanups.push(() => void before.socket.destroy());
    before.socket.write('a');
    await expect.poll(before.received).toBe('a');
    proxy.blackhole({ starved: 'stay-dead' });
    const during = await client(proxy);
    cleanups.push(() => void during.socket.destroy());
    proxy.pass();
    before.socket.write('b');
    during.socket.write('c');
    const after = await client(proxy);
    cleanups.push(() => void after.socket.destroy());
    after.socket.write('d');
    await expect.poll(after.received).toBe('d');
    expect(before.received()).toBe('a');
    expect(during.received()).toBe('');
  });

  it('hides the server closing a dead connection from its client', async () => {
    const serverSockets: Socket[] = [];
    let serverClosed = 0;
    const server = createServer((socket) => {
      serverSockets.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        serverClosed += 1;
      });
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const proxy = await startBlackholeProxy({ target: `127.0.0.1:${address.port}` });
    cleanups.push(() => proxy.stop());
    const a = await client(proxy);
    cleanups.push(() => void a.socket.destroy());
    a.socket.write('x');
    await expect.poll(a.received).toBe('x');
    proxy.blackhole({ starved: 'stay-dead' });
    for (const socket of serverSockets) socket.destroy();
    await expect.poll(() => serverClosed).toBe(1);
    proxy.pass();
    const b = await client(proxy);
    cleanups.push(() => void b.socket.destroy());
    b.socket.write('y');
    await expect.poll(b.received).toBe('y');
    expect(a.closed()).toBe(false);
  });

  it('forgets a connection the client closed', async () => {
    const proxy = await setUp();
    const a = await client(proxy);
    proxy.blackhole({ starved: 'stay-dead' });
    a.socket.destroy();
    await expect.poll(() => proxy.stats().open).toBe(0);
  });

  it('refuses a target outside the loopback interface', async () => {
    await expect(startBlackholeProxy({ target: '10.1.2.3:80' })).rejects.toThrow(/loopback/);
  });
});
