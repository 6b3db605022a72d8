// Drives Gatehouse with openid-client, a certified OpenID Connect relying party, exactly as an app
// would: discovery, authorization code + PKCE (S256) + state + nonce, the hosted sign-in and consent
// pages filled by plain HTTP form posts, token, ID token validation, userinfo, refresh, revocation
// and RP-initiated logout. Prints one JSON line with what it saw; exits non-zero on any failure.
//
// usage: node flow.mjs   (GATEHOUSE_ISSUER, GATEHOUSE_CLIENT_ID, GATEHOUSE_REDIRECT_URI,
//                         GATEHOUSE_POST_LOGOUT_URI, GATEHOUSE_EMAIL, GATEHOUSE_PASSWORD)
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env('GATEHOUSE_ISSUER'));
const clientId = env('GATEHOUSE_CLIENT_ID');
const redirectUri = env('GATEHOUSE_REDIRECT_URI');
const postLogoutUri = env('GATEHOUSE_POST_LOGOUT_URI');

// A browser without JavaScript: a cookie jar, redirects followed by hand while they stay on the issuer.
const cookies = new Map();
async function browse(url, init = {}) {
  const headers = new Headers(init.headers);
  const jar = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  if (jar) headers.set('cookie', jar);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const [name, ...rest] = pair.split('=');
    const expired = attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
    if (expired) cookies.delete(name.trim()); else cookies.set(name.trim(), rest.join('='));
  }
  return response;
}

async function follow(url) {
  let current = new URL(url);
  for (let hop = 0; hop < 10; hop++) {
    const response = await browse(current);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
    const next = new URL(location, current);
    if (next.origin !== issuer.origin) return { response, url: next, left: true };
    current = next;
  }
  throw new Error('too many redirects');
}

function hiddenFields(html) {
  const fields = new URLSearchParams();
  for (const [tag] of html.matchAll(/<input\b[^>]*>/gi)) {
    const attributes = Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k, v]) => [k.toLowerCase(), decode(v)]));
    if (attributes.type === 'hidden' && attributes.name) fields.set(attributes.name, attributes.value ?? '');
  }
  return fields;
}
const decode = (text) => text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2B;/g, '+').replace(/&#x3D;/g, '=')
  .replace(/&#x2F;/g, '/').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#(x?)([0-9a-f]+);/gi,
    (_, hex, code) => String.fromCodePoint(parseInt(code, hex ? 16 : 10)));

async function submit(pageUrl, html, extra) {
  const form = hiddenFields(html);
  for (const [name, value] of Object.entries(extra)) form.set(name, value);
  const response = await browse(pageUrl, {
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) {
    const next = new URL(location, pageUrl);
    return next.origin === issuer.origin ? follow(next) : { response, url: next, left: true };
  }
  return { response, url: pageUrl };
}

const seen = {};
const config = await client.discovery(issuer, clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
seen.issuer = config.serverMetadata().issuer;

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

let step = await follow(authorizationUrl);
for (let page = 0; !step.left && page < 4; page++) {
  const html = await step.response.text();
  if (html.includes('name="Password"')) {
    step = await submit(step.url, html, { Email: env('GATEHOUSE_EMAIL'), Password: env('GATEHOUSE_PASSWORD') });
    seen.signedIn = true;
  } else if (html.includes('name="decision"')) {
    step = await submit(step.url, html, { decision: 'allow' });
    seen.consented = true;
  } else {
    throw new Error(`unexpected page at ${step.url}: ${step.response.status} ${html.slice(0, 300)}`);
  }
}
if (!step.left || !step.url.href.startsWith(redirectUri)) throw new Error(`never got back to the client: ${step.url}`);

const tokens = await client.authorizationCodeGrant(config, step.url, {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
seen.sub = claims.sub;
seen.amr = claims.amr;
seen.authTime = typeof claims.auth_time === 'number';
seen.accessTokenIsOpaque = !tokens.access_token.includes('.');

const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
seen.userinfoEmail = userinfo.email;

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
seen.refreshRotated = Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token;
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
  seen.oldRefreshRefused = false;
} catch (error) {
  seen.oldRefreshRefused = error.error === 'invalid_grant';
}


await client.tokenRevocation(config, refreshed.access_token);
try {
  await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  seen.revokedAccessTokenRefused = false;
} catch (error) {
  seen.revokedAccessTokenRefused = true;
}

const logoutState = client.randomState();
const endSession = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: postLogoutUri,
  state: logoutState,
});
let logout = await follow(endSession);
if (!logout.left) {
  // The refresh-token reuse above revoked the grant the ID token came from, so the hint no longer
  // proves anything: the user is asked to confirm, as a person would.
  const html = await logout.response.text();
  if (!html.includes('name="confirm"')) throw new Error(`no logout confirmation: ${logout.response.status}`);
  seen.logoutConfirmed = true;
  logout = await submit(logout.url, html, { confirm: 'yes' });
}
seen.loggedOutTo = logout.left ? `${logout.url.origin}${logout.url.pathname}` : null;
seen.logoutStateEchoed = logout.left && logout.url.searchParams.get('state') === logoutState;

const promptNone = await follow(client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid',
  code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
  code_challenge_method: 'S256',
  state: client.randomState(),
  prompt: 'none',
}));
seen.afterLogout = promptNone.left ? promptNone.url.searchParams.get('error') : null;

console.log(JSON.stringify(seen));
