// A real OpenID provider (panva/oidc-provider) for claimgate's remote JWKS end-to-end test
// (test/e2e/test_remote_jwks_idp.py). Test-only: in-memory storage, one confidential client.
//
//   node test/idp/idp.mjs [port]
//
// Environment (all required except IDP_PORT when the port is given as argv[2]):
//   IDP_PORT           port to listen on (127.0.0.1 only)
//   IDP_ISSUER         issuer URL, e.g. https://localhost:<port> (the `iss` of the tokens)
//   IDP_TLS_CERT       PEM file: the server certificate (chain) presented over HTTPS
//   IDP_TLS_KEY        PEM file: its private key
//   IDP_JWKS           JSON file: a *private* JWKS ({"keys": [...]}, RSA keys with kid/alg RS256);
//                      its keys sign the access tokens and their public halves are served at /jwks.
//                      Restart with another file to rotate keys.
//   IDP_CLIENT_ID      client id of the client_credentials client
//   IDP_CLIENT_SECRET  its secret (client_secret_basic or client_secret_post)
//   IDP_RESOURCE       the resource indicator (RFC 8707) tokens are issued for (becomes `aud`)
//   IDP_SCOPES         space-separated scopes the resource server accepts
//
// Access tokens are JWTs (RFC 9068, `typ: at+jwt`, RS256) with iss, sub, aud, client_id, scope,
// iat, exp, jti. Prints "ready <issuer>" on stdout once listening; exits on SIGTERM/SIGINT.
import fs from 'node:fs';
import https from 'node:https';
import process from 'node:process';

import Provider from 'oidc-provider';

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`idp: environment variable ${name} is required`);
    process.exit(2);
  }
  return v;
}

const port = Number(process.argv[2] ?? process.env.IDP_PORT);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('idp: give the port as the first argument or IDP_PORT');
  process.exit(2);
}
const issuer = need('IDP_ISSUER');
const resource = need('IDP_RESOURCE');
const scopes = need('IDP_SCOPES');
const jwks = JSON.parse(fs.readFileSync(need('IDP_JWKS'), 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: need('IDP_CLIENT_ID'),
    client_secret: need('IDP_CLIENT_SECRET'),
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: scopes,
  }],
  jwks,
  // Fixed cookie keys: only to silence the "insecure default" notice (no cookies are used).
  cookies: { keys: ['claimgate-test-idp'] },
  ttl: { ClientCredentials: 3600 },
  scopes: scopes.split(' '),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // client_credentials without `resource` still gets a JWT for our one resource server.
      defaultResource: () => resource,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: scopes,
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('idp: server_error', err));

const server = https.createServer({
  cert: fs.readFileSync(need('IDP_TLS_CERT')),
  key: fs.readFileSync(need('IDP_TLS_KEY')),
}, provider.callback());

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
