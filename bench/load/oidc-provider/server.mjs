// The reference point for bench/load/run.sh: node's oidc-provider set up the way Gatehouse is for
// the client-credentials grant, so that both servers do the same protocol work per request:
// authenticate one confidential client with client_secret_basic, check the requested scope and
// return an RFC 9068 access token (typ at+jwt) signed with ES256, valid for five minutes and not
// stored anywhere.
//
// Environment:
//   PORT            port to listen on (127.0.0.1 only)
//   CLIENT_ID       the client's id
//   CLIENT_SECRET   the client's secret
//   WORKERS         number of processes (node:cluster); 1, the default, is a single process
import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import process from 'node:process';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.PORT ?? '', 10);
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const workers = Number.parseInt(process.env.WORKERS ?? '1', 10);

if (!Number.isInteger(port) || !clientId || !clientSecret || !Number.isInteger(workers) || workers < 1) {
  console.error('PORT, CLIENT_ID and CLIENT_SECRET are required; WORKERS must be a positive integer.');
  process.exit(2);
}

const scope = 'bench.read';
// RFC 8707 resource indicators must be absolute URIs; Gatehouse's audience 'bench-api' is not one.
const resource = 'urn:gatehouse:bench-api';

if (cluster.isPrimary && workers > 1) {
  // Every worker must sign with the same key, as every Gatehouse node does: make it once here.
  const signingKey = JSON.stringify(newSigningKey());
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ SIGNING_JWK: signingKey });
  }
  cluster.on('exit', (worker, code, signal) => {
    // A worker that dies would make the run measure fewer processes than it says: stop loudly.
    console.error(`oidc-provider worker ${worker.process.pid} exited (${signal ?? code})`);
    process.exit(1);
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.process.kill('SIGTERM');
    }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const signingKey = process.env.SIGNING_JWK ? JSON.parse(process.env.SIGNING_JWK) : newSigningKey();
  serve(signingKey);
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: randomBytes(16).toString('base64url') };
}

function serve(signingKey) {
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    }],
    // Known to the server so that the client's allow-list below is enforced, as in Gatehouse.
    scopes: ['openid', scope],
    // The only key is an EC one, so ID tokens (never issued here) must default to it too.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // A request that names no resource gets the benchmark API, as a Gatehouse request that
        // names only a scope gets the scope's audience.
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== resource) {
            throw new Provider.errors.InvalidTarget();
          }
          return {
            scope,
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 5 * 60,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 5 * 60 },
  });

  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));
  provider.listen(port, '127.0.0.1');
}
