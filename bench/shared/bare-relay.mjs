// A minimal proxy in node, for bench/router.mjs to set the router's cost beside: a TCP relay that does no
// more than a proxy must (accept, read a request, write it to a kept-alive upstream connection, read the
// response, write it back). No header parsing or rewriting, no metrics, no routing. It relays GETs without a body and frames
// responses by Content-Length only, as the bench's app answers /slow (not /health, which is chunked).
//
//   node bench/shared/bare-relay.mjs <listen port> <upstream port> [processes]
// With processes > 1, that many node:cluster workers accept from the one listening socket themselves
// (SCHED_NONE): the kernel spreads new connections over them.
import cluster from 'node:cluster';
import { connect, createServer } from 'node:net';

const [listenPort, upstreamPort, processes = 1] = process.argv.slice(2).map(Number);

cluster.schedulingPolicy = cluster.SCHED_NONE;
if (processes > 1 && cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork();
} else {
  serve();
}

function serve() {
  const idle = [];
  const open = () => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    upstream.setNoDelay(true);
    upstream.on('error', () => upstream.destroy());
    // The app closes connections idle for 5 s (node's keepAliveTimeout): such a one is no longer handed out.
    upstream.on('close', () => {
      const at = idle.indexOf(upstream);
      if (at >= 0) idle.splice(at, 1);
    });
    return upstream;
  };
  // Kept warm like the router's pool, so both pay for the client's connection only.
  for (let i = 0; i < 64; i++) {
    const upstream = open();
    upstream.once('connect', () => idle.push(upstream));
  }

  /** Relays one request; `done` once its response (head and Content-Length bytes) went back. */
  const relay = (request, client, done) => {
    const upstream = idle.pop() ?? open();
    let response = '';
    const onData = (chunk) => {
      response += chunk.toString('latin1');
      const headEnd = response.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(response.slice(0, headEnd));
      if (!length || response.length < headEnd + 4 + Number(length[1])) return;
      upstream.off('data', onData);
      idle.push(upstream);
      client.write(response, 'latin1');
      done();
    };
    upstream.on('data', onData);
    upstream.write(request, 'latin1');
  };

  createServer({ noDelay: true }, (client) => {
    // What the router needs for X-Forwarded-For, so both make the same system calls.
    void client.remoteAddress;
    let pending = '';
    let busy = false;
    const next = () => {
      const end = pending.indexOf('\r\n\r\n');
      if (busy || end < 0) return;
      const request = pending.slice(0, end + 4);
      pending = pending.slice(end + 4);
      busy = true;
      relay(request, client, () => {
        busy = false;
        next();
      });
    };
    client.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      next();
    });
    client.on('error', () => client.destroy());
    client.on('end', () => client.destroy());
  }).listen(listenPort, '127.0.0.1');
}
