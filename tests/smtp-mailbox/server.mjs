// A real SMTP server for tests. Listens on 127.0.0.1 and writes each accepted message to
// <dir>/<sequence>.eml (written under a temporary name, then renamed, so a reader never sees half a file).
//
//   node server.mjs --dir DIR [--port N] [--user NAME --pass SECRET] [--fail-first N]
//
// --port 0 (the default) picks a free port. The first line written to stdout is "listening <port>".
// --user/--pass require AUTH PLAIN/LOGIN with those credentials. --fail-first answers the first N
// messages with a temporary failure (451), to exercise retries. The server stops when its standard
// input closes, so it never outlives the test process that started it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';

function parseArguments(argv) {
  const options = { port: 0, dir: null, user: null, pass: null, failFirst: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value after ${name}`);
    switch (name) {
      case '--port': options.port = Number.parseInt(value, 10); break;
      case '--dir': options.dir = resolve(value); break;
      case '--user': options.user = value; break;
      case '--pass': options.pass = value; break;
      case '--fail-first': options.failFirst = Number.parseInt(value, 10); break;
      default: throw new Error(`unknown option ${name}`);
    }
  }
  if (!options.dir) throw new Error('--dir is required');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  if ((options.user === null) !== (options.pass === null)) throw new Error('--user and --pass go together');
  return options;
}

const options = parseArguments(process.argv.slice(2));
mkdirSync(options.dir, { recursive: true });

let sequence = 0;
let failuresLeft = options.failFirst;
const requireAuth = options.user !== null;

const server = new SMTPServer({
  name: 'gatehouse-test-mailbox',
  secure: false,
  disabledCommands: requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
  authOptional: !requireAuth,
  allowInsecureAuth: true,
  size: 10 * 1024 * 1024,
  logger: false,
  onAuth(auth, session, callback) {
    if (auth.username === options.user && auth.password === options.pass) {
      callback(null, { user: auth.username });
    } else {
      callback(new Error('Invalid username or password'));
    }
  },
  onData(stream, session, callback) {
    const chunks = [];
    let answered = false;
    const answer = (error, message) => {
      if (!answered) {
        answered = true;
        callback(error, message);
      }
    };
    // A client that drops the connection mid-message makes the stream fail; that ends this message only.
    stream.on('error', (error) => answer(Object.assign(error, { responseCode: 451 })));
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      try {
        store(stream, chunks, answer);
      } catch (error) {
        console.error(`smtp-mailbox: could not store a message: ${error.message}`);
        answer(Object.assign(new Error('Could not store the message'), { responseCode: 451 }));
      }
    });
  },
});

function store(stream, chunks, callback) {
  if (stream.sizeExceeded) {
    callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
    return;
  }
  if (failuresLeft > 0) {
    failuresLeft -= 1;
    callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
    return;
  }
  sequence += 1;
  const name = `${String(sequence).padStart(6, '0')}.eml`;
  const temporary = join(options.dir, `.${name}.tmp`);
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(temporary, Buffer.concat(chunks));
  renameSync(temporary, join(options.dir, name));
  callback(null, 'Stored');
}

server.on('error', (error) => console.error(`smtp-mailbox: ${error.message}`));
// Tests share one server per test process: whatever goes wrong with one connection must not stop it.
process.on('uncaughtException', (error) => console.error(`smtp-mailbox: ${error.stack ?? error}`));
server.listen(options.port, '127.0.0.1', () => {
  console.log(`listening ${server.server.address().port}`);
});

process.stdin.resume();
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.on('error', () => process.exit(0));
